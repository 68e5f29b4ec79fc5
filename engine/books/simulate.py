"""The book's paths: every deal on the same random numbers (first pass, capital unlimited),
each entity's claims by date (its supports in every deal and its outside book), the date
its capital is exhausted, and the paths replayed with that exhaustion fixed (the entity
pays its capital's rest pro rata across the claims of that date, then nothing, and counts
as defaulted everywhere), the earliest first, until no entity's exhaustion is left."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.books._kernels import book_deal_blocks, book_deal_paths, outside_claims
from engine.books.assemble import Assembled, BookDeal

#: Paths per block of the first pass (a thread's share of work at a time).
BOOK_BLOCK = 1024
#: Paths per Dask task of a book's first pass.
DASK_CHUNK = 16_384


@dataclass
class DealPaths:
    """One deal's outcome on every path of the book."""

    default: np.ndarray        # (paths, tranches) uint8
    loss: np.ndarray           # (paths, tranches) float64
    wal: np.ndarray            # (paths, tranches) years (-1: no principal paid)
    claims: np.ndarray         # (paths, entities) what each entity paid in the deal
    demand: np.ndarray         # (paths, entities) what it was called for as simulated, its
                               # capital unlimited (it stops at its own default): first pass


@dataclass
class BookPaths:
    """Every path of the book after the exhaustion replays."""

    deals: list[DealPaths]
    demand: np.ndarray         # (paths, entities) claims in all as simulated (first pass,
                               # the outside book's included)
    own_default: np.ndarray    # (paths, entities) the entity's own default date (T + 1: none)
    exhausted: np.ndarray      # (paths, entities) date its capital ran out (T + 1: never)
    outside: np.ndarray        # (paths, entities) the outside book's claims in all
    exhausted_without: np.ndarray  # (deals, entities) paths whose capital would run out,
                                   # before the entity's own default, without the deal
    replayed: int              # paths replayed for an exhaustion


def _outputs(n: int, n_tr: int, n_ent: int, horizon: int):
    return (np.zeros((n, n_tr), dtype=np.uint8), np.zeros((n, n_tr)), np.zeros((n, n_tr)),
            np.zeros((n, n_ent, horizon + 1)), np.zeros((n, n_ent), dtype=np.int64))


def _run(deal: BookDeal, seed: int, paths: np.ndarray, n_ent: int, tau_fix=None, cap_fix=None):
    """``deal`` on ``paths`` (serially), optionally with fixes: (default, loss, wal, claims
    by date, own default)."""
    plan = deal.plan
    n = len(paths)
    out = _outputs(n, plan.n_tranches, n_ent, plan.horizon)
    tau_fix = np.full((n, n_ent), -1, dtype=np.int64) if tau_fix is None else tau_fix
    cap_fix = np.full((n, n_ent), -1.0) if cap_fix is None else cap_fix
    book_deal_paths(np.uint64(seed), np.asarray(paths, dtype=np.int64), plan.default_model(),
                    plan.groups.bundle(), plan.haircut_draws(), plan.deal(), deal.ent_obligor,
                    deal.ent_sup, tau_fix, cap_fix, *out)
    return out


def _first_pass(deal: BookDeal, seed: int, n_paths: int, n_ent: int, backend=None):
    """Every path of ``deal`` as simulated: here on the threads, or in chunks on a Dask
    cluster (``backend``, a :class:`engine.backends.DaskBackend`), the same arrays."""
    if backend is not None:
        return _first_pass_dask(deal, seed, n_paths, n_ent, backend)
    plan = deal.plan
    d = plan.deal()
    out = _outputs(n_paths, plan.n_tranches, n_ent, plan.horizon)
    book_deal_blocks(np.uint64(seed), n_paths, BOOK_BLOCK, plan.default_model(),
                     plan.groups.bundle(), plan.haircut_draws(), d.horizon, d.periods_per_year,
                     d.pool_balance, d.pool, d.collateral, d.support, d.notes, d.waterfall,
                     deal.ent_obligor, deal.ent_sup, *out)
    return out


def _book_chunk(deal: BookDeal, seed: int, start: int, stop: int, n_ent: int):
    """A Dask task: paths ``start .. stop - 1`` of one deal."""
    return _run(deal, seed, np.arange(start, stop, dtype=np.int64), n_ent)


def _first_pass_dask(deal, seed, n_paths, n_ent, backend):
    client = backend.client
    deal_future = client.scatter(deal, broadcast=True, hash=False)
    starts = list(range(0, n_paths, DASK_CHUNK))
    futures = [client.submit(_book_chunk, deal_future, seed, a, min(a + DASK_CHUNK, n_paths),
                             n_ent, pure=False) for a in starts]
    try:
        parts = client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(5))


def exhaustion_dates(claims: np.ndarray, capital: np.ndarray, horizon: int) -> np.ndarray:
    """``(paths, entities)``: the first date each entity's cumulative claims exceed its
    capital (``horizon + 1``: never)."""
    over = np.cumsum(claims, axis=2) > capital[None, :, None]
    first = np.argmax(over, axis=2)
    return np.where(over.any(axis=2), first, horizon + 1).astype(np.int64)


def simulate_book(asm: Assembled, paths: int, seed: int, backend=None) -> BookPaths:
    """Every deal of the book on ``paths`` paths of ``seed``, exhaustions replayed (the
    first pass on a Dask cluster if ``backend`` is one: the same result, bit for bit)."""
    n_ent, T = len(asm.entities), asm.horizon
    capital = np.array([asm.book.entities[e].capital for e in asm.entities])
    total = np.zeros((paths, n_ent, T + 1))
    own = np.full((paths, n_ent), T + 1, dtype=np.int64)
    results = []
    for deal in asm.deals:
        default, loss, wal, claims, ent_tau = _first_pass(deal, seed, paths, n_ent, backend)
        total[:, :, :deal.plan.horizon + 1] += claims
        present = deal.ent_obligor >= 0
        # a deal's "never" is its own horizon + 1: on the book's dates that is T + 1
        ent_tau = np.where(ent_tau > deal.plan.horizon, T + 1, ent_tau)
        own[:, present] = np.minimum(own[:, present], ent_tau[:, present])
        results.append(DealPaths(default, loss, wal, claims.sum(axis=2), claims.sum(axis=2)))
    ob = np.zeros((paths, n_ent, T + 1))
    for e, spec in asm.outside.items():
        outside_claims(np.uint64(seed), paths, asm.dof, spec.factor_keys, spec.loadings,
                       spec.idio, spec.thresholds, spec.amount_lgd,
                       ob[:, asm.entities.index(e), :])
    total += ob
    demand = total.sum(axis=2)
    exhausted, without, replayed = _replay_exhaustions(asm, seed, total, own, capital,
                                                       results, ob)
    return BookPaths(results, demand, own, exhausted, ob.sum(axis=2), without, replayed)


def _replay_exhaustions(asm, seed, total, own, capital, results, ob):
    """Replay the paths where an entity's capital runs out before its own default, one
    exhaustion date at a time (the earliest first: what it changes comes after it), until
    none is left. Updates ``results`` in place; returns each entity's exhaustion date on
    every path, the number of those paths without each deal (first-pass claims), and the
    number of paths replayed."""
    n_ent, T = len(asm.entities), asm.horizon
    fixed = np.full(own.shape, T + 1, dtype=np.int64)
    without = np.zeros((len(asm.deals), n_ent), dtype=np.int64)
    ex = exhaustion_dates(total, capital, T)
    rows = np.flatnonzero(((ex <= T) & (ex < own)).any(axis=1))
    if len(rows) == 0:
        return fixed, without, 0
    n = len(rows)
    cur = [_pad(_run(d, seed, rows, n_ent)[3], T) for d in asm.deals]   # as simulated
    sub_own = own[rows]
    for k in range(len(asm.deals)):      # exhaustion without a deal comes later, if at all
        alone = exhaustion_dates(total[rows] - cur[k], capital, T)
        without[k] = ((alone <= T) & (alone < sub_own)).sum(axis=0)
    tau_fix = [np.full((n, n_ent), -1, dtype=np.int64) for _ in asm.deals]
    cap_fix = [np.full((n, n_ent), -1.0) for _ in asm.deals]
    for _ in range(n_ent):
        demand = ob[rows] + sum(cur)
        ex = exhaustion_dates(demand, capital, T)
        ex = np.where((ex < sub_own) & (fixed[rows] > T), ex, T + 1)
        first = ex.min(axis=1)
        todo = np.flatnonzero(first <= T)
        if len(todo) == 0:
            break
        for r in todo:
            for e in np.flatnonzero(ex[r] == first[r]):
                _fix(asm, r, e, int(first[r]), capital[e], demand, cur, tau_fix, cap_fix)
                fixed[rows[r], e] = first[r]
        for k, deal in enumerate(asm.deals):
            default, loss, wal, claims, _ = _run(deal, seed, rows, n_ent, tau_fix[k],
                                                 cap_fix[k])
            results[k].default[rows] = default
            results[k].loss[rows] = loss
            results[k].wal[rows] = wal
            results[k].claims[rows] = claims.sum(axis=2)
            cur[k] = _pad(claims, T)
    return fixed, without, n


def _fix(asm, r, e, E, capital, demand, cur, tau_fix, cap_fix) -> None:
    """Entity ``e`` exhausted on date ``E`` of replay row ``r``: in a deal that claims on
    it that date, a capacity of what it paid before plus its pro-rata share of the capital
    left, and defaulted from ``E + 1`` whatever rounding leaves; in the others defaulted
    from ``E``."""
    left = max(capital - demand[r, e, :E].sum(), 0.0)
    slack = 1e-12 * capital              # the kernel sums in another order: never exhaust early
    for k, deal in enumerate(asm.deals):
        if deal.ent_obligor[e] < 0:
            continue
        mine = cur[k][r, e]
        if E <= deal.plan.horizon and mine[E] > 0.0:
            cap_fix[k][r, e] = mine[:E].sum() + left * mine[E] / demand[r, e, E] + slack
            tau_fix[k][r, e] = E + 1
        else:
            tau_fix[k][r, e] = E


def _pad(row: np.ndarray, T: int) -> np.ndarray:
    """A deal's claims by date on the book's dates (zeros after its legal final)."""
    if row.shape[-1] == T + 1:
        return row
    out = np.zeros(row.shape[:-1] + (T + 1,))
    out[..., :row.shape[-1]] = row
    return out
