"""Nutpie's warmup (``adaptation="fisher"``): the Fisher-divergence diagonal on nutpie's
schedule.

Oracles:

- on ``N(0, diag(sd**2))`` the gradient is ``-x / sd**2`` exactly, so
  ``sqrt(var(x) / var(grad)) = sd**2`` for any set of draws, up to rounding (rtol 1e-8);
- on a correlated Gaussian ``N(0, S)`` the diagonal that minimises the Fisher divergence
  is ``sqrt(S_ii / P_ii)`` with ``P = inv(S)`` (the limit of the estimate), which is not
  the marginal variance ``S_ii``. The chains' estimates come from the foreground's last
  80-160 draws; with a bulk ESS of at least ~40 of them, each log-estimate has a standard
  error of at most ~``sqrt(1 / 40) = 0.16``, the mean of 16 chains ~0.04: 0.2 is 5 of
  those, and the marginal variance is ``-log sqrt(1 - rho**2) = 0.51`` away;
- moments of the NUTS draws within ``Z`` Monte Carlo standard errors.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.diagnostics import mcse_mean
from pplx.infer.chains import run_chains
from pplx.kernels import adaptation_fisher as af

SD = jnp.array([0.01, 0.1, 1.0, 10.0, 100.0])
Z = 4.5
RHO = 0.8
COV = np.array([[0.01, RHO * 0.1 * 10.0, 0.0], [RHO * 0.1 * 10.0, 100.0, 0.0], [0.0, 0.0, 1.0]])


def _logdensity(z):
    return -0.5 * jnp.sum((z / SD) ** 2)


def _correlated(z):
    return -0.5 * z @ jnp.linalg.solve(jnp.asarray(COV), z)


@pplx.model
def scaled_gaussian(sd):
    pplx.sample("x", dist.Normal(0.0, sd).to_event(1))


def test_estimate_is_exact_on_an_independent_gaussian():
    x = SD[None, :] * jax.random.normal(jax.random.key(0), (6, 5))
    grad = jax.vmap(jax.grad(_logdensity))(x)
    state = af.fisher_init(x[0], grad[0])
    for row, g in zip(x[1:], grad[1:], strict=True):
        state = af.fisher_update(state, (True, 0), row, g, 0.8, 0.8)
    np.testing.assert_allclose(state.inverse_mass_matrix, SD**2, rtol=1e-8)


def test_draws_that_did_not_move_or_are_not_finite_are_not_used():
    state = af.fisher_init(jnp.ones(2), -jnp.ones(2))
    for z in (jnp.ones(2), jnp.array([jnp.nan, 1.0]), jnp.array([1.0, jnp.inf])):
        state = af.fisher_update(state, (True, 0), z, -z, 0.8, 0.8)
    assert int(state.foreground.draws.count) == 1 and int(state.background.draws.count) == 1
    np.testing.assert_array_equal(state.inverse_mass_matrix, jnp.ones(2))


def test_estimators_switch_when_the_background_is_full():
    """With ``switch_at=3`` the foreground holds the last 3 to 5 draws (never older)."""
    x = jax.random.normal(jax.random.key(1), (12, 2))
    state = af.fisher_init(x[0], -x[0])
    counts = []
    for row in x[1:]:
        state = af.fisher_update(state, (True, 3), row, -row, 0.8, 0.8)
        counts.append((int(state.foreground.draws.count), int(state.background.draws.count)))
    assert counts[:4] == [(2, 2), (3, 0), (4, 1), (5, 2)]
    assert all(3 <= fg <= 5 and bg <= 2 for fg, bg in counts[1:])
    n = int(state.foreground.draws.count)  # the foreground is the last n draws
    np.testing.assert_allclose(state.foreground.draws.mean, x[-n:].mean(axis=0), rtol=1e-10)


def test_final_window_freezes_the_mass_matrix():
    state = af.fisher_init(jnp.ones(2), -jnp.ones(2))
    for x in (0.5, -1.0, 2.0):
        state = af.fisher_update(state, (True, 0), jnp.full(2, x), -jnp.full(2, x), 0.8, 0.8)
    frozen = state.inverse_mass_matrix
    state = af.fisher_update(state, (False, 0), jnp.full(2, 9.0), -jnp.full(2, 0.1), 0.8, 0.8)
    np.testing.assert_array_equal(state.inverse_mass_matrix, frozen)


def test_schedule_is_nutpies():
    slow, at = af.fisher_schedule(400)
    assert slow[:340].all() and not slow[340:].any()
    assert set(at[:120]) == {10} and at[120] == 80
    assert at[260] == 80 and not at[261:].any()  # a switch must fit before the final window
    for n in (1, 5, 19):  # short warmups still run
        slow, at = af.fisher_schedule(n)
        assert len(slow) == n and len(at) == n


def _run(logdensity, num_dims, num_warmup, num_chains, **kwargs):
    """Fisher warmup from uniform(-2, 2) starts; the state after it."""
    init = jax.random.uniform(jax.random.key(1), (num_chains, num_dims))
    return jax.jit(
        lambda k, z: run_chains(
            logdensity,
            k,
            z * 4.0 - 2.0,
            num_warmup=num_warmup,
            num_samples=10,
            adaptation="fisher",
            **kwargs,
        )
    )(jax.random.key(0), init)


@pytest.mark.parametrize("kernel", ["nuts", "hmc"])
def test_adapted_inverse_mass_is_the_true_variance(kernel):
    from pplx.kernels.spec import HMCSpec, NUTSSpec

    spec = NUTSSpec() if kernel == "nuts" else HMCSpec(16, jitter=0.5)
    out = _run(_logdensity, 5, 200, 4, kernel=spec)
    np.testing.assert_allclose(
        np.asarray(out.state.inverse_mass_matrix), np.broadcast_to(SD**2, (4, 5)), rtol=1e-6
    )
    assert np.all(np.isfinite(np.asarray(out.state.step_size)))


def test_estimate_converges_to_the_fisher_diagonal_on_a_correlated_gaussian():
    out = _run(_correlated, 3, 400, 16)
    target = np.sqrt(np.diag(COV) / np.diag(np.linalg.inv(COV)))
    log_err = np.log(np.asarray(out.state.inverse_mass_matrix) / target).mean(axis=0)
    assert np.all(np.abs(log_err) < 0.2), log_err
    # and it is not the marginal variance (0.51 away in log on the correlated pair)
    assert np.all(np.abs(np.log(target[:2] / np.diag(COV)[:2])) > 0.5)


def test_nuts_with_fisher_adaptation_recovers_the_moments():
    """Scales 1e4 apart, nutpie's warmup length: moments within Z MCSE, cheap warmup."""
    model = scaled_gaussian(SD)
    res = pplx.infer.nuts_run(
        model, jax.random.key(3), adaptation="fisher", num_warmup=400, num_samples=1000
    )
    x = np.asarray(res.draws["x"])
    sd = np.asarray(SD)
    mean, mean_err = x.mean(axis=(0, 1)), mcse_mean(x)
    second, second_err = (x**2).mean(axis=(0, 1)), mcse_mean(x**2)
    assert np.all(np.abs(mean) < Z * mean_err), (mean, mean_err)
    assert np.all(np.abs(second - sd**2) < Z * second_err), (second / sd**2, second_err)
    assert int(np.asarray(res.stats["diverging"]).sum()) == 0
    # the identity-metric start costs nothing: the gradient-based start is exact here
    assert int(np.asarray(res.warmup_stats["n_steps"]).max()) < 5_000
    # the jittered step size: transitions differ in length although the metric is exact
    assert len(np.unique(np.asarray(res.stats["n_steps"]))) > 1


def test_vectorized_and_sequential_chains_agree():
    model = scaled_gaussian(SD)
    run = dict(num_warmup=100, num_samples=50, num_chains=3, adaptation="fisher")
    a = pplx.infer.nuts_run(model, jax.random.key(0), chain_method="vectorized", **run)
    b = pplx.infer.nuts_run(model, jax.random.key(0), chain_method="sequential", **run)
    # the same keys and arithmetic; the batched and unbatched programs fuse, and so
    # round, differently, and 150 transitions on scales 1e4 apart carry those last bits
    # to ~1e-7 (seen: 6e-8)
    np.testing.assert_allclose(a.draws["x"], b.draws["x"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(a.state.step_size, b.state.step_size, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short run
def test_fisher_adaptation_runs_the_same_in_every_driver():
    """Resume, the progress-bar (segmented) driver and the pure entry agree."""
    from pplx.infer.entry import _mcmc_compiled

    model = scaled_gaussian(SD)
    settings = dict(
        num_warmup=100, num_samples=40, num_chains=2, adaptation="fisher", chain_method="vectorized"
    )
    shown = pplx.nuts(
        model, jax.random.key(4), progress_bar=True, return_inferencedata=False, **settings
    )
    pure = _mcmc_compiled(model, jax.random.key(4), **settings)
    np.testing.assert_allclose(shown.draws["x"], pure.draws["x"], rtol=1e-8, atol=1e-12)
    first = pplx.infer.nuts_run(model, jax.random.key(4), **{**settings, "num_samples": 25})
    rest = pplx.infer.nuts_run(
        model, jax.random.key(4), num_warmup=0, num_samples=15, num_chains=2,
        adaptation="fisher", state=first.state, chain_method="vectorized",
    )  # fmt: skip
    joined = np.concatenate([first.draws["x"], rest.draws["x"]], axis=1)
    long = pplx.infer.nuts_run(model, jax.random.key(4), **settings)
    np.testing.assert_allclose(joined, long.draws["x"], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("entry", ["nuts_run", "hmc_run", "nuts", "hmc"])
def test_dense_mass_is_refused_before_compiling(entry):
    fn = getattr(pplx.infer, entry, None) or getattr(pplx, entry)
    with pytest.raises(ValueError, match="adaptation='fisher' adapts a diagonal"):
        fn(scaled_gaussian(SD), jax.random.key(0), dense_mass=True, adaptation="fisher")
