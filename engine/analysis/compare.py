"""Several enhancement designs side by side, on common random numbers.

Every design runs with the same number of paths and the same seed (the first design's
``simulation`` block unless given), so path ``i`` of every design draws the same random
numbers for the obligors and collateral items they share. The difference between a design
and the first is then measured path by path (a paired difference), and its standard error
is that of the per-path differences: far smaller than either estimate's when the designs
share their pool. A design compared with itself shows differences of exactly zero.
"""
from __future__ import annotations

from engine.analysis.paired import paired_difference
from engine.rating.deal import resolve_paths_seed, run_deal

COMPARE_FORMAT = "ipabs-compare/v1"


def _differences(base_ids, base_rec, ids, rec) -> list[dict]:
    """Paired changes of each tranche the design shares (by id) with the first design."""
    out = []
    for k, tid in enumerate(ids):
        if tid not in base_ids:
            continue
        j = base_ids.index(tid)
        dpd, dpd_se = paired_difference(base_rec.weight, base_rec.default[:, j],
                                        rec.weight, rec.default[:, k])
        dl, dl_se = paired_difference(base_rec.weight, base_rec.loss[:, j],
                                      rec.weight, rec.loss[:, k])
        out.append({"id": tid, "pd_change": float(dpd), "pd_change_se": float(dpd_se),
                    "el_change": float(dl), "el_change_se": float(dl_se)})
    return out


def compare(scenarios, *, paths: int | None = None, seed: int | None = None,
            backend=None, progress=None) -> dict:
    """The ``ipabs-compare/v1`` document of ``scenarios`` (two or more designs).

    Returns
    -------
    dict
        ``{"format", "paths", "seed", "designs": [{"name", "sha256", "result"}],
        "differences": [{"design": i, "name", "against": 0, "tranches": [{"id",
        "pd_change", "pd_change_se", "el_change", "el_change_se"}]}]}``: each design's full
        result, and for every design after the first, each shared tranche's change in
        default probability and expected loss against the first design, with the standard
        error of the paired difference.
    """
    scenarios = list(scenarios)
    paths, seed = resolve_paths_seed(scenarios[0], paths, seed)
    designs, records = [], []
    for n, sc in enumerate(scenarios):
        res, runs = run_deal(sc, paths, seed, record=True, backend=backend)
        designs.append({"name": sc.name, "sha256": sc.sha256, "result": res.to_dict()})
        records.append(([t.id for t in sc.tranches], runs.totals.record))
        if progress is not None:
            progress(n + 1, len(scenarios))
    base_ids, base_rec = records[0]
    differences = [{"design": i, "name": designs[i]["name"], "against": 0,
                    "tranches": _differences(base_ids, base_rec, ids, rec)}
                   for i, (ids, rec) in enumerate(records) if i > 0]
    return {"format": COMPARE_FORMAT, "paths": paths, "seed": seed, "designs": designs,
            "differences": differences}
