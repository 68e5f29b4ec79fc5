"""Plots of a run (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_pool_default_rate(result, path: str | Path) -> None:
    """Exceedance curve of the pool default rate, with each tranche's subordination marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rates, probs = (np.asarray(a, dtype=float) for a in result.default_rate_distribution)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    try:
        if len(rates):
            exceed = 1.0 - np.cumsum(probs) + probs       # P(rate >= x) at each value
            ax.step(rates * 100, exceed, where="post", color="#1f4e79", label="P(default rate ≥ x)")
            ax.set_yscale("log")
        for tid, attach in result.attachment.items():
            if attach > 0:
                ax.axvline(attach * 100, color="#c00000", ls="--", lw=1)
                ax.annotate(f"{tid} subordination", (attach * 100, 0.5),
                            xycoords=("data", "axes fraction"), rotation=90, fontsize=8,
                            ha="right", color="#c00000")
        ax.set_xlabel("cumulative pool default rate (% of balance)")
        ax.set_ylabel("probability of exceeding")
        ax.set_title(result.scenario["name"], fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
