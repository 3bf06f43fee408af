"""Prior and posterior predictive: moments against closed forms, shapes, chunking."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist


@pplx.model
def normal_mean(n: int, y=None):
    mu = pplx.sample("mu", dist.Normal(1.0, 2.0))
    with pplx.plate("obs", n):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


def test_prior_predictive_moments_and_shapes():
    draws = pplx.prior_predictive(
        normal_mean(3, y=jnp.zeros(3)), jax.random.key(0), 20000, return_inferencedata=False
    )
    assert draws["mu"].shape == (20000,) and draws["y"].shape == (20000, 3)
    # y_i = mu + eps: mean 1, variance 4 + 1; cov(y_0, y_1) = 4
    se = np.sqrt(5.0 / 20000)
    assert abs(draws["y"].mean() - 1.0) < 5 * se
    assert abs(draws["y"][:, 0].var() - 5.0) < 0.2
    assert abs(np.cov(draws["y"][:, 0], draws["y"][:, 1])[0, 1] - 4.0) < 0.2


def test_prior_predictive_inferencedata_groups():
    idata = pplx.prior_predictive(normal_mean(3, y=jnp.zeros(3)), jax.random.key(0), 10)
    assert idata.prior["mu"].shape == (1, 10)
    assert idata.prior_predictive["y"].dims == ("chain", "draw", "obs")
    assert "y" in idata.observed_data


def test_posterior_predictive_shape_is_chain_draw_batch():
    """(C, D) posterior draws and an observed batch (N,) give (C, D, N), never (C, D, N, N)."""
    posterior = {"mu": np.random.default_rng(0).normal(size=(2, 7))}
    out = pplx.posterior_predictive(
        normal_mean(5, y=jnp.zeros(5)), posterior, jax.random.key(1), return_inferencedata=False
    )
    assert out["y"].shape == (2, 7, 5)


def test_posterior_predictive_given_fixed_latents_is_exact():
    mu = np.full((1, 40000), 3.0)
    out = pplx.posterior_predictive(
        normal_mean(2, y=jnp.zeros(2)), {"mu": mu}, jax.random.key(2), return_inferencedata=False
    )
    y = out["y"]
    assert abs(y.mean() - 3.0) < 5 / np.sqrt(80000)
    assert abs(y.std() - 1.0) < 0.02


def test_batch_size_gives_the_same_draws():
    posterior = {"mu": np.random.default_rng(0).normal(size=(2, 30))}
    m = normal_mean(4, y=jnp.zeros(4))
    full = pplx.posterior_predictive(m, posterior, jax.random.key(3), return_inferencedata=False)
    chunked = pplx.posterior_predictive(
        m, posterior, jax.random.key(3), batch_size=7, return_inferencedata=False
    )
    np.testing.assert_allclose(full["y"], chunked["y"], rtol=1e-12)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short run
def test_out_of_sample_prediction_after_nuts():
    y = jnp.asarray(np.random.default_rng(1).normal(2.0, 1.0, size=50))
    idata = pplx.nuts(
        normal_mean(50, y=y),
        jax.random.key(0),
        num_warmup=300,
        num_samples=500,
        num_chains=2,
        progress_bar=False,
    )
    idata_pp = pplx.posterior_predictive(normal_mean(50, y=y), idata, jax.random.key(1))
    assert idata_pp.posterior_predictive["y"].shape == (2, 500, 50)
    new = pplx.posterior_predictive(
        normal_mean(3), idata, jax.random.key(1), return_inferencedata=False
    )
    assert new["y"].shape == (2, 500, 3)
    # conjugate posterior: mu | y ~ N(m, s^2); predictive sd sqrt(1 + s^2)
    prec = 1 / 4 + 50
    m = (1 / 4 * 1.0 + float(jnp.sum(y))) / prec
    assert abs(new["y"].mean() - m) < 0.1
    assert abs(new["y"].std() - np.sqrt(1 + 1 / prec)) < 0.05


def test_errors():
    with pytest.raises(TypeError, match="bound pplx model"):
        pplx.prior_predictive(normal_mean, jax.random.key(0))
    with pytest.raises(ValueError, match="none of the model's latent sites"):
        pplx.posterior_predictive(
            normal_mean(2, y=jnp.zeros(2)), {"nu": np.zeros((1, 3))}, jax.random.key(0)
        )
