"""Uniformity tests of SBC ranks: chi-square and simultaneous ECDF bands (NumPy only).

A rank ``r`` of simulation-based calibration is the number of ``L`` posterior draws
below the true value: under a correct sampler it is uniform on ``{0, ..., L}``. With
``K = L + 1`` evaluation points ``z_i = i / K`` the count of ranks below ``i`` is
``Binomial(N, z_i)``, and the counts at successive points are the partial sums of a
multinomial: exactly the law of the ECDF of ``N`` uniform draws at those points. So the
simultaneous band of Säilynoja, Bürkner & Vehtari (2022, "Graphical test for discrete
uniformity and its applications in goodness-of-fit evaluation and multiple sample
comparison", Statistics and Computing 32:32) applies to ranks without approximation.

The band at level ``1 - alpha`` is the pointwise band of level ``1 - gamma`` (the
``gamma / 2`` and ``1 - gamma / 2`` binomial quantiles at every point), with ``gamma``
chosen so the whole ECDF lies inside with probability ``1 - alpha``. Two ways to find
``gamma``, both from the paper: ``"optimize"`` computes the simultaneous coverage
exactly (a forward recursion over the counts) and bisects on ``gamma``;
``"simulate"`` takes the ``alpha``-quantile of the smallest pointwise tail probability
over many simulated uniform samples.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np


class ECDFBand(NamedTuple):
    """A simultaneous band for the ECDF of ``num_samples`` uniform values.

    Attributes:
        z: the evaluation points ``i / K``, ``i = 1, ..., K - 1``.
        lower, upper: the band in counts at each point (inclusive): the ECDF times
            ``num_samples`` lies in ``[lower, upper]`` at every point with probability
            ``coverage``.
        gamma: the pointwise level that makes the band simultaneous.
        coverage: the band's simultaneous coverage (exact for ``"optimize"``).
        num_samples: ``N``.
        alpha: the requested ``1 - coverage``.
    """

    z: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    gamma: float
    coverage: float
    num_samples: int
    alpha: float


@functools.lru_cache(maxsize=8)
def _log_factorials(n: int) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])


@functools.lru_cache(maxsize=32)
def _binomial_cdfs(n: int, num_points: int) -> np.ndarray:
    """``cdf[i, c] = P(Binomial(n, z_i) <= c)`` for ``z_i = (i + 1) / num_points``."""
    z = np.arange(1, num_points) / num_points
    c = np.arange(n + 1)
    lf = _log_factorials(n)
    log_pmf = (
        lf[n]
        - lf[c][None]
        - lf[n - c][None]
        + c[None] * np.log(z)[:, None]
        + (n - c)[None] * np.log1p(-z)[:, None]
    )
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    return np.minimum(cdf / cdf[:, -1:], 1.0)


def _pointwise_band(n: int, num_points: int, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Counts ``[lower, upper]`` holding ``1 - gamma`` of ``Binomial(n, z_i)`` at each point."""
    cdf = _binomial_cdfs(n, num_points)
    lower = np.array([np.searchsorted(row, gamma / 2) for row in cdf])
    upper = np.array([np.searchsorted(row, 1 - gamma / 2) for row in cdf])
    return lower, np.minimum(upper, n)


def _transition(n: int, lf: np.ndarray, prev: np.ndarray, new: np.ndarray, q: float):
    """``P(count at the next point = new | count now = prev)``: ``new - prev`` of the
    ``n - prev`` remaining uniforms fall in the next interval, each with probability ``q``."""
    m = new[None, :] - prev[:, None]
    rest = (n - prev)[:, None]
    ok = (m >= 0) & (m <= rest)
    m_ok, rest_ok = np.where(ok, m, 0), np.where(ok, rest, 0)
    log_p = lf[rest_ok] - lf[m_ok] - lf[rest_ok - m_ok] + m_ok * math.log(q)
    if q < 1.0:
        log_p = log_p + (rest_ok - m_ok) * math.log1p(-q)
    else:
        log_p = np.where(rest_ok == m_ok, log_p, -np.inf)
    return np.where(ok, np.exp(log_p), 0.0)


def band_coverage(n: int, num_points: int, lower: np.ndarray, upper: np.ndarray) -> float:
    """Exact probability that the ECDF counts of ``n`` uniforms at ``z_i = i / K`` all lie
    in ``[lower_i, upper_i]`` (the forward recursion of Säilynoja et al., 2022).

    Example:
        >>> import numpy as np
        >>> round(band_coverage(10, 2, np.array([0]), np.array([10])), 12)  # no constraint
        1.0
        >>> round(band_coverage(2, 2, np.array([1]), np.array([1])), 12)  # one of two below 1/2
        0.5
    """
    lf = _log_factorials(n)
    states, probs = np.array([0]), np.array([1.0])
    for i in range(1, num_points):
        new = np.arange(lower[i - 1], upper[i - 1] + 1)
        q = 1.0 / (num_points - i + 1)  # the next interval's share of what is left
        probs = probs @ _transition(n, lf, states, new, q)
        states = new
    return float(probs.sum())


def _gamma_by_optimizing(n: int, num_points: int, alpha: float) -> float:
    """The largest pointwise level whose band still covers ``1 - alpha`` (bisection on
    ``log gamma`` between Bonferroni's ``alpha / (K - 1)``, which always covers, and
    ``alpha``)."""

    def covers(gamma):
        return band_coverage(n, num_points, *_pointwise_band(n, num_points, gamma)) >= 1 - alpha

    lo, hi = math.log(alpha / max(num_points - 1, 1)), math.log(alpha)
    if covers(math.exp(hi)):
        return alpha
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if covers(math.exp(mid)) else (lo, mid)
    return math.exp(lo)


def _gamma_by_simulating(n: int, num_points: int, alpha: float, num_trials: int, seed: int):
    """The ``alpha``-quantile of the smallest two-sided pointwise tail probability of the
    ECDF counts of ``num_trials`` simulated uniform samples."""
    rng = np.random.default_rng(seed)
    cells = rng.multinomial(n, np.full(num_points, 1.0 / num_points), size=num_trials)
    counts = np.cumsum(cells, axis=1)[:, :-1]  # (trial, point)
    cdf = _binomial_cdfs(n, num_points)
    rows = np.arange(num_points - 1)[None, :]
    below = cdf[rows, counts]  # P(X <= c)
    above = 1.0 - np.where(counts > 0, cdf[rows, np.maximum(counts - 1, 0)], 0.0)  # P(X >= c)
    smallest = np.min(np.minimum(2 * np.minimum(below, above), 1.0), axis=1)
    return float(np.quantile(smallest, alpha, method="lower"))


@functools.lru_cache(maxsize=64)
def ecdf_band(
    num_samples: int,
    num_points: int,
    alpha: float = 0.05,
    method: str = "optimize",
    num_trials: int = 10000,
    seed: int = 0,
) -> ECDFBand:
    """The simultaneous ``1 - alpha`` band of the ECDF of ``num_samples`` uniforms at
    ``z_i = i / num_points`` (for SBC ranks on ``{0, ..., L}``: ``num_points = L + 1``).

    Args:
        num_samples: ``N``, the number of values (simulations).
        num_points: ``K``; the band is given at the ``K - 1`` interior points.
        alpha: ``1 -`` the simultaneous coverage.
        method: ``"optimize"`` (exact coverage, bisection on ``gamma``) or
            ``"simulate"`` (``num_trials`` simulated samples; coverage then computed
            exactly for the chosen ``gamma``).
        num_trials, seed: the simulation's size and seed.

    Returns:
        :class:`ECDFBand`.

    Example:
        >>> band = ecdf_band(100, 20, alpha=0.05)
        >>> bool(0.94 < band.coverage < 0.96), bool(band.gamma < 0.05)
        (True, True)
    """
    _check_band_settings(num_samples, num_points, alpha, method)
    if method == "optimize":
        gamma = _gamma_by_optimizing(num_samples, num_points, alpha)
    else:
        gamma = _gamma_by_simulating(num_samples, num_points, alpha, num_trials, seed)
    lower, upper = _pointwise_band(num_samples, num_points, gamma)
    coverage = band_coverage(num_samples, num_points, lower, upper)
    z = np.arange(1, num_points) / num_points
    return ECDFBand(z, lower, upper, gamma, coverage, num_samples, alpha)


def _check_band_settings(num_samples, num_points, alpha, method) -> None:
    if not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}.")
    if not isinstance(num_points, int) or num_points < 2:
        raise ValueError(f"num_points must be an int >= 2, got {num_points!r}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}.")
    if method not in ("optimize", "simulate"):
        raise ValueError(f"method must be 'optimize' or 'simulate', got {method!r}.")


def rank_ecdf_counts(ranks: np.ndarray, num_ranks: int) -> np.ndarray:
    """Counts of ranks below ``i`` for ``i = 1, ..., L`` (ranks on ``{0, ..., L}``): the
    ECDF times ``N`` at the band's points ``i / (L + 1)``; ``ranks`` shaped ``(N, ...)``."""
    ranks = np.asarray(ranks, dtype=np.int64)
    flat = ranks.reshape(ranks.shape[0], -1)
    cells = np.zeros((num_ranks + 1, flat.shape[1]), dtype=np.int64)
    np.add.at(cells, (flat, np.broadcast_to(np.arange(flat.shape[1]), flat.shape)), 1)
    return np.cumsum(cells, axis=0)[:-1].reshape((num_ranks,) + ranks.shape[1:])


def inside_band(ranks: np.ndarray, num_ranks: int, band: ECDFBand) -> np.ndarray:
    """Whether each column of ``ranks`` ``(N, P)`` has its ECDF inside ``band``."""
    counts = rank_ecdf_counts(ranks, num_ranks)  # (L, P)
    low, high = band.lower[:, None], band.upper[:, None]
    return np.all((counts >= low) & (counts <= high), axis=0)


# ----- chi-square ----------------------------------------------------------------------
def _lower_gamma_series(a: float, x: float) -> float:
    """Regularised lower incomplete gamma ``P(a, x)`` by its power series (``x < a + 1``)."""
    term = total = 1.0 / a
    k = a
    while abs(term) > 1e-16 * abs(total):
        k += 1.0
        term *= x / k
        total += term
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_gamma_fraction(a: float, x: float) -> float:
    """Regularised upper incomplete gamma ``Q(a, x)`` by its continued fraction
    (modified Lentz; ``x >= a + 1``)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c, d = 1.0 / tiny, 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(x: float, dof: int) -> float:
    """``P(chi2_dof > x)``: the chi-square survival function (no SciPy).

    Example:
        >>> round(chi2_sf(3.841458820694124, 1), 6)
        0.05
    """
    if x <= 0:
        return 1.0
    a, half = dof / 2.0, x / 2.0
    if half < a + 1.0:
        return max(0.0, 1.0 - _lower_gamma_series(a, half))
    return _upper_gamma_fraction(a, half)


def default_num_bins(num_ranks: int, num_simulations: int) -> int:
    """Equal-width bins of the ``L + 1`` rank values: the largest divisor of ``L + 1``
    up to 20 that leaves at least 5 expected ranks per bin (1 when none does)."""
    fits = [b for b in range(2, 21) if (num_ranks + 1) % b == 0 and num_simulations / b >= 5]
    return max(fits, default=1)


def rank_chi_square(
    ranks: np.ndarray, num_ranks: int, num_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's chi-square test of uniform ranks, per column of ``ranks`` ``(N, P)``.

    The ``L + 1`` rank values are grouped into ``num_bins`` equal bins (``num_bins``
    must divide ``L + 1``).

    Returns:
        ``(statistic, p_value)``, each ``(P,)``; NaN with fewer than 2 bins.

    Example:
        >>> import numpy as np
        >>> ranks = np.tile(np.arange(100), 10)[:, None]  # perfectly even
        >>> stat, p = rank_chi_square(ranks, 99, 20)
        >>> float(stat[0]), float(p[0])
        (0.0, 1.0)
    """
    ranks = np.asarray(ranks)
    if num_bins < 2:
        nan = np.full(ranks.shape[1], np.nan)
        return nan, nan
    if (num_ranks + 1) % num_bins:
        raise ValueError(f"num_bins={num_bins} must divide the {num_ranks + 1} rank values.")
    width = (num_ranks + 1) // num_bins
    counts = np.stack([np.sum(ranks // width == b, axis=0) for b in range(num_bins)])
    expected = ranks.shape[0] / num_bins
    stat = np.sum((counts - expected) ** 2 / expected, axis=0)
    p = np.array([chi2_sf(float(s), num_bins - 1) for s in stat])
    return stat, p
