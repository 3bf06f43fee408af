"""The gradient-based (nutpie-style) diagonal mass-matrix adaptation.

Oracles: on a Gaussian ``N(0, diag(sd**2))`` the gradient is ``-x / sd**2``, so
``sqrt(var(x) / var(grad))`` is ``sd**2`` for any set of draws: the adapted inverse mass
matrix must match the true variances (20%, as the issue asks; in practice far closer).
Moments of the NUTS draws are checked within ``Z`` Monte Carlo standard errors.
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
from pplx.kernels import adaptation_grad as ag

SD = jnp.array([0.01, 0.1, 1.0, 10.0, 100.0])
Z = 4.5


def _logdensity(z):
    return -0.5 * jnp.sum((z / SD) ** 2)


@pplx.model
def scaled_gaussian(sd):
    pplx.sample("x", dist.Normal(0.0, sd).to_event(1))


def test_estimate_from_few_exact_draws():
    """Ten independent draws already give the variances (the gradients carry the rest)."""
    x = SD[None, :] * jax.random.normal(jax.random.key(0), (10, 5))
    state = ag.grad_init(x[0], jax.grad(_logdensity)(x[0]))
    for row in x:
        state = ag.grad_update(state, (True, False), row, jax.grad(_logdensity)(row), 0.8, 0.8)
    np.testing.assert_allclose(state.inverse_mass_matrix, SD**2, rtol=1e-8)
    assert int(state.phase) == 1


def test_non_finite_draws_are_not_used():
    state = ag.grad_init(jnp.ones(2), -jnp.ones(2))
    for z in (jnp.array([jnp.nan, 1.0]), jnp.array([1.0, jnp.inf])):
        state = ag.grad_update(state, (True, False), z, -z, 0.8, 0.8)
    assert int(state.foreground.draws.count) == 0 and int(state.background.draws.count) == 0
    np.testing.assert_array_equal(state.inverse_mass_matrix, jnp.ones(2))


def test_start_from_the_gradient_is_clipped():
    state = ag.grad_init(jnp.zeros(3), jnp.array([1e12, -4.0, jnp.inf]))
    np.testing.assert_allclose(state.inverse_mass_matrix, [ag.INIT_CLIP[0], 0.25, ag.INIT_CLIP[1]])


def test_schedule_windows_grow_and_the_end_is_step_size_only():
    slow, ends = ag.grad_schedule(1000)
    stops = np.flatnonzero(ends) + 1
    sizes = np.diff(np.concatenate([[0], stops]))
    assert sizes[0] == 10 and np.all(np.diff(sizes) > 0)
    assert slow[:850].all() and not slow[850:].any() and stops[-1] == 850
    assert not ag.grad_schedule(10)[0].any()  # too short to adapt: step size only


@pytest.mark.parametrize("kernel", ["nuts", "hmc"])
def test_adapted_inverse_mass_is_the_true_variance(kernel):
    """The whole warmup in the driver: every chain ends within 20% of the variances."""
    from pplx.kernels.spec import HMCSpec, NUTSSpec

    spec = NUTSSpec() if kernel == "nuts" else HMCSpec(16, jitter=0.5)
    init = jax.random.uniform(jax.random.key(1), (4, 5), minval=-2.0, maxval=2.0)
    out = jax.jit(
        lambda key, z: run_chains(
            _logdensity, key, z, num_warmup=300, num_samples=10, kernel=spec, adaptation="grad"
        )
    )(jax.random.key(0), init)
    ratio = np.asarray(out.state.inverse_mass_matrix) / np.asarray(SD**2)
    assert np.all(np.abs(ratio - 1.0) < 0.2), ratio
    assert np.all(np.isfinite(np.asarray(out.state.step_size)))


def test_nuts_with_grad_adaptation_recovers_the_moments():
    model = scaled_gaussian(SD)
    res = pplx.infer.nuts_run(model, jax.random.key(3), adaptation="grad", num_samples=1000)
    x = np.asarray(res.draws["x"])
    sd = np.asarray(SD)
    mean, mean_err = x.mean(axis=(0, 1)), mcse_mean(x)
    second, second_err = (x**2).mean(axis=(0, 1)), mcse_mean(x**2)
    assert np.all(np.abs(mean) < Z * mean_err), (mean, mean_err)
    assert np.all(np.abs(second - sd**2) < Z * second_err), (second / sd**2, second_err)
    assert int(np.asarray(res.stats["diverging"]).sum()) == 0
    # the warmup is cheap: scales 1e4 apart cost the identity-metric start nothing here
    assert int(np.asarray(res.warmup_stats["n_steps"]).max()) < 20_000


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short run
def test_grad_adaptation_runs_the_same_in_every_driver(capsys):
    """Resume, the progress-bar (segmented) driver and the pure entry agree."""
    from pplx.infer.entry import _mcmc_compiled

    model = scaled_gaussian(SD)
    settings = dict(
        num_warmup=100, num_samples=40, num_chains=2, adaptation="grad", chain_method="vectorized"
    )
    shown = pplx.nuts(
        model, jax.random.key(4), progress_bar=True, return_inferencedata=False, **settings
    )
    pure = _mcmc_compiled(model, jax.random.key(4), **settings)
    np.testing.assert_array_equal(shown.draws["x"], pure.draws["x"])
    first = pplx.infer.nuts_run(model, jax.random.key(4), **{**settings, "num_samples": 25})
    rest = pplx.infer.nuts_run(
        model, jax.random.key(4), num_warmup=0, num_samples=15, num_chains=2,
        adaptation="grad", state=first.state, chain_method="vectorized",
    )  # fmt: skip
    joined = np.concatenate([first.draws["x"], rest.draws["x"]], axis=1)
    long = pplx.infer.nuts_run(model, jax.random.key(4), **settings)
    np.testing.assert_array_equal(joined, long.draws["x"])


@pytest.mark.parametrize(
    ("entry", "kwargs", "message"),
    [
        ("nuts_run", dict(dense_mass=True, adaptation="grad"), "diagonal"),
        ("hmc_run", dict(dense_mass=True, adaptation="grad"), "diagonal"),
        ("nuts", dict(dense_mass=True, adaptation="grad"), "diagonal"),
        ("hmc", dict(dense_mass=True, adaptation="grad"), "diagonal"),
        ("nuts_run", dict(adaptation="nutpie"), "adaptation must be one of"),
    ],
)
def test_bad_adaptation_settings_fail_before_compiling(entry, kwargs, message):
    fn = getattr(pplx.infer, entry, None) or getattr(pplx, entry)
    with pytest.raises(ValueError, match=message):
        fn(scaled_gaussian(SD), jax.random.key(0), **kwargs)
