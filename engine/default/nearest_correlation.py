"""The nearest correlation matrix (Higham, IMA J. Numer. Anal. 22, 2002).

Alternating projections with Dykstra's correction between the positive semidefinite cone
and the matrices with unit diagonal, in the Frobenius norm.
"""
from __future__ import annotations

import numpy as np


def _psd_part(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.clip(w, 0.0, None)) @ v.T


def nearest_correlation(a: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """The correlation matrix closest to the symmetric matrix ``a`` in the Frobenius norm.

    Raises
    ------
    RuntimeError
        If the iteration does not converge within ``max_iter`` steps.
    """
    y = np.array(a, dtype=np.float64)
    correction = np.zeros_like(y)
    for _ in range(max_iter):
        r = y - correction
        x = _psd_part(r)
        correction = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y) <= tol * max(1.0, np.linalg.norm(y)):
            y = y_new
            break
        y = y_new
    else:
        raise RuntimeError("nearest correlation matrix: no convergence")
    return (y + y.T) / 2
