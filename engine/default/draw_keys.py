"""Random numbers keyed by identity: the draw index of every obligor, collateral item and
systematic factor is a stable 64-bit hash of its kind and id, never its position in a
list, so adding, removing or reordering entries leaves everyone else's draws unchanged
(common random numbers across designs, input order irrelevant)."""
from __future__ import annotations

import hashlib

import numpy as np


#: The SplitMix64 increment: a stream's ``index``-th number hashes its key plus
#: ``(index + 1) * GAMMA`` (:mod:`engine.default._kernels`).
GAMMA = np.uint64(0x9E3779B97F4A7C15)


def index_step(index) -> np.ndarray:
    """``(index + 1) * GAMMA`` (uint64, wrapping): what a stream's key is advanced by for its
    ``index``-th number. For indices fixed for a whole run (an obligor's draw key)."""
    with np.errstate(over="ignore"):
        return (np.asarray(index, dtype=np.uint64) + np.uint64(1)) * GAMMA


def draw_key(kind: str, name: str) -> int:
    """The draw index of ``name`` among things of ``kind`` (BLAKE2b, 64 bits)."""
    digest = hashlib.blake2b(f"{kind}\x00{name}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def draw_keys(kind: str, names) -> np.ndarray:
    """:func:`draw_key` of each name, as a uint64 array."""
    return np.fromiter((draw_key(kind, n) for n in names), dtype=np.uint64)
