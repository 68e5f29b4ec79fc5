"""What the command line shows while it works: the first run's compile notice and
heartbeat, and the progress bar."""
from __future__ import annotations

import sys
import time


def threading_main() -> bool:
    """Signal handlers can only be installed from the main thread."""
    import threading

    return threading.current_thread() is threading.main_thread()


def kernels_cached() -> bool:
    """Has numba compiled (and cached) the fused kernel on this install yet?"""
    from engine.warmup import kernels_cached as cached

    return cached()


def _compile_heartbeat(stream, every: float = 10.0):
    """Print how long compiling has taken every ``every`` seconds until the returned
    ``stop`` is called (the first progress report calls it)."""
    import threading

    stopped = threading.Event()
    started = time.perf_counter()

    def beat() -> None:
        while not stopped.wait(every):
            print(f"  still compiling, {time.perf_counter() - started:.0f} s", file=stream,
                  flush=True)

    threading.Thread(target=beat, daemon=True).start()
    return stopped.set


def _progress_printer(quiet: bool):
    if quiet:
        return None, lambda: None
    stop_beat = lambda: None  # noqa: E731
    if not kernels_cached():
        print("compiling the simulation kernels (first run after installing only: one to "
              "three minutes on two cores, longer on a busy machine; later runs start at "
              "once; `ipabs warmup` does it ahead)...", file=sys.stderr, flush=True)
        stop_beat = _compile_heartbeat(sys.stderr)
    started = time.perf_counter()
    state = {"shown": False, "last": 0.0}
    tty = sys.stderr.isatty()
    stream = getattr(sys.stderr, "raw", sys.stderr)     # our own "\r", not neutralised

    def show(done: int, total: int) -> None:
        stop_beat()
        now = time.perf_counter() - started
        if now < 1.0 or (not tty and now - state["last"] < 5.0 and done < total):
            return
        state["shown"], state["last"] = True, now
        bar = "#" * int(30 * done / total)
        # a rating is several runs on the same paths (the deal, standalone, the support
        # ladder): the bar counts all of them, so it says so rather than "paths"
        msg = f"  [{bar:<30}] {100.0 * done / total:3.0f}% of the runs, {now:.1f} s"
        print(("\r" + msg) if tty else msg, end="" if tty else "\n", file=stream, flush=True)

    def finish() -> None:
        stop_beat()
        if state["shown"] and tty:
            print(file=stream)

    return show, finish
