"""Plots of a run as PNG bytes (matplotlib, no display needed): the pool default-rate
distribution with each tranche's attachment and the grades' ideal default rates, the
default-timing profile, and the sensitivities."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

GRADES_SHOWN = ("AAAsf", "AA+sf", "AAsf", "Asf", "BBBsf")


def plot_pool_default_rate(result, path: str | Path, table) -> None:
    """Write :func:`distribution_png` to ``path``."""
    Path(path).write_bytes(distribution_png(result, table))


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def distribution_png(result, table) -> bytes:
    """Exceedance curve of the pool default rate, subordinations and grades' ideal PDs."""
    plt = _plt()
    rates, probs = (np.asarray(a, dtype=float) for a in result.default_rate_distribution)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if len(rates):
        ax.step(rates * 100, 1.0 - np.cumsum(probs) + probs, where="post", color="#1f4e79",
                label="P(pool default rate ≥ x)")
    ax.set_yscale("log")
    for tid, attach in result.attachment.items():
        if attach > 0:
            ax.axvline(attach * 100, color="#c00000", ls="--", lw=1)
            ax.annotate(f"{tid} attaches", (attach * 100, 0.55), rotation=90, fontsize=8,
                        xycoords=("data", "axes fraction"), ha="right", color="#c00000")
    for grade in GRADES_SHOWN:
        p = float(table.sf_threshold(grade, 1.0))
        ax.axhline(p, color="#888", lw=0.8, ls=":")
        ax.annotate(f"{grade} 1y ideal PD", (0.99, p), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=7, color="#555")
    ax.set_xlabel("cumulative pool default rate (% of balance)")
    ax.set_ylabel("probability of exceeding")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return _png(fig)


def timing_png(doc: dict) -> bytes:
    """Expected share of the pool defaulting in each period."""
    plt = _plt()
    timing = doc["pool"].get("default_timing", [])
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(np.arange(1, len(timing) + 1), np.asarray(timing) * 100, color="#5b8fbf")
    ax.set_xlabel("period")
    ax.set_ylabel("expected default (% of pool)")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _png(fig)


def sensitivity_png(sens: dict) -> bytes:
    """Default probability of the most senior tranche, base case and each sensitivity."""
    plt = _plt()
    names = ["base"] + [c["name"] for c in sens["cases"]]
    rows = [sens["base"]["tranches"][0]] + [c["tranches"][0] for c in sens["cases"]]
    pds = np.array([max(r["default_probability"], 1e-7) for r in rows])
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(names) + 1.2))
    ax.barh(names[::-1], pds[::-1], color="#5b8fbf")
    ax.set_xscale("log")
    for y, r in enumerate(rows[::-1]):
        ax.annotate(f" {r['rating'] or 'unrated'}", (pds[::-1][y], y), va="center", fontsize=8)
    ax.set_xlabel(f"default probability of {rows[0]['id']} (log scale)")
    fig.tight_layout()
    return _png(fig)
