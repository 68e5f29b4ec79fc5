"""The ``ipabs`` command line (also ``python -m engine``).

Exit status: 0 success; 2 bad input (usage, unreadable or invalid scenario, a refused
output path), message on stderr, no traceback; 1 internal error. Nothing is written when
input is invalid; outputs are checked before any work and committed together at the end
(:mod:`engine.report.files`). Text printed to the terminal has control characters
neutralised; a reader that stops reading (``ipabs run ... | head``) is not an error: printing
stops quietly and the exit status is the command's own.
"""
from __future__ import annotations

import contextlib
import os
import sys

from engine.errors import InputError, ScenarioError
from engine.report.safe_text import terminal_safe
from engine.cli.common import EXIT_INTERNAL, EXIT_INPUT
from engine.cli.parser import build_parser
from engine.cli.progress import threading_main
from engine.cli.commands import (_cmd_check, _cmd_cashflows, _cmd_compare, _cmd_run,
                                 _cmd_sensitivity, _cmd_size, _cmd_sweep)
from engine.cli.book_command import _cmd_book
from engine.cli.files_commands import (_cmd_report, _cmd_schema, _cmd_template, _cmd_track,
                                       _cmd_validate, _cmd_warmup)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that half-written output is cleaned up."""


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise Terminated()


class _Terminal:
    """``sys.stdout`` / ``sys.stderr`` while the CLI runs: control characters in what is
    printed (names, ids, paths) are neutralised, and a closed pipe (``| head``) ends the
    printing quietly instead of failing the command."""

    def __init__(self, raw):
        self.raw = raw
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                self.raw.write(terminal_safe(text))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self.raw.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.closed_pipe = True
        with contextlib.suppress(OSError, ValueError):   # later flushes go nowhere, quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.raw.fileno())
            os.close(devnull)

    def __getattr__(self, name):
        return getattr(self.raw, name)


@contextlib.contextmanager
def _terminal_streams():
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Terminal(sys.stdout), _Terminal(sys.stderr)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


def _interrupted(args) -> str:
    outs = getattr(args, "outputs", None)
    written = outs.written if outs is not None else []
    return f"interrupted; written: {', '.join(written)}" if written else \
        "interrupted; nothing was written"


def _show_scenario_warnings() -> None:
    """Print a scenario's warnings as ``ipabs: warning: ...`` lines on stderr."""
    import warnings

    from engine.errors import ScenarioWarning

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ScenarioWarning):
            print(f"ipabs: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: list[str] | None = None) -> int:
    import signal

    if threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    _show_scenario_warnings()
    with _terminal_streams():
        parser = build_parser()
        args = parser.parse_args(argv)   # usage errors exit 2 here
        return _dispatch(args)


def _dispatch(args) -> int:
    handler = {"run": _cmd_run, "validate": _cmd_validate, "schema": _cmd_schema,
               "cashflows": _cmd_cashflows, "sensitivity": _cmd_sensitivity,
               "size": _cmd_size, "compare": _cmd_compare, "check": _cmd_check,
               "sweep": _cmd_sweep,
               "report": _cmd_report, "track": _cmd_track,
               "warmup": _cmd_warmup, "template": _cmd_template,
               "book": _cmd_book}[args.command]
    args.backend_obj = None
    try:
        if getattr(args, "backend", "local") == "dask":
            from engine.backends import DaskBackend

            args.backend_obj = DaskBackend(scheduler=args.scheduler)
        elif getattr(args, "scheduler", None):
            raise InputError("--scheduler needs --backend dask")
        return handler(args)
    except ScenarioError as exc:
        source = exc.source or getattr(args, "scenario", None)
        for problem in exc.problems:
            print(f"{source}: {problem}" if source else str(problem), file=sys.stderr)
        return EXIT_INPUT
    except (InputError, OSError) as exc:
        if args.debug and not isinstance(exc, InputError):
            raise
        print(f"ipabs {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        print(_interrupted(args), file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence, exit 1
        if args.debug or os.environ.get("IPABS_DEBUG"):
            raise
        print(f"ipabs {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if args.backend_obj is not None:
            args.backend_obj.close()


if __name__ == "__main__":
    raise SystemExit(main())
