"""The package's build backend: setuptools', plus the kernels compiled for this machine
when the package is built for installing (``engine.prebuilt``; issue #29). Everything
else is setuptools' own."""
from __future__ import annotations

import sys
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 - the rest of the PEP 517/660 hooks

ROOT = Path(__file__).resolve().parent.parent


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _compile_kernels() -> None:
    """Compile the kernels (never fails the build: without them they compile on first use)."""
    sys.path.insert(0, str(ROOT))
    try:
        from engine.prebuilt import build_in_child

        build_in_child(ROOT, say=_say)
    except Exception as exc:  # noqa: BLE001 - an install must not fail for this
        _say(f"ipabs: the kernels were not compiled at install ({exc}); "
             "they compile on the first run")
    finally:
        sys.path.remove(str(ROOT))


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _compile_kernels()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _compile_kernels()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
