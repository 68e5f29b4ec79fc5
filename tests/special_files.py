"""Special files for tests, made inside the test's own folder.

Tests never point an output (or a read that could run away) at a real system path such as
``/dev/null``: an implementation that regressed would then damage the machine running them.
"""
from __future__ import annotations

import os
import stat

import pytest


def char_device(path) -> None:
    """A character device node at ``path`` that behaves like ``/dev/null`` (reads give
    nothing, writes vanish), or skip the test where nodes cannot be made (not root)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc})")
