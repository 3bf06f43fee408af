"""Time-series distributions: the generic table checks plus family-specific oracles.

The table rows (``dist_cases_timeseries.py``) run through the same checks as
``test_dist_families.test_family``: oracle parity for scalar and batched parameters,
sample moments within 5 MCSE, shapes, support and gradients against finite
differences, with the parameters traced by ``jax.jit``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dist_cases_timeseries import (
    TIMESERIES_CASES,
    ar_logpdf,
    hmm_filtered,
    hmm_logpdf,
    hmm_smoothed,
)
from scipy import stats
from test_dist_families import NUM_DRAWS, _check_density, _check_draws, _check_shapes, _sample

from pplx.distributions.continuous.real import Normal
from pplx.distributions.multivariate.normal import MultivariateNormal
from pplx.distributions.processes.hmm import GaussianHMM
from pplx.distributions.processes.timeseries import AR, GARCH11, GaussianRandomWalk


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in TIMESERIES_CASES])
def test_timeseries_family(case):
    d = case.make(**case.batched)
    draws = np.asarray(_sample(d, jax.random.key(0), (NUM_DRAWS,)))
    _check_shapes(case, draws)
    _check_draws(case, draws)
    _check_density(case, draws[:5])


# -------------------------------------------------------------------------------- HMM

_A = np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.25, 0.25, 0.5]])
_HMM = dict(
    initial_probs=np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]),
    transition_matrix=np.stack([_A, _A[::-1]]),
    locs=np.array([-2.0, 0.0, 3.0]),
    scales=np.array([0.5, 1.0, 0.8]),
)


@eqx.filter_jit
def _hmm_inference(d, y):
    return d.log_prob(y), d.filter(y), d.posterior_marginals(y)


def test_hmm_hidden_states_match_enumeration():
    y = np.random.default_rng(0).normal(0.0, 2.0, (2, 2, 4))  # (2, batch 2, T 4)
    d = GaussianHMM(**_HMM, num_steps=4)
    log_prob, filtered, smoothed = (np.asarray(a) for a in _hmm_inference(d, y))
    assert smoothed.shape == filtered.shape == (2, 2, 4, 3)
    for i, b in np.ndindex(2, 2):
        params = {
            "initial_probs": _HMM["initial_probs"][b],
            "transition_matrix": _HMM["transition_matrix"][b],
            "locs": _HMM["locs"],
            "scales": _HMM["scales"],
        }
        want = hmm_smoothed(y[i, b], **params)
        np.testing.assert_allclose(np.exp(smoothed[i, b]), want, rtol=1e-9, atol=1e-12)
        want = hmm_filtered(y[i, b], **params)
        np.testing.assert_allclose(np.exp(filtered[i, b]), want, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(log_prob[i, b], hmm_logpdf(y[i, b], **params), rtol=1e-10)


def test_hmm_sample_with_states_is_consistent():
    # Batch member 0 starts in state 1 with certainty.
    initial = np.array([[0.0, 1.0, 0.0], [0.2, 0.2, 0.6]])
    d = GaussianHMM(**dict(_HMM, initial_probs=initial), num_steps=4)
    states, values = eqx.filter_jit(d.sample_with_states)(jax.random.key(2), (50,))
    assert states.shape == values.shape == (50, 2, 4)
    assert jnp.issubdtype(states.dtype, jnp.integer)
    assert bool(jnp.all((states >= 0) & (states < 3)))
    assert bool(jnp.all(states[:, 0, 0] == 1))
    assert bool(jnp.any(states[:, 1, 0] != 1))
    # Zero initial probabilities leave the density finite.
    assert bool(jnp.all(jnp.isfinite(_hmm_inference(d, values[:2])[0])))


# --------------------------------------------------------------------------------- AR


def test_ar1_stationary_matches_gaussian_process():
    # Started from its stationary law, an AR(1) path is a Gaussian process with
    # mean c / (1 - r) and covariance s^2 r^|i-j| / (1 - r^2).
    c, r, s, length = 0.7, 0.6, 0.8, 6
    mean, var = c / (1 - r), s**2 / (1 - r**2)
    init = Normal(mean, np.sqrt(var))
    d = AR(np.array([c, r]), s, constant=True, init_dist=init, steps=length - 1)

    @eqx.filter_jit
    def run(d, key):
        x = d.sample(key, (NUM_DRAWS,))
        return d.mean, d.variance, x, d.log_prob(x[:10])

    got_mean, got_var, x, lp = (np.asarray(a) for a in run(d, jax.random.key(4)))
    np.testing.assert_allclose(got_mean, np.full(length, mean), rtol=1e-12)
    np.testing.assert_allclose(got_var, np.full(length, var), rtol=1e-12)
    lags = np.abs(np.subtract.outer(np.arange(length), np.arange(length)))
    gp = stats.multivariate_normal(np.full(length, mean), var * r**lags)
    np.testing.assert_allclose(lp, gp.logpdf(x[:10]), rtol=1e-10)
    # Lag-1 correlation of the draws: standard error about (1 - r^2) / sqrt(n).
    corr = np.corrcoef(x[:, 2], x[:, 3])[0, 1]
    assert abs(corr - r) < 5 * (1 - r**2) / np.sqrt(NUM_DRAWS)


def test_ar_vector_init_dist():
    cov = np.array([[1.0, 0.5], [0.5, 2.0]])
    rho, sigma = np.array([0.4, -0.2]), 0.5
    init = MultivariateNormal(np.array([1.0, -1.0]), cov)
    d = AR(rho, sigma, init_dist=init, steps=3)
    assert d.event_shape == (5,) and d.order == 2
    x = np.array([0.3, -0.4, 1.0, 0.2, -0.5])
    want = ar_logpdf(x, rho, sigma, init_scale=1.0) - stats.norm.logpdf(x[:2]).sum()
    want += stats.multivariate_normal(np.array([1.0, -1.0]), cov).logpdf(x[:2])
    np.testing.assert_allclose(float(d.log_prob(x)), want, rtol=1e-10)
    # x_2 = rho_1 x_1 + rho_2 x_0 + sigma eps
    weights = rho[::-1]
    var = np.asarray(d.variance)
    np.testing.assert_allclose(var[:2], np.diag(cov), rtol=1e-12)
    np.testing.assert_allclose(var[2], weights @ cov @ weights + sigma**2, rtol=1e-12)
    np.testing.assert_allclose(float(d.mean[2]), weights @ np.array([1.0, -1.0]), rtol=1e-12)


# ---------------------------------------------------------------------- validation


def _hmm(**changes):
    params = dict(
        initial_probs=np.array([0.5, 0.5]),
        transition_matrix=np.array([[0.9, 0.1], [0.2, 0.8]]),
        locs=np.array([0.0, 1.0]),
        scales=np.array([1.0, 1.0]),
        num_steps=3,
    )
    return lambda: GaussianHMM(**dict(params, **changes))


BAD = [
    (lambda: GaussianRandomWalk(0.0, -1.0, steps=3), "GaussianRandomWalk: sigma"),
    (lambda: GaussianRandomWalk(0.0, 1.0, steps=0), "GaussianRandomWalk: steps"),
    (lambda: GaussianRandomWalk(0.0, 1.0, steps=2.0), "GaussianRandomWalk: steps"),
    (
        lambda: GaussianRandomWalk(init_dist=MultivariateNormal(np.zeros(2), np.eye(2)), steps=2),
        "GaussianRandomWalk: init_dist",
    ),
    (lambda: AR(np.array([0.5]), 0.0, steps=3), "AR: sigma"),
    (lambda: AR(0.5, constant=True, steps=3), "AR: rho"),
    (lambda: AR(np.array([0.5]), constant=True, steps=3), "AR: rho"),
    (lambda: AR(np.array([0.5, 0.1]), init_dist=Normal(np.zeros(3), 1.0), steps=3), "lag axis"),
    (lambda: AR(np.array([0.5]), steps=-1), "AR: steps"),
    (lambda: GARCH11(0.0, 0.1, 0.5, 1.0, steps=3), "GARCH11: omega"),
    (lambda: GARCH11(0.1, -0.1, 0.5, 1.0, steps=3), "GARCH11: alpha_1"),
    (lambda: GARCH11(0.1, 0.1, np.array([0.5, -0.5]), 1.0, steps=3), "GARCH11: beta_1"),
    (lambda: GARCH11(0.1, 0.1, 0.5, 0.0, steps=3), "GARCH11: initial_vol"),
    (_hmm(initial_probs=np.array([0.5, 0.4])), "GaussianHMM: initial_probs"),
    (_hmm(transition_matrix=np.array([[0.9, 0.1], [0.3, 0.8]])), "transition_matrix must sum"),
    (_hmm(transition_matrix=np.array([[1.1, -0.1], [0.2, 0.8]])), "must be nonnegative"),
    (_hmm(transition_matrix=np.ones((2, 3)) / 3), "transition_matrix must be square"),
    (_hmm(locs=np.zeros(3)), "GaussianHMM: locs"),
    (_hmm(scales=np.array([1.0, -1.0])), "GaussianHMM: scales"),
    (_hmm(num_steps=0), "GaussianHMM: num_steps"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_parameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def _build_all(p):
    """One of each family from a dict of (possibly traced) parameters."""
    return [
        GaussianRandomWalk(p["a"], p["b"], Normal(p["a"], p["b"]), steps=3),
        AR(jnp.stack([p["a"], p["a"]]), p["b"], constant=True, steps=3),
        GARCH11(p["b"], p["a"], p["a"], p["b"], steps=3),
        GaussianHMM(p["probs"], p["trans"], jnp.stack([p["a"], p["b"]]), p["scales"], num_steps=4),
    ]


def test_jit_with_traced_parameters():
    x = jnp.array([0.1, -0.3, 0.4, 0.2])

    @jax.jit
    def run(p, key):
        return [(d.log_prob(x), d.mean, d.variance, d.sample(key, (2,))) for d in _build_all(p)]

    good = dict(
        a=jnp.asarray(0.3),
        b=jnp.asarray(1.2),
        probs=jnp.array([0.4, 0.6]),
        trans=jnp.array([[0.9, 0.1], [0.2, 0.8]]),
        scales=jnp.array([1.0, 0.5]),
    )
    out = run(good, jax.random.key(0))
    assert all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree.leaves(out))
    assert [draws.shape for *_, draws in out] == [(2, 4)] * 4
    # The same values, concrete, build the same distributions without complaint.
    lps = [float(d.log_prob(x)) for d in _build_all(good)[:1]]
    np.testing.assert_allclose(lps, [float(out[0][0])], rtol=1e-12)
    # Invalid values raise nothing while traced: validation is host-side only.
    bad = dict(good, a=jnp.asarray(-0.3), b=jnp.asarray(-1.0), probs=jnp.array([0.9, 0.6]))
    run(bad, jax.random.key(0))
    with pytest.raises(ValueError):
        _build_all(bad)
