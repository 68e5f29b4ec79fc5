"""Groups of obligors that share a conditional default probability.

Given the systematic factors, obligors with the same loadings, idiosyncratic weight and
latent thresholds (and, when the twist is on, the same exposure) default independently
with the same probability, so the kernel computes one normal CDF per group and per path
and only one uniform per obligor. A pool of 1,000 borrowers in three regions, three
industries and four rating grades is 36 groups.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.default.factors import FactorStructure
from engine.default.bundles import Groups
from engine.default.draw_keys import index_step


@dataclass(frozen=True)
class DefaultGroups:
    """CSR loadings per group, thresholds per group, and the obligors of each group."""
    g_ptr: np.ndarray        # int64 (n_groups + 1,)
    g_idx: np.ndarray        # int64 factor index of each loading
    g_val: np.ndarray        # float64 loading
    g_idio: np.ndarray       # float64 (n_groups,)
    g_thr: np.ndarray        # float64 (n_groups, horizon): latent thresholds
    g_size: np.ndarray       # float64 (n_groups,): number of obligors
    g_expo: np.ndarray       # float64 (n_groups,): exposure of each member, share of pool
    members_ptr: np.ndarray  # int64 (n_groups + 1,)
    members: np.ndarray      # int64 (n_obligors,): obligor indices, group by group
    obligor_group: np.ndarray  # int64 (n_obligors,)
    member_key: np.ndarray   # uint64 (n_obligors,): each member's draw key (its id's hash)

    def bundle(self):
        """The kernel's :class:`engine.default.bundles.Groups`."""
        return Groups(self.g_ptr, self.g_idx, self.g_val, self.g_idio, self.g_thr, self.g_size,
                      self.g_expo, self.members_ptr, self.members, index_step(self.member_key))

    @property
    def n_groups(self) -> int:
        return self.g_idio.shape[0]


def build_groups(factors: FactorStructure, thresholds: np.ndarray, exposure: np.ndarray,
                 by_exposure: bool, keys: np.ndarray) -> DefaultGroups:
    """Group obligors with identical loadings, idiosyncratic weight and thresholds;
    ``keys`` are the obligors' draw keys (:mod:`engine.default.draw_keys`)."""
    seen: dict[tuple, int] = {}
    group_of = np.empty(len(factors.idio), dtype=np.int64)
    ptr_, idx_, val_ = (factors.load_ptr.tolist(), factors.load_idx.tolist(),
                        factors.load_val.tolist())
    idio, thr = factors.idio.tolist(), np.ascontiguousarray(thresholds)
    expo_ = exposure.tolist() if by_exposure else None
    for j in range(len(idio)):
        a, b = ptr_[j], ptr_[j + 1]
        key = (tuple(idx_[a:b]), tuple(val_[a:b]), idio[j], thr[j].tobytes(),
               expo_[j] if by_exposure else None)
        group_of[j] = seen.setdefault(key, len(seen))
    n = len(seen)
    first = np.unique(group_of, return_index=True)[1].astype(np.int64)   # groups by first member
    order = np.argsort(group_of, kind="stable")
    sizes = np.bincount(group_of, minlength=n)
    ptr, idx, val = [0], [], []
    for j in first:
        sl = slice(factors.load_ptr[j], factors.load_ptr[j + 1])
        idx.extend(factors.load_idx[sl])
        val.extend(factors.load_val[sl])
        ptr.append(len(idx))
    expo = np.full(n, -np.inf)
    np.maximum.at(expo, group_of, exposure)
    return DefaultGroups(
        g_ptr=np.asarray(ptr, dtype=np.int64), g_idx=np.asarray(idx, dtype=np.int64),
        g_val=np.asarray(val, dtype=np.float64), g_idio=factors.idio[first].copy(),
        g_thr=np.ascontiguousarray(thresholds[first]), g_size=sizes.astype(np.float64),
        g_expo=expo, members_ptr=np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        members=order.astype(np.int64), obligor_group=group_of,
        member_key=np.ascontiguousarray(np.asarray(keys, dtype=np.uint64)[order]))
