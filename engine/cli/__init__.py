"""The ``ipabs`` command line (also ``python -m engine``).

Exit status: 0 success; 2 bad input (usage, unreadable or invalid scenario, a refused
output path), message on stderr, no traceback; 1 internal error; 130 interrupted (Ctrl-C,
from the first import on; 143 for SIGTERM), saying what was written. Nothing is written when
input is invalid; outputs are checked before any work and committed together at the end
(:mod:`engine.report.files`). Text printed to the terminal has control characters
neutralised; a reader that stops reading (``ipabs run ... | head``) is not an error: printing
stops quietly and the exit status is the command's own; so it does when stdout or stderr is
closed (``>&-``).
"""
from __future__ import annotations

import contextlib
import os
import sys

# Only the standard library here: ``ipabs`` imports this module before ``main`` runs, and a
# Ctrl-C while the rest is imported (the first tens of milliseconds) must end as quietly as
# one later. The rest is imported in ``main``.

EXIT_INTERRUPTED = 130
NOTHING_WRITTEN = "interrupted; nothing was written"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that half-written output is cleaned up."""


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise Terminated()


#: A stream that cannot be written any more: the reader went away (a pipe), the descriptor
#: is closed or not open for writing (``>&-``), the stream object was closed.
_GONE = (BrokenPipeError, ValueError, OSError)


class _Terminal:
    """``sys.stdout`` / ``sys.stderr`` while the CLI runs: control characters in what is
    printed (names, ids, paths) are neutralised, and a closed pipe (``| head``) ends the
    printing quietly instead of failing the command."""

    def __init__(self, raw):
        from engine.report.safe_text import terminal_safe

        self.raw = raw if raw is not None else open(os.devnull, "w", encoding="utf-8")
        self.closed_pipe = False
        self._safe = terminal_safe

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                self.raw.write(self._safe(text))
            except _GONE:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self.raw.flush()
            except _GONE:
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
    return f"interrupted; written: {', '.join(written)}" if written else NOTHING_WRITTEN


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


def _standard_streams() -> None:
    """Open the null device on file descriptors 0, 1 and 2 where they are closed
    (``ipabs ... >&-``), so that no file ipabs opens lands on them and nothing written to
    them fails: the output goes nowhere and the exit status is the command's."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def main(argv: list[str] | None = None) -> int:
    """The ``ipabs`` command line: exit status 0, 2 (bad input), 1 (internal error) or 130
    (interrupted, at any moment: while starting up too)."""
    default_hook = sys.unraisablehook
    sys.unraisablehook = _interrupt_not_lost(default_hook)
    try:
        _standard_streams()
        return _main(argv)
    except (KeyboardInterrupt, Exception) as exc:   # before any output was staged
        interrupt = _interrupt_behind(exc)            # (or wrapped in another error)
        if interrupt is None:
            raise
        with contextlib.suppress(OSError, ValueError, AttributeError):
            print(NOTHING_WRITTEN, file=sys.stderr)
        return 143 if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED
    finally:
        sys.unraisablehook = default_hook


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or SIGTERM) behind ``exc`` when Python wrapped it in another error, else
    None: a class being created (an import) reports what ``__set_name__`` raised as a
    ``RuntimeError`` caused by it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


#: Ctrl-Cs Python swallowed since ``main`` started (see :func:`_interrupt_not_lost`).
_SWALLOWED: list = []


def _interrupt_not_lost(default):
    """An unraisable-exception hook: a Ctrl-C that Python swallowed (it arrived inside a
    callback, e.g. while an import releases its lock, and would print "Exception ignored")
    is noted, and raised again by :func:`_raise_swallowed` once ipabs has started."""
    _SWALLOWED.clear()

    def hook(unraisable):
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            _SWALLOWED.append(unraisable.exc_type)
        else:
            default(unraisable)
    return hook


def _raise_swallowed() -> None:
    """Raise the Ctrl-C Python swallowed while ipabs started, if one was."""
    if _SWALLOWED:
        raise _SWALLOWED.pop()()


def _main(argv: list[str] | None) -> int:
    import signal

    from engine.cli.parser import build_parser
    from engine.cli.progress import threading_main

    if threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    _show_scenario_warnings()
    with _terminal_streams():
        parser = build_parser()
        args = parser.parse_args(argv)   # usage errors exit 2 here
        _raise_swallowed()
        return _dispatch(args)


def _dispatch(args) -> int:
    from engine.cli.commands import (_cmd_check, _cmd_cashflows, _cmd_compare, _cmd_run,
                                     _cmd_sensitivity, _cmd_size, _cmd_sweep)
    from engine.cli.common import EXIT_INPUT, EXIT_INTERNAL
    from engine.cli.book_command import _cmd_book
    from engine.cli.files_commands import (_cmd_report, _cmd_schema, _cmd_template,
                                           _cmd_track, _cmd_validate, _cmd_warmup)
    from engine.errors import InputError, ScenarioError

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
        _raise_swallowed()
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
        return 143 if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence, exit 1
        interrupt = _interrupt_behind(exc)
        if interrupt is not None:
            print(_interrupted(args), file=sys.stderr)
            return 143 if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED
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
