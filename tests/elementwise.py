"""A scalar kernel applied to each element of a 1-D array, compiled (for tests that check
an inlined numba function over many arguments)."""
from __future__ import annotations

import numpy as np
from numba import njit


def elementwise(kernel):
    """``many(x)``: ``kernel(x[i])`` for every ``i``, as a compiled loop."""

    @njit
    def many(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = kernel(x[i])
        return out

    return many
