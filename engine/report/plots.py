"""Plots of a run as PNG bytes (matplotlib, no display needed): the pool default-rate
exceedance curve with each tranche's attachment and the grades' ideal default rates, the
default-timing profile, and the sensitivities. Text in English or Chinese; Chinese glyphs
come from the CJK fallback font of :mod:`engine.report.fonts`."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from engine.report.fonts import plot_context
from engine.report.i18n import state_heading, tr
from engine.rating.scale import SF_SCALE

GRADES_SHOWN = ("AAAsf", "AA+sf", "AAsf", "Asf", "BBBsf")


def _plain(text) -> str:
    """Text a user wrote (an id, a name, a label) as matplotlib draws it literally: a ``$``
    never opens math text."""
    return str(text).replace("$", r"\$")


def exceedance_curve(result) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the step function ``y = P(pool default rate > x)``, constant from each
    ``x[i]`` up to ``x[i + 1]`` (draw with ``where="post"``). ``x`` starts at 0, so the
    value just above 0 is the probability that anything defaults."""
    rates, probs = (np.asarray(a, dtype=float) for a in result.default_rate_distribution)
    if not len(rates):
        return np.array([0.0]), np.array([0.0])
    # P(R > rates[i]): the mass of the bins above bin i, summed from the top so that the
    # last value is exactly 0 and small tails carry no rounding error (bin resolution 1e-5)
    tail = np.cumsum(probs[::-1])[::-1]
    above = np.clip(np.append(tail[1:], 0.0), 0.0, 1.0)
    x, y = rates, above
    if rates[0] > 0.0:                                    # no path without a default
        x, y = np.concatenate([[0.0], rates]), np.concatenate([[1.0], above])
    return x, y


def exceedance_at(result, x: float) -> float:
    """``P(pool default rate > x)`` read off :func:`exceedance_curve`."""
    xs, ys = exceedance_curve(result)
    i = int(np.searchsorted(xs, x, side="right")) - 1
    return 1.0 if i < 0 else float(ys[i])


def plot_pool_default_rate(result, path: str | Path, table, lang: str = "en") -> None:
    """Write :func:`distribution_png` to ``path``."""
    Path(path).write_bytes(distribution_png(result, table, lang))


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def spread_labels(positions, gap: float) -> list[float]:
    """Label positions (same order) moved apart to at least ``gap`` from each other, as
    little as possible, keeping their order."""
    order = np.argsort(positions)
    placed = np.asarray(positions, dtype=float)[order].copy()
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overshoot = placed[-1] - max(positions) if len(placed) else 0.0
    if overshoot > 0:                       # centre the block on the original spread
        placed -= overshoot / 2
        for i in range(1, len(placed)):
            placed[i] = max(placed[i], placed[i - 1] + gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out.tolist()


def distribution_png(result, table, lang: str = "en") -> bytes:
    """Exceedance curve of the pool default rate, attachments and grades' ideal PDs."""
    with plot_context():
        import matplotlib.pyplot as plt

        x, y = exceedance_curve(result)
        fig, ax = plt.subplots(figsize=(9, 4.6))
        keep = y > 0
        xs = np.append(x[keep], x[keep][-1] if keep.any() else 0.0) * 100
        ys = np.append(y[keep], y[keep][-1] if keep.any() else 1.0)
        if keep.any():
            ax.step(xs, ys, where="post", color="#1f4e79", lw=1.6,
                    label=tr("P(pool default rate > x)", lang))
        ax.set_yscale("log")
        grade_p = {g: float(table.sf_threshold(g, 1.0)) for g in GRADES_SHOWN}
        low = min([*grade_p.values(), *(y[keep] if keep.any() else [1.0])])
        ax.set_ylim(low / 3, 1.5)
        right = max(float(xs.max()) if keep.any() else 1.0,
                    *(a * 100 for a in result.attachment.values())) * 1.08 + 0.5
        ax.set_xlim(0, right)
        attach = [(tid, a * 100) for tid, a in result.attachment.items() if a > 0]
        h, prev = 0.55, None
        for tid, a in attach:            # labels of close attachments at other heights
            h = (0.25 if h == 0.55 else 0.55) if prev is not None and abs(a - prev) < right * 0.04 \
                else 0.55
            prev = a
            ax.axvline(a, color="#c00000", ls="--", lw=1)
            ax.annotate(tr("{tid} attaches", lang, tid=_plain(tid)), (a, h), rotation=90, fontsize=8,
                        xycoords=("data", "axes fraction"), ha="right", va="center",
                        color="#c00000")
        # grade lines: labels spread apart in axes fraction so they never overlap
        lo, hi = (np.log10(v) for v in ax.get_ylim())
        frac = [(np.log10(p) - lo) / (hi - lo) for p in grade_p.values()]
        placed = spread_labels(frac, 0.055)
        for (g, p), f in zip(grade_p.items(), placed):
            ax.axhline(p, color="#888", lw=0.8, ls=":")
            ax.annotate(tr("{grade} 1y ideal PD", lang, grade=g), xy=(1.0, p),
                        xycoords=("axes fraction", "data"), xytext=(1.01, f),
                        textcoords="axes fraction", va="center", fontsize=7.5, color="#555",
                        arrowprops={"arrowstyle": "-", "color": "#bbb", "lw": 0.6})
        ax.set_xlabel(tr("cumulative pool default rate (% of balance)", lang))
        ax.set_ylabel(tr("probability of exceeding", lang))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
        fig.tight_layout()
        fig.subplots_adjust(right=0.80)
        return _png(fig)


def timing_png(doc: dict, lang: str = "en") -> bytes:
    """Expected share of the pool defaulting in each period."""
    with plot_context():
        import matplotlib.pyplot as plt

        timing = doc["pool"].get("default_timing", [])
        first = 1 + ((doc.get("run") or {}).get("state") or {}).get("as_of", 0)  # a tracked deal
        fig, ax = plt.subplots(figsize=(9, 3))
        ax.bar(np.arange(first, first + len(timing)), np.asarray(timing) * 100, color="#5b8fbf")
        ax.set_xlabel(tr("period", lang))
        ax.set_ylabel(tr("expected default (% of pool)", lang))
        ax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        return _png(fig)


def shown_tranche(sens: dict) -> int:
    """The most senior rated tranche whose default probability is not zero in every case
    (a bar chart of zeros says nothing); the first tranche if there is none."""
    cases = [sens["base"]["tranches"]] + [c["tranches"] for c in sens["cases"]]
    for k, t in enumerate(sens["base"]["tranches"]):
        if t.get("rated", True) and any(c[k]["default_probability"] > 0 for c in cases):
            return k
    return 0


def sensitivity_png(sens: dict, lang: str = "en") -> bytes:
    """Default probability of one tranche (:func:`shown_tranche`), base case and each
    sensitivity, with its rating."""
    with plot_context():
        import matplotlib.pyplot as plt

        names = [tr("base", lang)] + [c["name"] for c in sens["cases"]]
        k = shown_tranche(sens)
        rows = [sens["base"]["tranches"][k]] + [c["tranches"][k] for c in sens["cases"]]
        paths = sens["base"]["run"]["paths"]
        raw = np.array([r["default_probability"] for r in rows])
        bound = 3.0 / paths                     # no default seen: below this at 95%
        positive = raw[raw > 0]
        lo = min(positive.min() if len(positive) else bound, bound) / 3
        hi = max(positive.max() if len(positive) else bound, bound) * 3
        fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.2))
        # a zero is no bar (a log axis has no zero): its label says what it means
        ax.barh(range(len(names)), np.where(raw > 0, raw, 0.0)[::-1] * 100,
                color="#5b8fbf")
        ax.set_yticks(range(len(names)), [_plain(n) for n in names[::-1]])
        ax.set_xlim(lo * 100, hi * 100)
        ax.set_xscale("log")          # after the limits: equal bars warn otherwise
        for yv, r in enumerate(rows[::-1]):
            p = r["default_probability"]
            text = f" {r['rating'] or tr('unrated', lang)}"
            if p <= 0:
                text = f" 0 (< {100 * bound:.3g}%)" + text
            ax.annotate(text, (max(p, lo) * 100, yv), va="center", fontsize=8)
        ax.set_xlabel(tr("default probability of {tid} (log scale)", lang,
                         tid=_plain(rows[0]["id"])) + " (%)")
        fig.tight_layout()
        return _png(fig)


def tracking_png(doc: dict, lang: str = "en") -> bytes:
    """Each rated tranche's rating at closing and at each state (in the order given, with
    its ``as_of``), the best grade at the top; tranches on the same grade are drawn a
    little apart."""
    with plot_context():
        import matplotlib.pyplot as plt

        states = doc["states"]
        fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(states) + 2), 4))
        ids = [t["id"] for t in states[0]["tranches"] if t["rated"]]
        used = set()
        for k, tid in enumerate(ids):
            shift = 0.08 * (k - (len(ids) - 1) / 2)
            xs, ys = [], []
            for i, s in enumerate(states):
                t = next(x for x in s["tranches"] if x["id"] == tid)
                if t["rating"] is not None:
                    xs.append(i)
                    ys.append(SF_SCALE.index(t["rating"]) + shift)
                    used.add(SF_SCALE.index(t["rating"]))
            ax.plot(xs, ys, marker="o", label=_plain(tid))
        lo, hi = (min(used), max(used)) if used else (0, 1)
        ticks = list(range(max(lo - 1, 0), min(hi + 2, len(SF_SCALE))))
        ax.set_yticks(ticks, [SF_SCALE[t] for t in ticks])
        ax.set_xticks(range(len(states)),
                      [_plain(state_heading(s, lang, two_lines=True)) for s in states],
                      fontsize=8)
        ax.invert_yaxis()
        ax.set_ylabel(tr("rating", lang))
        ax.set_title(tr("tracking ratings", lang))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return _png(fig)


def frontier_png(doc: dict, tranche: str | None = None, lang: str = "en") -> bytes:
    """The sweep's frontier: each design's rating of ``tranche`` (default the first rated
    one) against its all-in cost a year (notes' coupon, fees and support fees over the
    pool), designs numbered as in the table; the designs no cheaper one beats joined."""
    designs = doc["designs"]
    first = designs[0]["tranches"]
    tid = tranche or next((t["id"] for t in first if t.get("rating")), first[0]["id"])
    pts = []
    for n, d in enumerate(designs):
        t = next(x for x in d["tranches"] if x["id"] == tid)
        if t.get("rating"):
            pts.append((100.0 * d["cost"]["all_in"], SF_SCALE.index(t["rating"]), n + 1))
    with plot_context():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2))
        if pts:
            xs, ys, labels = zip(*pts)
            ax.scatter(xs, ys, color="#5b8fbf", zorder=3)
            for x, y, label in pts:
                ax.annotate(f" {label}", (x, y), fontsize=8, va="center")
            front, best = [], len(SF_SCALE)
            for x, y, _ in sorted(pts):              # cheapest first: keep each new best grade
                if y < best:
                    front.append((x, y))
                    best = y
            ax.step([p[0] for p in front], [p[1] for p in front], where="post",
                    color="#1f4e79", lw=1.2)
            lo, hi = min(ys), max(ys)
            ax.set_ylim(hi + 0.6, lo - 0.6)          # the best grade at the top
            ax.set_yticks(range(lo, hi + 1))
            ax.set_yticklabels(SF_SCALE[lo:hi + 1])
        ax.set_xlabel(tr("all-in cost a year (coupon, fees, support fees), % of the pool",
                         lang))
        ax.set_ylabel(tr("rating of {tid}", lang, tid=_plain(tid)))
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return _png(fig)


def industry_png(shares: list[tuple[str, float]], lang: str = "en") -> bytes:
    """The pool's share by industry, largest first (a horizontal bar each)."""
    with plot_context():
        import matplotlib.pyplot as plt

        names = [_plain(n) for n, _ in shares][::-1]
        values = [100.0 * v for _, v in shares][::-1]
        fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(names) + 1.0))
        ax.barh(names, values, color="#5b8fbf")
        for y, v in enumerate(values):
            ax.annotate(f" {v:.1f}%", (v, y), va="center", fontsize=8)
        ax.set_xlim(0, max(values + [1.0]) * 1.2)
        ax.set_xlabel(tr("share of the pool by industry", lang) + " (%)")
        fig.tight_layout()
        return _png(fig)


def claims_png(doc: dict, lang: str = "en") -> bytes:
    """Each modelled entity's claims in the book (as simulated, capital unlimited): the
    distribution beside its capital, and where the AAA/AA/A stresses fall."""
    entities = doc["entities"]
    with plot_context():
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(entities), 1, figsize=(7, 3.2 * len(entities)),
                                 squeeze=False)
        for ax, e in zip(axes[:, 0], entities):
            h = e["claims_histogram"]
            edges = np.asarray(h["edges"]) / 1e6
            ax.bar(edges[:-1], np.asarray(h["probability"]) * 100.0, width=np.diff(edges),
                   align="edge", color="#5b8fbf")
            ax.set_yscale("log")
            ax.axvline(e["capital"] / 1e6, color="#c0392b", lw=1.5,
                       label=tr("capital", lang))
            for g, v in e["claims_at_stress"].items():
                if v is not None:
                    ax.axvline(v / 1e6, color="#555555", lw=0.8, ls="--")
                    ax.annotate(f" {g}", (v / 1e6, ax.get_ylim()[1]), fontsize=8, va="top")
            ax.set_title(_plain(e["entity"]), fontsize=10)
            ax.set_xlabel(tr("claims in the book (millions)", lang))
            ax.set_ylabel("%")
            ax.legend(fontsize=8)
        fig.tight_layout()
        return _png(fig)


def contagion_png(doc: dict, lang: str = "en") -> bytes:
    """How many of the book's senior tranches default together (probability, log scale),
    and their pairwise default correlation."""
    dist = doc["contagion"]["senior_defaults"]
    corr = doc["contagion"]["senior_default_correlation"]
    with plot_context():
        import matplotlib.pyplot as plt

        fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.4))
        ns = [int(n) for n in dist]
        ax.bar(ns, [100.0 * p for p in dist.values()], color="#5b8fbf")
        ax.set_yscale("log")
        ax.set_xticks(ns)
        ax.set_xlabel(tr("seniors defaulting together", lang))
        ax.set_ylabel("%")
        m = np.array([[np.nan if v is None else v for v in row] for row in corr])
        im = bx.imshow(m, vmin=0.0, vmax=1.0, cmap="Blues")
        bx.set_xticks(range(len(m)))
        bx.set_yticks(range(len(m)))
        bx.set_title(tr("senior default correlation", lang), fontsize=10)
        fig.colorbar(im, ax=bx, fraction=0.046)
        fig.tight_layout()
        return _png(fig)
