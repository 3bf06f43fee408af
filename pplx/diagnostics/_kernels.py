"""Batched numerical kernels behind the public diagnostics.

Every function here works on float64 arrays shaped ``(P, chain, draw)``: one row per scalar
parameter element, so a whole parameter (or a block of them) is handled in one numpy call
instead of a Python loop over elements. Definitions follow Vehtari, Gelman, Simpson,
Carpenter and Bürkner (2021), "Rank-normalization, folding, and localization: an improved
R-hat", and match ArviZ's implementation choices (split order, Blom offset 3/8, type-7
quantiles, the floor ``1 / log10(n)`` on the integrated autocorrelation time).
"""

from __future__ import annotations

import functools

import numpy as np

# ArviZ treats a (transformed) row whose range is below this as constant and returns its size
# as the ESS instead of dividing by a zero variance.
_CONSTANT_RANGE = np.finfo(np.float64).resolution


def split_chains(a: np.ndarray) -> np.ndarray:
    """(P, C, N) -> (P, 2C, N // 2): first halves of all chains, then second halves.

    With an odd number of draws the middle draw is dropped, as ArviZ and Stan do.
    """
    half = a.shape[2] // 2
    return np.concatenate([a[:, :, :half], a[:, :, a.shape[2] - half :]], axis=1)


@functools.lru_cache(maxsize=8)
def _normal_scores(size: int) -> np.ndarray:
    """Normal quantiles of Blom-offset average ranks, indexed by ``2 * rank - 2``.

    Average ranks (ties share the mean of their positions) are always multiples of 1/2, so
    for a given sample size there are only ``2 * size - 1`` possible scores. Computing them
    once with the standard library's inverse normal CDF (Wichura's AS241, accurate to double
    precision) keeps this module free of scipy and exact to rounding.
    """
    import statistics  # loads when first used, not with import pplx

    inv_cdf = statistics.NormalDist().inv_cdf
    ranks = 1.0 + 0.5 * np.arange(2 * size - 1)
    probs = (ranks - 3.0 / 8.0) / (size + 1.0 / 4.0)
    scores = np.array([inv_cdf(float(p)) for p in probs])
    scores.flags.writeable = False
    return scores


def z_scale(a: np.ndarray) -> np.ndarray:
    """Rank-normalise each row of (P, C, N) jointly over all its chains and draws."""
    num_rows = a.shape[0]
    flat = a.reshape(num_rows, -1)
    size = flat.shape[1]
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    positions = np.broadcast_to(np.arange(size), flat.shape)
    # A tie group spans sorted positions [first, last]; every member gets rank
    # (first + last) / 2 + 1, i.e. table index first + last.
    starts_group = np.ones(flat.shape, dtype=bool)
    starts_group[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends_group = np.ones(flat.shape, dtype=bool)
    ends_group[:, :-1] = starts_group[:, 1:]
    first = np.maximum.accumulate(np.where(starts_group, positions, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends_group, positions, size - 1)[:, ::-1], axis=1)[
        :, ::-1
    ]
    index = np.empty(flat.shape, dtype=np.intp)
    np.put_along_axis(index, order, first + last, axis=1)
    return _normal_scores(size)[index].reshape(a.shape)


def fold(a: np.ndarray) -> np.ndarray:
    """Absolute deviation of each row of (P, C, N) from that row's median."""
    median = np.median(a.reshape(a.shape[0], -1), axis=1)
    return np.abs(a - median[:, None, None])


def rhat(a: np.ndarray) -> np.ndarray:
    """Classic potential scale reduction of each row of (P, C, N); NaN where undefined."""
    num_draws = a.shape[2]
    chain_mean = a.mean(axis=2)
    within = a.var(axis=2, ddof=1).mean(axis=1)
    between = num_draws * chain_mean.var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + num_draws - 1) / num_draws)


def autocovariance(a: np.ndarray) -> np.ndarray:
    """Biased autocovariance (divided by N) at every lag along the last axis, via FFT."""
    num_draws = a.shape[-1]
    # Zero padding to >= 2N - 1 turns the circular correlation into the linear one.
    fft_len = 1 << int(np.ceil(np.log2(max(2 * num_draws - 1, 1))))
    centred = a - a.mean(axis=-1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=fft_len, axis=-1)
    power = (spectrum * np.conjugate(spectrum)).real
    return np.fft.irfft(power, n=fft_len, axis=-1)[..., :num_draws] / num_draws


def _geyer_tau(rho: np.ndarray) -> np.ndarray:
    """Integrated autocorrelation time of each row of rho (P, N) with rho[:, 0] == 1.

    Geyer's initial positive sequence (sum pairs rho[2k] + rho[2k+1] while positive),
    made monotone (each pair sum capped by the previous one), written without a Python
    loop: the cap is a running minimum and the stopping point is the first non-positive
    pair. The last pair taken contributes only its even term, as in Stan and ArviZ.
    """
    num_rows, num_draws = rho.shape
    num_pairs = max(1, -(-(num_draws - 2) // 2))
    pairs = rho[:, : 2 * num_pairs].reshape(num_rows, num_pairs, 2)
    pair_sums = pairs.sum(axis=2)
    not_positive = ~(pair_sums > 0.0)
    first_bad = np.where(not_positive.any(axis=1), not_positive.argmax(axis=1), num_pairs)
    last = np.minimum(num_pairs - 1, first_bad)
    capped = np.minimum.accumulate(pair_sums, axis=1)
    before_last = np.arange(num_pairs)[None, :] < last[:, None]
    body = np.where(before_last, capped, 0.0).sum(axis=1)
    rows = np.arange(num_rows)
    last_even = pairs[rows, last, 0]
    last_sum = pair_sums[rows, last]
    tail = np.where((last_even > 0.0) | (last_sum >= 0.0), last_even, 0.0)
    return -1.0 + 2.0 * body + tail


def ess(a: np.ndarray) -> np.ndarray:
    """Effective sample size of each row of (P, C, N), chains already split if wanted."""
    _, num_chains, num_draws = a.shape
    size = num_chains * num_draws
    acov = autocovariance(a).mean(axis=1)
    mean_var = acov[:, 0] * num_draws / (num_draws - 1.0)
    var_plus = mean_var * (num_draws - 1.0) / num_draws
    if num_chains > 1:
        var_plus = var_plus + a.mean(axis=2).var(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    tau = np.maximum(_geyer_tau(rho), 1.0 / np.log10(size))
    flat = a.reshape(a.shape[0], -1)
    constant = (flat.max(axis=1) - flat.min(axis=1)) < _CONSTANT_RANGE
    result = np.where(constant, float(size), size / tau)
    return np.where(np.isfinite(flat).all(axis=1) | constant, result, np.nan)
