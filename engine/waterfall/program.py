"""The priority of payments as an integer program the kernel interprets.

The default waterfall of the format, for tranches listed most senior first:
``interest: [fees, {interest: each non-subordinated tranche}, {to_principal: rest}]``,
``principal: [{principal: each tranche in order}, {residual: last subordinated}]``.
"""
from __future__ import annotations

import numpy as np

from engine.waterfall._kernels import (OP_FEES, OP_INTEREST, OP_PRINCIPAL, OP_RESIDUAL,
                                       OP_TO_PRINCIPAL)


def default_program(tranches) -> tuple[np.ndarray, np.ndarray]:
    """``(interest_ops, principal_ops)``, each an int64 array of ``(op, tranche index)`` rows."""
    interest = [(OP_FEES, -1)]
    interest += [(OP_INTEREST, k) for k, tr in enumerate(tranches) if not tr.subordinated]
    interest.append((OP_TO_PRINCIPAL, -1))
    principal = [(OP_PRINCIPAL, k) for k in range(len(tranches))]
    subs = [k for k, tr in enumerate(tranches) if tr.subordinated]
    if subs:
        principal.append((OP_RESIDUAL, subs[-1]))
    return (np.asarray(interest, dtype=np.int64).reshape(-1, 2),
            np.asarray(principal, dtype=np.int64).reshape(-1, 2))
