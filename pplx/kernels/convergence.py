"""Rank-normalised split R-hat and bulk/tail ESS in JAX, for use inside compiled loops.

The NumPy estimators of :mod:`pplx.diagnostics.estimators` run on the host; these run in
a JAX program (``jit``, ``vmap``, ``lax.while_loop``), which is what a run that samples
until it has converged needs. Each takes draws ``(chain, draw)`` of one scalar in a buffer
of static length and an optional number of valid draws ``num_draws`` (traced), so one
compiled program serves every prefix of a growing buffer: draws at or after
``num_draws`` are ignored. The definitions are those of Vehtari et al. (2021) with
ArviZ's choices (split order, Blom offset 3/8, type-7 quantiles, Geyer's initial
monotone sequence, the floor ``1 / log10(n)`` on the autocorrelation time), so the values
equal ``arviz.rhat(method="rank")`` and ``arviz.ess(method="bulk" | "tail")`` on the same
draws to floating-point rounding (tests/test_until.py checks 1e-6 in float64).

Edge cases: a constant scalar has ESS equal to its number of draws and a NaN R-hat, as in
ArviZ; fewer than 4 valid draws give NaN.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri

__all__ = ["split_rhat", "ess_bulk", "ess_tail", "all_diagnostics"]

_MIN_DRAWS = 4


def _count(x: jax.Array, num_draws) -> jax.Array:
    return jnp.asarray(x.shape[1] if num_draws is None else num_draws, jnp.int32)


def _split(x: jax.Array, n: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(C, N) with n valid draws -> (2C, N // 2) split chains and their valid length.

    The first halves of all chains, then their second halves (the middle draw dropped
    when n is odd), as ArviZ stacks them; entries at or past the valid length are
    garbage and must be masked.
    """
    width = x.shape[1] // 2
    half = n // 2
    j = jnp.arange(width)
    second = jnp.take(x, jnp.clip(n - half + j, 0, x.shape[1] - 1), axis=1)
    return jnp.concatenate([x[:, :width], second], axis=0), half


def _mask(a: jax.Array, m: jax.Array) -> jax.Array:
    return jnp.arange(a.shape[1])[None, :] < m


def _sort_key(a: jax.Array) -> jax.Array:
    """Integers that order as the floats ``a`` do (XLA sorts integers several times faster
    than floats on a CPU); -0.0 becomes 0.0 first, so equal floats get equal keys."""
    itype = jnp.int64 if a.dtype == jnp.float64 else jnp.int32
    bits = jax.lax.bitcast_convert_type(jnp.where(a == 0, jnp.zeros_like(a), a), itype)
    return jnp.where(bits < 0, bits ^ jnp.iinfo(itype).max, bits)


def _from_key(key: jax.Array, dtype) -> jax.Array:
    bits = jnp.where(key < 0, key ^ jnp.iinfo(key.dtype).max, key)
    return jax.lax.bitcast_convert_type(bits, dtype)


def _sorted_valid(a: jax.Array, valid: jax.Array) -> jax.Array:
    flat = jnp.where(valid, a, jnp.inf).ravel()
    return _from_key(jnp.sort(_sort_key(flat)), flat.dtype)


def _ranks(a: jax.Array, valid: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Average 1-based ranks of the valid entries of ``a`` (ties share), and the sorted
    values (valid entries first, then ``inf``): one sort with the positions as payload."""
    flat = jnp.where(valid, a, jnp.inf).ravel()
    size = flat.shape[0]
    keys, order = jax.lax.sort_key_val(_sort_key(flat), jnp.arange(size))
    pos = jnp.arange(size)
    differs = keys[1:] != keys[:-1]
    starts = jnp.concatenate([jnp.ones(1, bool), differs])
    ends = jnp.concatenate([differs, jnp.ones(1, bool)])
    first = jax.lax.cummax(jnp.where(starts, pos, 0))
    last = jax.lax.cummin(jnp.where(ends, pos, size), reverse=True)
    rank = (first + last) / 2.0 + 1.0
    ranks = jnp.zeros(size, rank.dtype).at[order].set(rank, unique_indices=True)
    return ranks.reshape(a.shape), _from_key(keys, flat.dtype)


def _z_scale(a: jax.Array, m: jax.Array, ranked=None) -> jax.Array:
    """Normal scores of the average ranks of the valid entries of (C, M), jointly."""
    valid = _mask(a, m)
    size = a.shape[0] * m
    rank = (_ranks(a, valid) if ranked is None else ranked)[0]
    z = ndtri((rank - 0.375) / (size + 0.25))
    return jnp.where(valid, z, 0.0)


def _median(a: jax.Array, m: jax.Array, ordered=None) -> jax.Array:
    count = a.shape[0] * m
    ordered = _sorted_valid(a, _mask(a, m)) if ordered is None else ordered
    return 0.5 * (ordered[(count - 1) // 2] + ordered[count // 2])


def _quantile(a: jax.Array, m: jax.Array, prob: float, ordered=None) -> jax.Array:
    """Type-7 quantile of the valid entries (scipy's mquantiles with alphap=betap=1)."""
    count = a.shape[0] * m
    ordered = _sorted_valid(a, _mask(a, m)) if ordered is None else ordered
    aleph = (count - 1) * prob + 1.0
    k = jnp.clip(jnp.floor(aleph).astype(jnp.int32), 1, count - 1)
    gamma = jnp.clip(aleph - k, 0.0, 1.0)
    return (1.0 - gamma) * ordered[k - 1] + gamma * ordered[k]


def _chain_moments(a: jax.Array, m: jax.Array) -> tuple[jax.Array, jax.Array]:
    valid = _mask(a, m)
    mean = jnp.sum(jnp.where(valid, a, 0.0), axis=1) / m
    dev = jnp.where(valid, a - mean[:, None], 0.0)
    return mean, jnp.sum(dev**2, axis=1) / (m - 1)


def _rhat(a: jax.Array, m: jax.Array) -> jax.Array:
    mean, var = _chain_moments(a, m)
    between = m * jnp.var(mean, ddof=1)
    within = jnp.mean(var)
    return jnp.sqrt((between / within + m - 1) / m)


def _autocov(a: jax.Array, m: jax.Array) -> jax.Array:
    """Biased autocovariance of each chain at lags 0..M-1 (zero past the valid length)."""
    width = a.shape[1]
    fft_len = 1 << max(1, (2 * width - 1 - 1).bit_length())
    mean, _ = _chain_moments(a, jnp.maximum(m, 2))
    centred = jnp.where(_mask(a, m), a - mean[:, None], 0.0)
    spectrum = jnp.fft.rfft(centred, n=fft_len, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    return jnp.fft.irfft(power, n=fft_len, axis=1)[:, :width] / m


def _geyer_tau(rho: jax.Array, m: jax.Array) -> jax.Array:
    """Integrated autocorrelation time from rho (lags 0..M-1, rho[0] = 1), valid length m.

    Geyer's initial positive sequence made monotone, as a vectorised scan over lag pairs:
    the pairs are summed while positive, each capped by the previous (a running
    minimum), and the last pair taken contributes only its even term (Stan, ArviZ).
    """
    num_pairs_max = max(1, rho.shape[0] // 2)
    pairs = rho[: 2 * num_pairs_max].reshape(num_pairs_max, 2)
    sums = pairs.sum(axis=1)
    num_pairs = jnp.maximum(1, (m - 1) // 2)
    k = jnp.arange(num_pairs_max)
    not_positive = ~(sums > 0.0) | (k >= num_pairs)
    first_bad = jnp.where(jnp.any(not_positive), jnp.argmax(not_positive), num_pairs)
    last = jnp.minimum(num_pairs - 1, first_bad)
    capped = jax.lax.cummin(sums)
    body = jnp.sum(jnp.where(k < last, capped, 0.0))
    last_even, last_sum = pairs[last, 0], sums[last]
    tail = jnp.where((last_even > 0.0) | (last_sum >= 0.0), last_even, 0.0)
    return -1.0 + 2.0 * body + tail


def _is_constant(a: jax.Array, m: jax.Array) -> jax.Array:
    valid = _mask(a, m)
    spread = jnp.max(jnp.where(valid, a, -jnp.inf)) - jnp.min(jnp.where(valid, a, jnp.inf))
    return spread < jnp.finfo(a.dtype).resolution


def _ess(a: jax.Array, m: jax.Array) -> jax.Array:
    """ESS of (C, M) chains (already split if wanted) with valid length m."""
    num_chains = a.shape[0]
    size = num_chains * m
    acov = _autocov(a, m).mean(axis=0)
    mean_var = acov[0] * m / (m - 1.0)
    var_plus = mean_var * (m - 1.0) / m
    if num_chains > 1:
        var_plus = var_plus + jnp.var(_chain_moments(a, m)[0], ddof=1)
    rho = 1.0 - (mean_var - acov) / var_plus
    rho = rho.at[0].set(1.0)
    tau = jnp.maximum(_geyer_tau(rho, m), 1.0 / jnp.log10(size))
    return jnp.where(_is_constant(a, m), size.astype(a.dtype), size / tau)


def _prepare(x, num_draws):
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise ValueError(
            f"x must be one scalar's draws shaped (chain, draw); got shape {x.shape}. "
            "Map over parameters with jax.vmap(fn, in_axes=-1)."
        )
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    n = _count(x, num_draws)
    return x, n, _split(x, n)


def _nan_unless(ok, value):
    return jnp.where(ok, value, jnp.nan)


def split_rhat(x, num_draws=None) -> jax.Array:
    """Rank-normalised split R-hat of one scalar: ``arviz.rhat(x, method="rank")`` in JAX.

    Args:
        x: draws shaped ``(chain, draw)``.
        num_draws: how many leading draws of each chain to use (may be traced); default
            all of them.

    Returns:
        A scalar; NaN with fewer than 2 chains or 4 draws, or for a constant scalar.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> x = jax.random.normal(jax.random.key(0), (4, 500))
        >>> bool(split_rhat(x) < 1.01), bool(split_rhat(x + jnp.arange(4.0)[:, None]) > 1.1)
        (True, True)
    """
    x, n, (split, m) = _prepare(x, num_draws)
    bulk = _rhat(_z_scale(split, m), m)
    folded = jnp.abs(split - _median(split, m))
    tail = _rhat(_z_scale(folded, m), m)
    ok = (x.shape[0] >= 2) & (n >= _MIN_DRAWS) & ~_is_constant(split, m)
    return _nan_unless(ok, jnp.fmax(bulk, tail))


def ess_bulk(x, num_draws=None) -> jax.Array:
    """Bulk ESS of one scalar: ``arviz.ess(x, method="bulk")`` in JAX.

    Args:
        x: draws shaped ``(chain, draw)``.
        num_draws: how many leading draws of each chain to use (may be traced).

    Returns:
        A scalar; NaN with fewer than 4 draws.

    Example:
        >>> import jax
        >>> x = jax.random.normal(jax.random.key(0), (4, 500))
        >>> 1500 < float(ess_bulk(x)) < 2500
        True
    """
    _, n, (split, m) = _prepare(x, num_draws)
    return _nan_unless(n >= _MIN_DRAWS, _ess(_z_scale(split, m), m))


def ess_tail(x, num_draws=None) -> jax.Array:
    """Tail ESS of one scalar (the smaller ESS of the 5% and 95% quantile indicators):
    ``arviz.ess(x, method="tail")`` in JAX.

    Args:
        x: draws shaped ``(chain, draw)``.
        num_draws: how many leading draws of each chain to use (may be traced).

    Returns:
        A scalar; NaN with fewer than 4 draws.

    Example:
        >>> import jax
        >>> x = jax.random.normal(jax.random.key(0), (4, 500))
        >>> 1000 < float(ess_tail(x)) < 3000
        True
    """
    x, n, (split, m) = _prepare(x, num_draws)
    whole = _mask(x, n)

    def quantile_ess(prob):
        # the quantile of all valid draws, then the ESS of the split indicator
        cut = _quantile(x, n, prob)
        below = jnp.where(whole, x <= cut, False).astype(x.dtype)
        return _ess(_split(below, n)[0], m)

    value = jnp.minimum(quantile_ess(0.05), quantile_ess(0.95))
    return _nan_unless(n >= _MIN_DRAWS, value)


def _diagnose(x: jax.Array, n: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """R-hat, bulk ESS and tail ESS of one scalar ``(chain, draw)`` with ``n`` valid
    draws, sharing the work of the three: one sort of the split draws serves the bulk
    ranks and the median, one sort of all draws both tail quantiles, and the three ESS
    autocovariances are one batched FFT."""
    split, m = _split(x, n)
    ranked = _ranks(split, _mask(split, m))
    z = _z_scale(split, m, ranked)
    folded = jnp.abs(split - _median(split, m, ranked[1]))
    rhat = jnp.fmax(_rhat(z, m), _rhat(_z_scale(folded, m), m))
    ordered = _sorted_valid(x, _mask(x, n))
    whole = _mask(x, n)
    below = [
        _split(jnp.where(whole, x <= _quantile(x, n, p, ordered), False).astype(x.dtype), n)[0]
        for p in (0.05, 0.95)
    ]
    ess = jax.vmap(_ess, in_axes=(0, None))(jnp.stack([z] + below), m)
    enough = n >= _MIN_DRAWS
    ok = (x.shape[0] >= 2) & enough & ~_is_constant(split, m)
    return (
        _nan_unless(ok, rhat),
        _nan_unless(enough, ess[0]),
        _nan_unless(enough, jnp.minimum(ess[1], ess[2])),
    )


def all_diagnostics(draws, num_draws=None) -> tuple[jax.Array, jax.Array, jax.Array]:
    """R-hat, bulk ESS and tail ESS of every scalar of draws ``(chain, draw, d)``.

    The same values as :func:`split_rhat`, :func:`ess_bulk` and :func:`ess_tail`, computed
    together (a smaller program: the until loop compiles it once).

    Args:
        draws: draws shaped ``(chain, draw, d)`` (a flat vector of scalars per draw).
        num_draws: how many leading draws to use (may be traced).

    Returns:
        ``(rhat, ess_bulk, ess_tail)``, each shaped ``(d,)``.

    Example:
        >>> import jax
        >>> x = jax.random.normal(jax.random.key(1), (4, 400, 3))
        >>> [a.shape for a in all_diagnostics(x, num_draws=200)]
        [(3,), (3,), (3,)]
    """
    draws = jnp.asarray(draws)
    if draws.ndim != 3:
        raise ValueError(f"draws must be shaped (chain, draw, d); got shape {draws.shape}.")
    if not jnp.issubdtype(draws.dtype, jnp.floating):
        draws = draws.astype(jnp.result_type(float))
    n = _count(draws, num_draws)
    return jax.vmap(lambda x: _diagnose(x, n), in_axes=2)(draws)
