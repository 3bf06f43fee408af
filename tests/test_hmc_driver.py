"""HMC through the model-level drivers: adapted HMC leaves a correlated Gaussian
posterior invariant (moments within MCSE of the closed form), with diagonal and dense
mass; the general entry dispatches; bad settings fail before compiling."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx import diagnostics
from pplx.infer import HMCSpec, NUTSSpec

Z = 4.5  # several moments are compared per test
COV = np.array([[1.0, 0.8], [0.8, 2.0]])
LOC = np.array([0.5, -1.0])


@pplx.model
def gaussian(loc, cov):
    pplx.sample("x", dist.MultivariateNormal(loc, cov))


MODEL = gaussian(jnp.asarray(LOC), jnp.asarray(COV))


def _check_moments(draws):
    """Means within Z MCSE of the closed form; variances within a 10% band that is
    several MCSE wide at these run lengths."""
    for j in range(2):
        x = np.asarray(draws[..., j])
        mcse = float(diagnostics.mcse_mean(x))
        assert abs(x.mean() - LOC[j]) < Z * mcse, (j, x.mean(), mcse)
        assert abs(x.var() / COV[j, j] - 1) < 0.1, (j, x.var())


# A fixed path can resonate with a Gaussian's periods (L = 7 here mixes so slowly that
# one chain's variance is 4x the target's): the static case uses a short path.
@pytest.mark.parametrize(
    ("steps", "jitter", "dense_mass"), [(3, 0.0, False), (7, 0.5, False), (7, 0.3, True)]
)
def test_hmc_run_recovers_a_correlated_gaussian(steps, jitter, dense_mass):
    res = pplx.infer.hmc_run(
        MODEL,
        jax.random.key(0),
        num_integration_steps=steps,
        jitter=jitter,
        dense_mass=dense_mass,
        num_warmup=500,
        num_samples=1000,
    )
    _check_moments(res.draws["x"])
    n_steps = np.asarray(res.stats["n_steps"])
    if jitter == 0.0:
        assert (n_steps == steps).all()
    else:
        low, high = max(1, round((1 - jitter) * steps)), round((1 + jitter) * steps)
        assert n_steps.min() >= low and n_steps.max() <= high and len(np.unique(n_steps)) > 2
    assert "tree_depth" not in res.stats
    # dual averaging aims at 0.8; in two dimensions Stan's scheme overshoots it too
    assert float(np.mean(res.stats["acceptance_rate"])) > 0.6


def test_friendly_hmc_and_general_entry_give_the_pure_draws():
    settings = dict(num_warmup=100, num_samples=50, num_chains=2)
    from pplx.infer.entry import _mcmc_compiled  # the friendly entries run this compiled program

    pure = _mcmc_compiled(MODEL, jax.random.key(3), kernel=HMCSpec(5), **settings)
    quiet = dict(progress_bar=False, return_inferencedata=False, **settings)
    with pytest.warns(pplx.ConvergenceWarning):  # a short run: ESS warnings expected
        friendly = pplx.hmc(MODEL, jax.random.key(3), num_integration_steps=5, **quiet)
    with pytest.warns(pplx.ConvergenceWarning):
        general = pplx.mcmc(MODEL, jax.random.key(3), kernel=HMCSpec(5), **quiet)
    np.testing.assert_array_equal(friendly.draws["x"], pure.draws["x"])
    np.testing.assert_array_equal(general.draws["x"], pure.draws["x"])
    assert friendly.attrs["sampler"] == "hmc"
    nuts_pure = _mcmc_compiled(MODEL, jax.random.key(3), kernel=NUTSSpec(6), **settings)
    with pytest.warns(pplx.ConvergenceWarning):
        nuts_general = pplx.mcmc(MODEL, jax.random.key(3), kernel="nuts", max_tree_depth=6, **quiet)
    np.testing.assert_array_equal(nuts_general.draws["x"], nuts_pure.draws["x"])


def test_hmc_state_resumes_like_one_longer_run():
    run = lambda **kw: pplx.infer.hmc_run(
        MODEL, jax.random.key(5), num_integration_steps=4, num_chains=2, **kw
    )
    long = run(num_warmup=100, num_samples=60)
    first = run(num_warmup=100, num_samples=30)
    rest = run(num_warmup=0, num_samples=30, state=first.state)
    both = np.concatenate([first.draws["x"], rest.draws["x"]], axis=1)
    np.testing.assert_allclose(both, long.draws["x"], rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(num_integration_steps=0), "num_integration_steps"),
        (dict(num_integration_steps=2.5), "num_integration_steps"),
        (dict(jitter=1.0), "jitter"),
    ],
)
def test_bad_hmc_settings_fail_before_compiling(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pplx.hmc(MODEL, jax.random.key(0), progress_bar=False, **kwargs)


def test_unknown_kernel_is_named():
    with pytest.raises(ValueError, match="kernel must be one of"):
        pplx.mcmc(MODEL, jax.random.key(0), kernel="gibbs")
    with pytest.raises(TypeError, match="NUTSSpec or an HMCSpec"):
        pplx.infer.mcmc_run(MODEL, jax.random.key(0), kernel=("nuts", 10))
