"""Rows of the distribution table for the time-series families (see ``dist_cases.py``).

Oracles are written independently of the implementations: the random walk and AR
densities are sums of ``scipy.stats.norm.logpdf`` over the innovations (one Python
loop over time), GARCH a NumPy loop over the volatility recursion, and the hidden
Markov model a brute-force sum over all ``K^T`` hidden paths.
"""

from __future__ import annotations

import itertools

import numpy as np
from dist_cases import Case, loop_oracle
from scipy import special as sps
from scipy import stats

from pplx.distributions.continuous.real import Normal
from pplx.distributions.processes.hmm import GaussianHMM
from pplx.distributions.processes.timeseries import AR, GARCH11, GaussianRandomWalk

# ------------------------------------------------------------------------------ oracles


def grw_logpdf(x, mu, sigma, init_loc=0.0, init_scale=100.0):
    lp = stats.norm.logpdf(x[0], init_loc, init_scale)
    for t in range(1, len(x)):
        lp += stats.norm.logpdf(x[t] - x[t - 1], mu, sigma)
    return lp


def ar_logpdf(x, rho, sigma, constant=False, init_loc=0.0, init_scale=100.0):
    rho = np.asarray(rho, float)
    const, coefs = (rho[0], rho[1:]) if constant else (0.0, rho)
    order = len(coefs)
    lp = np.sum(stats.norm.logpdf(x[:order], init_loc, init_scale))
    for t in range(order, len(x)):
        pred = const + sum(coefs[k - 1] * x[t - k] for k in range(1, order + 1))
        lp += stats.norm.logpdf(x[t], pred, sigma)
    return lp


def garch_logpdf(y, omega, alpha_1, beta_1, initial_vol):
    var = initial_vol**2
    lp = stats.norm.logpdf(y[0], 0.0, np.sqrt(var))
    for t in range(1, len(y)):
        var = omega + alpha_1 * y[t - 1] ** 2 + beta_1 * var
        lp += stats.norm.logpdf(y[t], 0.0, np.sqrt(var))
    return lp


def hmm_path_logjoint(y, initial_probs, transition_matrix, locs, scales):
    """``log p(z, y)`` for every hidden path ``z``: (paths, K^T) and the paths."""
    num_states, length = len(locs), len(y)
    paths = np.array(list(itertools.product(range(num_states), repeat=length)))
    joint = np.log(initial_probs[paths[:, 0]])
    for t in range(length):
        if t > 0:
            joint += np.log(transition_matrix[paths[:, t - 1], paths[:, t]])
        joint += stats.norm.logpdf(y[t], locs[paths[:, t]], scales[paths[:, t]])
    return joint, paths


def hmm_logpdf(y, initial_probs, transition_matrix, locs, scales):
    joint, _ = hmm_path_logjoint(y, initial_probs, transition_matrix, locs, scales)
    return sps.logsumexp(joint)


def hmm_smoothed(y, initial_probs, transition_matrix, locs, scales):
    """``p(z_t = k | y)`` by enumeration, ``(T, K)``."""
    joint, paths = hmm_path_logjoint(y, initial_probs, transition_matrix, locs, scales)
    weights = np.exp(joint - sps.logsumexp(joint))
    num_states = len(locs)
    return np.stack([np.bincount(z, weights, num_states) for z in paths.T])


def hmm_filtered(y, initial_probs, transition_matrix, locs, scales):
    """``p(z_t = k | y_0..y_t)`` by enumerating the prefix of length ``t + 1``."""
    rows = [
        hmm_smoothed(y[: t + 1], initial_probs, transition_matrix, locs, scales)[-1]
        for t in range(len(y))
    ]
    return np.stack(rows)


# --------------------------------------------------------------------------- parameters

_A2 = np.array([[0.7, 0.3], [0.2, 0.8]])
_A3 = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.25, 0.25, 0.5]])
_A3B = np.array([[0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.1, 0.4]])
_HMM_EVENT = {"initial_probs": 1, "transition_matrix": 2, "locs": 1, "scales": 1}


def _grw(mu, sigma, init_loc, init_scale):
    return GaussianRandomWalk(mu, sigma, Normal(init_loc, init_scale), steps=4)


def _ar2c(rho, sigma):
    # Per-lag initial distribution: the last batch axis of init_dist is the lag axis.
    return AR(rho, sigma, constant=True, init_dist=Normal(np.array([0.0, 1.0]), 2.0), steps=4)


def _ar2c_oracle(x, rho, sigma):
    return ar_logpdf(x, rho, sigma, constant=True, init_loc=np.array([0.0, 1.0]), init_scale=2.0)


TIMESERIES_CASES = [
    Case(
        "GaussianRandomWalk",
        _grw,
        dict(mu=0.3, sigma=1.2, init_loc=0.5, init_scale=2.0),
        dict(
            mu=np.array([0.0, 1.0, -2.0]),
            sigma=np.array([[0.5], [2.0]]),
            init_loc=np.array([0.0, 1.0, 2.0]),
            init_scale=1.5,
        ),
        loop_oracle(grw_logpdf, 1, dict(mu=0, sigma=0, init_loc=0, init_scale=0)),
        event_ndim=1,
        grad_params=("mu", "sigma", "init_loc", "init_scale"),
    ),
    Case(
        "GaussianRandomWalk-default-init",
        lambda mu, sigma: GaussianRandomWalk(mu, sigma, steps=3),
        dict(mu=-0.2, sigma=0.7),
        dict(mu=np.array([0.0, 1.0]), sigma=np.array([[0.5], [2.0], [1.0]])),
        loop_oracle(grw_logpdf, 1, dict(mu=0, sigma=0)),
        event_ndim=1,
        grad_params=("mu", "sigma"),
    ),
    Case(
        "AR1",
        lambda rho, sigma: AR(rho, sigma, steps=5),
        dict(rho=np.array([0.6]), sigma=0.8),
        dict(rho=np.array([[0.5], [-0.3], [0.9]]), sigma=np.array([[0.5], [2.0]])),
        loop_oracle(ar_logpdf, 1, dict(rho=1, sigma=0)),
        event_ndim=1,
        grad_params=("rho", "sigma"),
        batch_shape=(2, 3),
    ),
    Case(
        "AR2-constant",
        _ar2c,
        dict(rho=np.array([0.5, 0.6, -0.3]), sigma=1.1),
        dict(
            rho=np.array([[0.0, 0.5, 0.2], [1.0, -0.4, 0.3]]), sigma=np.array([[0.5], [1.5], [1.0]])
        ),
        loop_oracle(_ar2c_oracle, 1, dict(rho=1, sigma=0)),
        event_ndim=1,
        grad_params=("rho", "sigma"),
        batch_shape=(3, 2),
    ),
    Case(
        "GARCH11",
        lambda omega, alpha_1, beta_1, initial_vol: GARCH11(
            omega, alpha_1, beta_1, initial_vol, steps=4
        ),
        dict(omega=0.2, alpha_1=0.15, beta_1=0.6, initial_vol=0.8),
        dict(
            omega=np.array([0.1, 0.5, 1.0]),
            alpha_1=np.array([[0.05], [0.3]]),
            beta_1=0.5,
            initial_vol=np.array([0.5, 1.0, 2.0]),
        ),
        loop_oracle(garch_logpdf, 1, dict(omega=0, alpha_1=0, beta_1=0, initial_vol=0)),
        event_ndim=1,
        grad_params=("omega", "alpha_1", "beta_1", "initial_vol"),
    ),
    Case(
        "GaussianHMM-K2",
        lambda initial_probs, transition_matrix, locs, scales: GaussianHMM(
            initial_probs, transition_matrix, locs, scales, num_steps=4
        ),
        dict(
            initial_probs=np.array([0.6, 0.4]),
            transition_matrix=_A2,
            locs=np.array([-1.0, 2.0]),
            scales=np.array([0.5, 1.0]),
        ),
        dict(
            initial_probs=np.array([0.6, 0.4]),
            transition_matrix=_A2,
            locs=np.array([[-1.0, 2.0], [0.0, 0.5]]),
            scales=np.array([0.5, 1.0]),
        ),
        loop_oracle(hmm_logpdf, 1, _HMM_EVENT),
        event_ndim=1,
        grad_params=("initial_probs", "transition_matrix", "locs", "scales"),
        batch_shape=(2,),
    ),
    Case(
        "GaussianHMM-K3",
        lambda initial_probs, transition_matrix, locs, scales: GaussianHMM(
            initial_probs, transition_matrix, locs, scales, num_steps=4
        ),
        dict(
            initial_probs=np.array([0.5, 0.3, 0.2]),
            transition_matrix=_A3,
            locs=np.array([-2.0, 0.0, 3.0]),
            scales=np.array([0.5, 1.0, 0.8]),
        ),
        dict(
            initial_probs=np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]),
            transition_matrix=np.stack([_A3, _A3B]),
            locs=np.array([-2.0, 0.0, 3.0]),
            scales=np.array([0.5, 1.0, 0.8]),
        ),
        loop_oracle(hmm_logpdf, 1, _HMM_EVENT),
        event_ndim=1,
        grad_params=("transition_matrix", "locs", "scales"),
        batch_shape=(2,),
    ),
]
