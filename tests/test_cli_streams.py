"""The command line ends quietly whatever happens to its streams or when it is stopped: a
closed stdout or stderr is no traceback and no exit 120, and Ctrl-C while ipabs starts (its
own imports) prints one line and exits 130 (issue #30)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "shenzhen_ip_pledge.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: Runs ``ipabs ARGS`` as the ``ipabs`` script does, saying on the descriptor its first
#: argument names when it is about to call ``main``: Python's own start-up (its site
#: packages) and importing the entry point (standard library only) come before ipabs can
#: handle a signal; everything after, the heavy imports included, is ``main``'s.
STARTED = ("import os, sys; from engine.cli import main; fd = int(sys.argv.pop(1)); "
           "os.write(fd, b'r'); os.close(fd); sys.exit(main(sys.argv[1:]))")


def _ipabs(*args, close=(), stdin=None):
    def closing():
        for fd in close:
            os.close(fd)

    return subprocess.run([sys.executable, "-m", "engine", *map(str, args)], env=ENV,
                          cwd=ROOT, preexec_fn=closing, stdin=stdin,
                          stdout=None if 1 in close else subprocess.PIPE,
                          stderr=None if 2 in close else subprocess.PIPE, text=True,
                          timeout=300)


def test_a_closed_stdout_or_stderr_ends_with_the_commands_own_status():
    ok = _ipabs("validate", SHIPPED, close=(1,))
    assert ok.returncode == 0 and "Traceback" not in ok.stderr, ok.stderr
    bad = _ipabs("validate", ROOT / "missing.yaml", close=(2,))
    assert bad.returncode == 2, bad.stdout
    both = _ipabs("validate", SHIPPED, close=(0, 1, 2))
    assert both.returncode == 0


def test_ctrl_c_while_ipabs_starts_is_one_line_and_exit_130():
    seen = set()
    for step in range(30):
        read, write = os.pipe()
        p = subprocess.Popen([sys.executable, "-c", STARTED, str(write), "validate",
                              str(SHIPPED)], env=ENV, cwd=ROOT, pass_fds=(write,),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(write)
        assert os.read(read, 1) == b"r"
        os.close(read)
        time.sleep(0.003 * step)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=300)
        assert "Traceback" not in err, (step, err)
        assert p.returncode in (0, 130), (step, p.returncode, err)
        if p.returncode == 130:
            assert err.strip() == "interrupted; nothing was written", err
        seen.add(p.returncode)
    assert 130 in seen


def test_a_ctrl_c_python_would_swallow_in_a_callback_still_interrupts(monkeypatch, capsys):
    import weakref

    from engine.cli import main, parser

    real = parser.build_parser

    class Held:
        pass

    def build_parser():
        def interrupted(ref):            # Ctrl-C arriving while a callback runs
            raise KeyboardInterrupt

        held = Held()
        ref = weakref.ref(held, interrupted)
        del held                         # the callback runs: "Exception ignored in ..."
        assert ref() is None
        return real()

    monkeypatch.setattr(parser, "build_parser", build_parser)
    assert main(["validate", str(SHIPPED)]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "interrupted; nothing was written" and "Exception ignored" not in err


def _wrapped_interrupt(*args, **kwargs):
    """What Python raises when Ctrl-C arrives while a class is being created (numpy's
    ``finfo`` on import, seen in CI): a RuntimeError caused by the KeyboardInterrupt."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from exc


def test_a_ctrl_c_wrapped_in_another_error_is_still_an_interrupt(monkeypatch, capsys):
    """In a command (exit 130 and the one line, not an internal error) and before it."""
    import engine.cli as cli
    from engine.cli import files_commands, main

    monkeypatch.setattr(files_commands, "_cmd_validate", _wrapped_interrupt)
    assert main(["validate", str(SHIPPED)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted; nothing was written"
    monkeypatch.setattr(cli, "_main", _wrapped_interrupt)
    assert main(["validate", str(SHIPPED)]) == 130
    assert capsys.readouterr().err.strip() == "interrupted; nothing was written"

    def broken(*args, **kwargs):
        raise RuntimeError("a real internal error")

    monkeypatch.setattr(cli, "_main", broken)         # no Ctrl-C behind it: raised as is
    with pytest.raises(RuntimeError, match="a real internal error"):
        main(["validate", str(SHIPPED)])
