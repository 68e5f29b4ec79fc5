"""The kernels compiled when the package is installed, so that the first ``ipabs run``
loads them instead of spending most of a minute in numba (issue #29).

``pip install`` runs this package's build backend (``_build/backend.py``), which runs
:func:`build_in_child` on the source tree: the warm-up (:mod:`engine.warmup`), its parts
side by side in child interpreters (``python -m engine.prebuilt PART``), compiles every
kernel into ``engine/_compiled`` (numba's cache files, in the package's folders), and
``BUILT.json`` is written last with what they were compiled from
(:func:`engine._jit.prebuilt_fingerprint`). At run time they are read before numba's own
cache while that record matches: an edited kernel source, another numba or NumPy makes
them unused (the kernels then compile on first use, as without them), and a CPU they were
not compiled for makes numba compile its own. ``IPABS_PREBUILT=off`` skips the build and
the reading.

A failed or interrupted build leaves no record (and removes what it wrote), never a failed
install: the kernels then compile on the first run.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from engine._jit import (PREBUILT, PREBUILT_MARK, PREBUILT_SWITCH, prebuilt_current,
                         prebuilt_fingerprint, prebuilt_switch)

#: A build that takes longer is abandoned (the install goes on without it).
BUILD_TIMEOUT_S = 1800

_CACHE_SUFFIXES = (".nbi", ".nbc")


def _ours(folder: Path) -> bool:
    """Does ``folder`` hold only what a build writes (numba's files and the record)?"""
    return all(p.is_dir() or p.suffix in _CACHE_SUFFIXES or p == PREBUILT_MARK
               for p in folder.rglob("*"))


def clear() -> None:
    """Remove the compiled kernels. A folder holding anything else is left alone."""
    if not PREBUILT.exists():
        return
    if not _ours(PREBUILT):
        raise RuntimeError(f"{PREBUILT} holds files a build did not write: left alone")
    shutil.rmtree(PREBUILT)


def build_part(part: str, say=print) -> float:
    """Compile the kernels of warm-up part ``part`` into :data:`engine._jit.PREBUILT`
    (this process must have started with ``IPABS_PREBUILT=building``); the seconds."""
    from engine.warmup import warm_up

    if prebuilt_switch() != "building":
        raise RuntimeError(f"run with {PREBUILT_SWITCH}=building (python -m engine.prebuilt)")
    return warm_up(say, parts=(part,))


def _child(root: Path, part: str) -> subprocess.Popen:
    env = dict(os.environ, **{PREBUILT_SWITCH: "building"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env.pop("NUMBA_CACHE_DIR", None)
    return subprocess.Popen([sys.executable, "-m", "engine.prebuilt", part], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def build_in_child(root: Path, say=print) -> bool:
    """Build the kernels of the source tree ``root``, one child interpreter per warm-up
    part side by side (on two cores about the time of the longest), with the interpreter
    running (at install time, pip's build environment); whether it worked. Never raises:
    the install must not fail for want of compiled kernels."""
    from engine.warmup import PARTS

    if prebuilt_switch() == "off":
        say(f"ipabs: {PREBUILT_SWITCH}=off: the kernels compile on the first run")
        return False
    if prebuilt_current(PREBUILT_MARK):
        say(f"ipabs: the kernels in {PREBUILT} are current: nothing to compile")
        return True
    started = time.perf_counter()
    say("ipabs: compiling the simulation kernels for this machine (about a minute)...")
    why: list[str] = []
    children = []
    try:
        clear()
        PREBUILT.mkdir(parents=True)
        children = [_child(root, part) for part in PARTS]
        for child in children:
            _, err = child.communicate(timeout=BUILD_TIMEOUT_S)
            if child.returncode != 0:
                why = why or (err or "").strip().splitlines()[-1:] or [f"exit {child.returncode}"]
        if not why:
            PREBUILT_MARK.write_text(json.dumps(prebuilt_fingerprint(), indent=1) + "\n",
                                     encoding="utf-8")
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        why = why or [str(exc)]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    if not why:
        say(f"ipabs: kernels compiled in {time.perf_counter() - started:.0f} s")
        return True
    say("ipabs: the kernels were not compiled at install (" + " ".join(why)
        + "); they compile on the first run")
    try:
        PREBUILT_MARK.unlink(missing_ok=True)
        clear()
    except (OSError, RuntimeError):
        pass
    return False


def main(argv: list[str]) -> int:
    """``python -m engine.prebuilt PART``: one part's kernels (see :func:`build_in_child`)."""
    (part,) = argv
    took = build_part(part, lambda line: print(line, file=sys.stderr, flush=True))
    print(f"{part}: compiled in {took:.1f} s into {PREBUILT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
