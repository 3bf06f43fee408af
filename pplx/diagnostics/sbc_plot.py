"""The SBC plot: rank histogram and ECDF difference with the simultaneous band.

Drawn with matplotlib directly: ArviZ's ``plot_ecdf`` computes its own band for
continuous PIT values at a level of its own, while the band drawn here is the exact
band of the discrete ranks at the level the verdict used (so a curve leaving the band
is exactly a failed test).
"""

from __future__ import annotations

import numpy as np

from .calibration import rank_ecdf_counts


def _histogram(ax, ranks: np.ndarray, result) -> None:
    n, bins, num_ranks = result.num_simulations, max(result.num_bins, 1), result.num_ranks
    width = (num_ranks + 1) / bins
    counts = np.bincount(np.minimum((ranks // width).astype(int), bins - 1), minlength=bins)
    # the range holding 99% of a bin's count under uniform ranks (binomial, pointwise)
    p = 1.0 / bins
    sd = np.sqrt(n * p * (1 - p))
    ax.axhspan(n * p - 2.576 * sd, n * p + 2.576 * sd, color="0.85", lw=0)
    ax.axhline(n * p, color="0.5", lw=0.8)
    ax.bar(np.arange(bins) * width, counts, width=width, align="edge", color="C0", alpha=0.8)
    ax.set_xlim(0, num_ranks + 1)
    ax.set_xlabel("rank")
    ax.set_ylabel("count")


def _ecdf_difference(ax, ranks: np.ndarray, result) -> None:
    band, n = result.band, result.num_simulations
    z = np.concatenate([[0.0], band.z, [1.0]])
    counts = rank_ecdf_counts(ranks, result.num_ranks)
    diff = np.concatenate([[0.0], counts / n - band.z, [0.0]])
    low = np.concatenate([[0.0], band.lower / n - band.z, [0.0]])
    high = np.concatenate([[0.0], band.upper / n - band.z, [0.0]])
    ax.fill_between(z, low, high, step="post", color="0.85", lw=0)
    ax.step(z, diff, where="post", color="C0" if np.all((low <= diff) & (diff <= high)) else "C3")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("fractional rank")
    ax.set_ylabel("ECDF - uniform")


def plot_sbc(result, names: list[str] | None = None, *, axes=None):
    """Rank histogram and ECDF-difference plot of each chosen scalar of ``result``."""
    import matplotlib.pyplot as plt

    names = list(result.names[:6] if names is None else names)
    unknown = [n for n in names if n not in result.names]
    if unknown:
        raise ValueError(f"no scalars {unknown} in this SBC; its scalars are {result.names}.")
    if axes is None:
        fig, axes = plt.subplots(len(names), 2, figsize=(8, 2.4 * len(names)), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(len(names), 2)
        fig = axes[0, 0].figure
    for row, name in zip(axes, names, strict=True):
        j = result.names.index(name)
        ranks = result.ranks[:, j]
        _histogram(row[0], ranks, result)
        _ecdf_difference(row[1], ranks, result)
        verdict = "pass" if result.passed[j] else "FAIL"
        row[0].set_title(f"{name}: chi2 p={result.chi2_pvalue[j]:.3f}", fontsize=9)
        row[1].set_title(
            f"{name}: {1 - result.level:.4g} simultaneous band ({verdict})", fontsize=9
        )
    fig.tight_layout()
    return fig
