"""The result of a run: tranche estimates with errors, ratings, pool statistics.

``Result.to_dict()`` is the ``ipabs-result/v1`` document (see ``docs/python.md``; extra
keys are allowed); ``Result.tranches`` is the same tranche table as a
pandas DataFrame indexed by tranche id.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import layout as L
from engine.accumulate import TailCurve, effective_size, mean_and_se, ratio_and_se
from engine.plan import Plan
from engine.rating.rate import rate_tranche
from engine.simulate import Totals

RESULT_FORMAT = "ipabs-result/v1"
POOL_QUANTILES = (0.99, 0.999, 0.9999)
#: Under importance sampling, an estimate whose effective sample size (Kish, of its own
#: terms: see :func:`engine.accumulate.effective_size`) is below this is flagged: its relative
#: standard error is then above about 10%, and the standard error itself, estimated from so
#: few effective paths, can badly understate the error.
MIN_EFFECTIVE_PATHS = 100


def _clean(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


@dataclass
class Result:
    """Estimates of one run. Build with :func:`build_result`."""

    scenario: dict
    run: dict
    tranche_rows: list[dict]
    pool: dict
    support: list[dict] = field(default_factory=list)
    obligors: list[dict] = field(default_factory=list)
    triggers: list[dict] = field(default_factory=list)
    diagnostics: dict = field(default_factory=dict)
    #: pool default rate distribution: (rates, probabilities) of the non-empty histogram bins
    default_rate_distribution: tuple = field(default=((), ()), repr=False)
    #: subordination below each tranche, as a share of the pool (its attachment point)
    attachment: dict = field(default_factory=dict)
    #: what `repair: nearest` changed in the pairwise correlation matrix, if it did
    correlation_repair: dict | None = None
    #: how the ratings were made: ``{"method", "support", "table"}``
    rating: dict = field(default_factory=dict)
    #: per credit support entry, each tranche's ratings without it (when asked)
    reliance: list[dict] | None = None
    #: what a committee must read before the ratings (a rating resting on a supporter the
    #: joint-default view does not trust, ...)
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        """One line per tranche: ``Result('Deal', 200,000 paths, seed 7)`` then
        ``  A  AAAsf  PD 0.0120% ± 0.0021%``."""
        head = (f"Result({self.scenario.get('name')!r}, {self.run.get('paths', 0):,} paths, "
                f"seed {self.run.get('seed')})")
        lines = [head]
        for t in self.tranche_rows:
            pd_, se = t["default_probability"], t["default_probability_se"]
            lines.append(f"  {t['id']}  {t.get('rating') or 'unrated'}  "
                         f"PD {100 * pd_:.4f}% ± {100 * (se or 0.0):.4f}%  "
                         f"EL {100 * t['expected_loss']:.4f}%")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The tranche table for notebooks (ratings, default probability and expected loss
        in percent with standard errors, WAL)."""
        import html

        def pct(x, se=None):
            if x is None:
                return "-"
            return f"{100 * x:.4f}%" + ("" if se is None else f" ± {100 * se:.4f}%")

        head = ("tranche", "balance", "rating", "95% range", "standalone", "rating by",
                "joint default", "default probability", "expected loss", "WAL (years)")
        rows = []
        for t in self.tranche_rows:
            rows.append((t["id"], f"{t['balance']:,.0f}", t.get("rating") or "unrated",
                         "..".join(t.get("rating_range") or []) or "-",
                         t.get("rating_standalone") or "-",
                         "+".join(t.get("rating_by") or []) or "-",
                         t.get("rating_joint_default") or "-",
                         pct(t["default_probability"], t["default_probability_se"]),
                         pct(t["expected_loss"], t["expected_loss_se"]),
                         "-" if t["wal_years"] is None else f"{t['wal_years']:.3f}"))
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                        for r in rows)
        return (f"<p><b>{html.escape(str(self.scenario.get('name')))}</b>: "
                f"{self.run.get('paths', 0):,} paths, seed {self.run.get('seed')}, "
                f"{html.escape(str(self.rating.get('support', '')))} convention</p>"
                "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + f"</tr>{cells}</table>")

    @property
    def tranches(self) -> pd.DataFrame:
        """Tranche table indexed by tranche id (columns as in the JSON document)."""
        return pd.DataFrame(self.tranche_rows).set_index("id")

    def to_dict(self) -> dict:
        """The ``ipabs-result/v1`` document (JSON-serialisable)."""
        return {
            "format": RESULT_FORMAT,
            "scenario": dict(self.scenario),
            "run": dict(self.run),
            "rating": dict(self.rating),
            "tranches": [dict(r) for r in self.tranche_rows],
            "pool": dict(self.pool),
            "support": [dict(s) for s in self.support],
            "obligors": [dict(o) for o in self.obligors],
            "triggers": [dict(t) for t in self.triggers],
            "diagnostics": dict(self.diagnostics),
            **({"correlation_repair": dict(self.correlation_repair)}
               if self.correlation_repair else {}),
            **({"reliance": [dict(r) for r in self.reliance]} if self.reliance is not None
               else {}),
            "warnings": list(self.warnings),
        }


def build_result(scenario, plan: Plan, totals: Totals, tables: dict, run_info: dict,
                 method: str | None = None) -> Result:
    """Estimates, standard errors and grades (by ``method``, default the scenario's) from a
    run's accumulators."""
    method = method or scenario.rating.method
    n = float(totals.paths)
    rows = []
    for k, tid in enumerate(plan.tranche_ids):
        tr = totals.tranche_sums(k)
        d1, d2, l1, l2 = tr[L.TR_DEFAULT], tr[L.TR_DEFAULT_SQ], tr[L.TR_LOSS], tr[L.TR_LOSS_SQ]
        p1, pw1, p2 = tr[L.TR_PAID], tr[L.TR_WAL], tr[L.TR_PAID_SQ]
        pw2, ppw = tr[L.TR_WAL_SQ], tr[L.TR_PAID_WAL]
        pd_raw, pd_se = mean_and_se(n, d1, d2)
        el, el_se = mean_and_se(n, l1, l2)
        wal, wal_se = ratio_and_se(n, pw1, pw2, p1, p2, ppw)
        tenor = 1.0 if math.isnan(wal) else max(wal, 1.0)
        # an importance-sampled estimate can leave [0, 1] (weights sum to about, not exactly,
        # the number of paths): reported and rated as the probability it estimates, clipped,
        # with the raw weighted mean beside it
        rows.append({
            "id": tid,
            "balance": float(plan.tr_balance[k]),
            "default_probability": min(max(pd_raw, 0.0), 1.0), "default_probability_se": pd_se,
            "default_probability_raw": pd_raw,
            "expected_loss": el, "expected_loss_se": _clean(el_se),
            "wal_years": _clean(wal), "wal_years_se": _clean(wal_se),
            "default_probability_ess": effective_size(d1, d2),
            "expected_loss_ess": effective_size(l1, l2),
        })
        rows[-1]["rating"], rows[-1]["rating_range"] = rate_tranche(
            method, rows[-1], totals.paths, tenor, tables)
    ps = totals.pool_sums()
    dr1, dr2 = ps[L.POOL_DEFAULT_RATE], ps[L.POOL_DEFAULT_RATE_SQ]
    lr1, lr2 = ps[L.POOL_LOSS_RATE], ps[L.POOL_LOSS_RATE_SQ]
    w1, w2 = ps[L.POOL_WEIGHT], ps[L.POOL_WEIGHT_SQ]
    dr, dr_se = mean_and_se(n, dr1, dr2)
    lr, lr_se = mean_and_se(n, lr1, lr2)
    curve = TailCurve(totals.default_rate_hist, totals.paths, totals.default_rate_hist_sq)
    quantiles = {str(q): curve.quantile(q) for q in POOL_QUANTILES}
    pool = {
        "balance": plan.pool_balance,
        "expected_default_rate": dr, "expected_default_rate_se": _clean(dr_se),
        "expected_loss_rate": lr, "expected_loss_rate_se": _clean(lr_se),
        "default_rate_quantiles": {q: t.value for q, t in quantiles.items()},
        "default_rate_quantiles_range": {q: [t.low, t.high] for q, t in quantiles.items()},
        "expected_default_rate_ess": effective_size(dr1, dr2),
        "expected_loss_rate_ess": effective_size(lr1, lr2),
        "default_rate_quantiles_ess": {q: t.effective_paths for q, t in quantiles.items()},
    }
    support = []
    for s, sid in enumerate(plan.support_ids):
        su = totals.support_sums(s)
        a1, a2, called, back = (su[L.SUP_PAID], su[L.SUP_PAID_SQ], su[L.SUP_CALLED],
                                su[L.SUP_REIMBURSED])
        paid, paid_se = mean_and_se(n, a1, a2)
        support.append({"id": sid, "expected_payment": paid,
                        "expected_payment_se": _clean(paid_se),
                        "call_probability": called / n,
                        "expected_reimbursement": back / n,
                        "expected_net_cost": paid - back / n})
    triggers = []
    for r, tid in enumerate(plan.trigger_ids):
        fired = totals.trigger_sums(r)
        triggers.append({"id": tid, "fire_probability": float(fired[L.TRIG_FIRED] / n),
                         "mean_fire_period": (float(fired[L.TRIG_FIRED_PERIOD]
                                                    / fired[L.TRIG_FIRED])
                                              if fired[L.TRIG_FIRED] > 0 else None)})
    pool["acceleration_probability"] = totals.accelerated() / n
    pool["default_timing"] = [float(x / n) for x in totals.default_timing()[1:]]
    exhausted = dict(zip(plan.cap_obligors.tolist(), totals.capacity_sums()))
    obligors = [{"id": oid, "default_probability": float(c) / n,
                 "model_default_probability": float(plan.pd_curves[j, -1]),
                 **({"capacity_exhaustion_probability": float(exhausted[j] / n)}
                    if j in exhausted else {})}
                for j, (oid, c) in enumerate(zip(plan.obligor_ids, totals.obligor_defaults))]
    listed = {o.id: n for n, o in enumerate(scenario.obligors)}     # the file's order
    obligors.sort(key=lambda o: listed.get(o["id"], len(listed)))
    low = low_effective_estimates(totals, rows, pool)
    hist = totals.default_rate_hist
    bins = np.nonzero(hist)[0]
    below = np.cumsum(plan.tr_balance[::-1])[::-1] - plan.tr_balance
    return Result(
        scenario={"name": scenario.name, "sha256": scenario.sha256},
        run=run_info, tranche_rows=rows, pool=pool, support=support, obligors=obligors,
        triggers=triggers,
        diagnostics={"max_cash_error": totals.max_cash_error,
                     "weights_effective_sample_size": effective_size(w1, w2),
                     "weights_effective_share": effective_size(w1, w2) / n,
                     "low_effective_estimates": low,
                     "sampling_warnings": sampling_warnings(
                         effective_size(w1, w2) if totals.weighted else None, totals.paths,
                         low)},
        default_rate_distribution=(bins / (len(hist) - 1), hist[bins] / hist.sum()),
        attachment={tid: float(below[k] / plan.pool_balance)
                    for k, tid in enumerate(plan.tranche_ids)},
        correlation_repair=plan.factors.repair,
    )


def low_effective_estimates(totals: Totals, tranches: list[dict], pool: dict) -> list[dict]:
    """Under importance sampling, every non-zero estimate whose effective sample size is
    below :data:`MIN_EFFECTIVE_PATHS`, as ``{"estimate": what, "effective_sample_size": x}``
    (an estimate of exactly 0 has no terms and is not listed: the rating range already
    treats it as "no default seen"). Empty for plain Monte Carlo."""
    if not totals.weighted:
        return []
    checks = [(f"tranche {t['id']} {name.replace('_', ' ')}", t[name], t[f"{name}_ess"])
              for t in tranches for name in ("default_probability", "expected_loss")]
    checks += [(f"pool {name.replace('_', ' ')}", pool[name], pool[f"{name}_ess"])
               for name in ("expected_default_rate", "expected_loss_rate")]
    checks += [(f"pool default rate quantile {q}", pool["default_rate_quantiles"][q], ess)
               for q, ess in pool["default_rate_quantiles_ess"].items()]
    return [{"estimate": what, "effective_sample_size": float(ess)}
            for what, value, ess in checks if value and 0.0 < ess < MIN_EFFECTIVE_PATHS]


def sampling_warnings(run_ess: float | None, paths: int, low: list[dict]) -> list[str]:
    """The messages shown for a weighted run: degenerate weights (``run_ess`` below
    :data:`MIN_EFFECTIVE_PATHS`; ``None`` for plain Monte Carlo), then one line naming every
    estimate of ``low`` (:func:`low_effective_estimates`)."""
    out = []
    if run_ess is not None and run_ess < MIN_EFFECTIVE_PATHS:
        out.append(f"the importance-sampling weights are degenerate: an effective sample size "
                   f"of {run_ess:,.1f} of {paths:,} paths; raise "
                   f"simulation.importance.defensive_share or the paths")
    if low:
        out.append(f"estimates resting on fewer than {MIN_EFFECTIVE_PATHS} effective paths "
                   "(their standard errors are unreliable; use more paths): "
                   + "; ".join(f"{x['estimate']} ({x['effective_sample_size']:,.1f})"
                               for x in low))
    return out


class NonFiniteResult(RuntimeError):
    """A result holds NaN or infinity: an internal error, never shown as a number."""


def require_finite(doc, where: str = "") -> None:
    """Raise :class:`NonFiniteResult` naming the first NaN or infinity in a result document
    (``None`` is fine: it means "not defined", e.g. the WAL of a tranche never repaid)."""
    if isinstance(doc, dict):
        items = doc.items()
    elif isinstance(doc, (list, tuple)):
        items = enumerate(doc)
    else:
        return
    for key, value in items:
        path = f"{where}.{key}" if where else str(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise NonFiniteResult(f"the result holds {value} at {path}; this is a bug, please "
                                  "report it with the scenario")
        require_finite(value, path)
