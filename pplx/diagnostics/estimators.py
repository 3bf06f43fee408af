"""Convergence diagnostics for MCMC draws: R-hat, ESS, MCSE and E-BFMI.

Every function takes draws shaped ``(chain, draw, *param_shape)`` (numpy or JAX arrays) and
returns one value per parameter element, shaped ``param_shape`` (a numpy scalar for a scalar
parameter). Results match ArviZ (``rhat(method="rank")``, ``ess(method="bulk" | "tail" |
"mean")``, ``mcse(method="mean" | "sd")``, ``bfmi``) to floating-point rounding.

Edge cases follow ArviZ: fewer than 4 draws, or a NaN among a parameter's draws, gives NaN
for that parameter; R-hat needs at least 2 chains (NaN otherwise) and is NaN for a parameter
that is constant; the ESS of a constant parameter is the number of draws used.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _kernels

__all__ = ["split_rhat", "ess_bulk", "ess_tail", "ess_mean", "mcse_mean", "mcse_sd", "bfmi"]

_MIN_DRAWS = 4
# Rows handled per numpy call: bounds the memory of the FFT for models with many parameters.
_BLOCK_ELEMENTS = 1 << 22


def _per_element(
    x, fn: Callable[[np.ndarray], np.ndarray], *, min_chains: int = 1, name: str = "x"
):
    """Apply ``fn`` (rows (P, chain, draw) -> (P,)) to every parameter element of ``x``."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"{name} must be shaped (chain, draw, *param_shape); got shape {x.shape}. "
            "For a single chain of draws, pass x[None]."
        )
    num_chains, num_draws, *param_shape = x.shape
    rows = np.moveaxis(x.reshape(num_chains, num_draws, -1), 2, 0).astype(np.float64)
    out = np.full(rows.shape[0], np.nan)
    if num_draws >= _MIN_DRAWS and num_chains >= min_chains:
        valid = ~np.isnan(rows).any(axis=(1, 2))
        good = np.flatnonzero(valid)
        step = max(1, _BLOCK_ELEMENTS // max(1, num_chains * num_draws))
        for start in range(0, good.size, step):
            block = good[start : start + step]
            out[block] = fn(rows[block])
    return out.reshape(param_shape)[()]


def _rank_rhat(rows: np.ndarray) -> np.ndarray:
    split = _kernels.split_chains(rows)
    bulk = _kernels.rhat(_kernels.z_scale(split))
    tail = _kernels.rhat(_kernels.z_scale(_kernels.fold(split)))
    # fmax: chains stuck at different constants have an infinite bulk R-hat but a NaN
    # folded one (every folded value is equal); the answer is the infinite one.
    return np.fmax(bulk, tail)


def _bulk_ess(rows: np.ndarray) -> np.ndarray:
    return _kernels.ess(_kernels.z_scale(_kernels.split_chains(rows)))


def _quantile_ess(rows: np.ndarray, prob: float) -> np.ndarray:
    flat = rows.reshape(rows.shape[0], -1)
    cut = np.quantile(flat, prob, axis=1)  # type 7 (linear), as ArviZ
    below = (rows <= cut[:, None, None]).astype(np.float64)
    return _kernels.ess(_kernels.split_chains(below))


def _tail_ess(rows: np.ndarray) -> np.ndarray:
    return np.minimum(_quantile_ess(rows, 0.05), _quantile_ess(rows, 0.95))


def _mean_ess(rows: np.ndarray) -> np.ndarray:
    return _kernels.ess(_kernels.split_chains(rows))


def _mean_mcse(rows: np.ndarray) -> np.ndarray:
    sd = rows.reshape(rows.shape[0], -1).std(axis=1, ddof=1)
    return sd / np.sqrt(_mean_ess(rows))


def _sd_mcse(rows: np.ndarray) -> np.ndarray:
    flat = rows.reshape(rows.shape[0], -1)
    squared_dev = (rows - flat.mean(axis=1)[:, None, None]) ** 2
    second = squared_dev.reshape(rows.shape[0], -1).mean(axis=1)
    fourth = (squared_dev**2).reshape(rows.shape[0], -1).mean(axis=1)
    # Delta method: Var(sd) ~ Var(s^2) / (4 s^2), with Var(s^2) from the ESS of (x - mean)^2.
    with np.errstate(divide="ignore", invalid="ignore"):
        var_of_var = (fourth - second**2) / _mean_ess(squared_dev)
        return np.sqrt(var_of_var / second / 4.0)


def split_rhat(x):
    """Rank-normalised split R-hat: the larger of the bulk and the folded (tail) R-hat.

    Chains are split in half, the draws of each parameter element are replaced by normal
    scores of their ranks, and the classic R-hat is computed on them and on the folded
    draws ``|x - median|`` (Vehtari et al. 2021). Values above 1.01 suggest the chains have
    not mixed. Matches ``arviz.rhat(..., method="rank")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        R-hat shaped ``param_shape``; NaN with fewer than 2 chains or 4 draws, for a
        parameter with NaN draws, or for a constant parameter.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 500, 3))
        >>> split_rhat(x).shape
        (3,)
        >>> bool(np.all(split_rhat(x) < 1.01))
        True
        >>> bool(split_rhat(x + np.arange(4.0)[:, None, None]).min() > 1.1)
        True
    """
    return _per_element(x, _rank_rhat, min_chains=2)


def ess_bulk(x):
    """Bulk effective sample size: the ESS of the rank-normalised split chains.

    Measures how well the centre of the distribution (mean, median) is estimated. Uses the
    FFT autocorrelation and Geyer's initial monotone sequence. Matches
    ``arviz.ess(..., method="bulk")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        Bulk ESS shaped ``param_shape``.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 500))
        >>> 1500 < float(ess_bulk(x)) < 2500
        True
    """
    return _per_element(x, _bulk_ess)


def ess_tail(x):
    """Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators.

    Measures how well tail quantiles (and so credible intervals) are estimated. Matches
    ``arviz.ess(..., method="tail")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        Tail ESS shaped ``param_shape``.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 500))
        >>> 1000 < float(ess_tail(x)) < 3000
        True
    """
    return _per_element(x, _tail_ess)


def ess_mean(x):
    """Effective sample size for the mean: the ESS of the split chains, not rank-normalised.

    Matches ``arviz.ess(..., method="mean")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        ESS shaped ``param_shape``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> ar = np.zeros((2, 1000))
        >>> for t in range(1, 1000):
        ...     ar[:, t] = 0.9 * ar[:, t - 1] + rng.normal(size=2)
        >>> float(ess_mean(ar)) < 300
        True
    """
    return _per_element(x, _mean_ess)


def mcse_mean(x):
    """Monte Carlo standard error of the posterior mean: ``sd / sqrt(ess_mean)``.

    Matches ``arviz.mcse(..., method="mean")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        MCSE shaped ``param_shape``.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 1000))
        >>> 0.01 < float(mcse_mean(x)) < 0.02
        True
    """
    return _per_element(x, _mean_mcse)


def mcse_sd(x):
    """Monte Carlo standard error of the posterior standard deviation.

    Uses the delta method on the variance, with the ESS of the squared deviations from the
    mean. Matches ``arviz.mcse(..., method="sd")``.

    Args:
        x: draws shaped ``(chain, draw, *param_shape)``.

    Returns:
        MCSE shaped ``param_shape``; NaN for a constant parameter.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(4, 1000))
        >>> 0.005 < float(mcse_sd(x)) < 0.02
        True
    """
    return _per_element(x, _sd_mcse)


def bfmi(energy):
    """Energy Bayesian fraction of missing information (E-BFMI), one value per chain.

    ``mean(diff(E)^2) / var(E)`` per chain, where E is the Hamiltonian energy at each draw.
    Values below 0.3 indicate that momentum resampling explores the energy distribution
    poorly (Betancourt 2016). Matches ``arviz.bfmi``.

    Args:
        energy: energy shaped ``(chain, draw)``.

    Returns:
        E-BFMI shaped ``(chain,)``; NaN for a chain with constant energy.

    Example:
        >>> import numpy as np
        >>> energy = np.random.default_rng(0).normal(size=(2, 1000))
        >>> bfmi(energy).round(1)
        array([2., 2.])
    """
    energy = np.asarray(energy, dtype=np.float64)
    if energy.ndim != 2:
        raise ValueError(
            f"energy must be shaped (chain, draw); got shape {energy.shape}. "
            "For a single chain, pass energy[None]."
        )
    if energy.shape[1] < 2:
        return np.full(energy.shape[0], np.nan)
    jumps = np.square(np.diff(energy, axis=1)).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return jumps / energy.var(axis=1, ddof=1)
