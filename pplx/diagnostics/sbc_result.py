"""The outcome of simulation-based calibration: ranks, tests and a verdict (NumPy only).

The verdict handles multiplicity by Bonferroni: with ``P`` scalars and two tests each
(the chi-square test and the simultaneous ECDF band), every test runs at level
``alpha / (2 P)``, so a correct sampler fails the whole check with probability at most
``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .calibration import (
    ECDFBand,
    default_num_bins,
    ecdf_band,
    inside_band,
    rank_chi_square,
)


@dataclass(frozen=True)
class SBCResult:
    """Ranks of simulation-based calibration and their uniformity tests.

    Attributes:
        names: one name per scalar (``"mu"``, ``"theta[3]"``, ...), in ``ranks`` order.
        ranks: ``(num_simulations, P)`` ints on ``{0, ..., num_ranks}``.
        num_ranks: ``L``, the posterior draws each rank counts against.
        alpha: the family-wise level of the verdict.
        level: the level of each single test, ``alpha / (2 P)``.
        num_bins: bins of the chi-square test.
        chi2_stat, chi2_pvalue: ``(P,)`` per scalar.
        band: the simultaneous ECDF band at ``level`` (:class:`ECDFBand`).
        band_inside: ``(P,)`` whether each scalar's rank ECDF lies inside it.
        passed: ``(P,)`` both tests pass; ``all_passed``: every scalar passes.
        ess: ``(num_simulations, P)`` bulk ESS of the ``L`` draws kept per fit (NaN
            where not computed).
        info: other per-simulation arrays (``num_divergent`` for NUTS) and settings.

    :func:`pplx.sbc` returns one; :func:`summarize_ranks` makes one from any ranks
    (e.g. those of another sampler), and ``.plot()`` draws the rank histogram and the
    ECDF difference with its band (matplotlib).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> res = summarize_ranks(["mu", "sigma"], rng.integers(0, 100, (400, 2)), 99)
        >>> res.num_simulations, res.names, res.all_passed, res.failed
        (400, ['mu', 'sigma'], True, [])
        >>> print(res.table().splitlines()[0])
        scalar  chi2 p   band  ess(med)  pass
    """

    names: list[str]
    ranks: np.ndarray
    num_ranks: int
    alpha: float
    level: float
    num_bins: int
    chi2_stat: np.ndarray
    chi2_pvalue: np.ndarray
    band: ECDFBand
    band_inside: np.ndarray
    passed: np.ndarray
    ess: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def num_simulations(self) -> int:
        return self.ranks.shape[0]

    @property
    def all_passed(self) -> bool:
        return bool(np.all(self.passed))

    @property
    def failed(self) -> list[str]:
        """Names of the scalars that fail a test."""
        return [n for n, ok in zip(self.names, self.passed, strict=True) if not ok]

    def table(self) -> str:
        """One line per scalar: chi-square p-value, band verdict, median ESS."""
        width = max(len(n) for n in self.names)
        lines = [f"{'scalar':<{width}}  chi2 p   band  ess(med)  pass"]
        for j, name in enumerate(self.names):
            ess = np.nanmedian(self.ess[:, j]) if np.isfinite(self.ess[:, j]).any() else np.nan
            lines.append(
                f"{name:<{width}}  {self.chi2_pvalue[j]:.4f}  "
                f"{'in ' if self.band_inside[j] else 'OUT'}   {ess:8.1f}  "
                f"{'yes' if self.passed[j] else 'NO'}"
            )
        verdict = "passed" if self.all_passed else f"FAILED ({', '.join(self.failed)})"
        lines.append(
            f"{self.num_simulations} simulations, L={self.num_ranks}: {verdict} at family-wise "
            f"level {self.alpha} (each test at {self.level:.2g}, Bonferroni)"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SBCResult(\n{self.table()}\n)"

    def plot(self, names: list[str] | None = None, *, axes=None):
        """Rank histogram and ECDF difference with the simultaneous band, per scalar.

        Args:
            names: the scalars to show (default: up to the first 6).
            axes: optional ``(len(names), 2)`` array of matplotlib axes.

        Returns:
            The matplotlib figure.
        """
        from .sbc_plot import plot_sbc

        return plot_sbc(self, names, axes=axes)


def summarize_ranks(
    names: list[str],
    ranks: np.ndarray,
    num_ranks: int,
    *,
    alpha: float = 0.05,
    num_bins: int | None = None,
    band_method: str = "optimize",
    ess: np.ndarray | None = None,
    info: dict | None = None,
) -> SBCResult:
    """The tests and verdict of SBC ranks ``(num_simulations, P)`` on ``{0, ..., L}``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> good = summarize_ranks(["a"], rng.integers(0, 100, (500, 1)), 99)
        >>> bad = summarize_ranks(["a"], rng.integers(0, 60, (500, 1)), 99)  # too low
        >>> good.all_passed, bad.all_passed
        (True, False)
    """
    ranks = np.asarray(ranks)
    if ranks.ndim != 2 or ranks.shape[1] != len(names):
        raise ValueError(f"ranks must be (num_simulations, {len(names)}), got {ranks.shape}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}.")
    n, p = ranks.shape
    bins = default_num_bins(num_ranks, n) if num_bins is None else num_bins
    level = alpha / (2 * p)
    stat, pvalue = rank_chi_square(ranks, num_ranks, bins)
    band = ecdf_band(n, num_ranks + 1, level, band_method)
    inside = inside_band(ranks, num_ranks, band)
    chi_ok = np.isnan(pvalue) | (pvalue > level)
    return SBCResult(
        names=list(names),
        ranks=ranks,
        num_ranks=num_ranks,
        alpha=alpha,
        level=level,
        num_bins=bins,
        chi2_stat=stat,
        chi2_pvalue=pvalue,
        band=band,
        band_inside=inside,
        passed=inside & chi_ok,
        ess=np.full(ranks.shape, np.nan) if ess is None else np.asarray(ess),
        info=dict(info or {}),
    )
