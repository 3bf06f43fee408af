"""Missing-data imputation: NaN or masked observations become ``<site>_missing`` latents."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import pplx
import pplx.distributions as dist

# each binding with NaN data announces the imputation (asserted in tests/test_bad_input_params.py)
pytestmark = pytest.mark.filterwarnings("ignore::pplx.ImputationWarning")


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


def data_with_gaps():
    y = np.random.default_rng(0).normal(1.0, 1.0, size=12)
    y[[2, 5, 9]] = np.nan
    return y


def test_missing_entries_become_a_latent_site():
    m = normal_mean(data_with_gaps())
    assert [s.name for s in m.free_vars] == ["mu", "y_missing"]
    assert m.named_vars["y_missing"].shape == (3,)
    assert m.num_dims == 4
    assert dict(m.missing) == {"y": (2, 5, 9)}


def test_log_density_is_the_full_joint():
    y = data_with_gaps()
    m = normal_mean(y)
    z = jnp.array([0.3, -1.0, 0.5, 2.0])
    filled = y.copy()
    filled[[2, 5, 9]] = [-1.0, 0.5, 2.0]
    want = stats.norm(0, 1).logpdf(0.3) + stats.norm(0.3, 1).logpdf(filled).sum()
    np.testing.assert_allclose(m.logdensity(z), want, rtol=1e-12)
    np.testing.assert_allclose(m.flatten(m.constrain(z)), z, rtol=1e-12)


def test_masked_array_is_missing_data():
    y = np.ma.masked_array(np.arange(5.0), mask=[0, 1, 0, 0, 1])
    m = normal_mean(y)
    assert dict(m.missing) == {"y": (1, 4)}


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_imputed_values_follow_the_posterior_predictive():
    y = data_with_gaps()
    posterior = pplx.nuts(
        normal_mean(y),
        jax.random.key(0),
        num_warmup=500,
        num_samples=1000,
        num_chains=2,
        progress_bar=False,
        return_inferencedata=False,
    )
    observed = y[~np.isnan(y)]
    prec = 1.0 + observed.size
    post_mean, post_var = observed.sum() / prec, 1 / prec
    imputed = posterior.draws["y_missing"]
    assert imputed.shape == (2, 1000, 3)
    assert abs(imputed.mean() - post_mean) < 0.12
    assert abs(imputed.var() - (1 + post_var)) < 0.2
    assert np.isnan(posterior.observed["y"]).sum() == 3  # the data are reported as given


@pplx.model
def mv_rows(y):
    loc = pplx.sample("loc", dist.Normal(0.0, 5.0).expand((2,)).to_event(1))
    with pplx.plate("row", y.shape[0]):
        pplx.sample("y", dist.MultivariateNormal(loc, jnp.eye(2)), obs=y)


def test_whole_missing_rows_of_a_multivariate_site():
    y = np.ones((4, 2))
    y[1] = np.nan
    m = mv_rows(y)
    assert m.named_vars["y_missing"].shape == (1, 2)
    assert dict(m.missing) == {"y": (1,)}


def test_partly_missing_rows_are_an_error():
    y = np.ones((4, 2))
    y[1, 0] = np.nan
    with pytest.raises(ValueError, match="site 'y': 1 row\\(s\\) are only partly missing"):
        mv_rows(y)


def test_nan_in_discrete_data_is_an_error():
    @pplx.model
    def counts(k):
        rate = pplx.sample("rate", dist.Exponential(1.0))
        with pplx.plate("n", k.shape[0]):
            pplx.sample("k", dist.Poisson(rate), obs=k)

    with pytest.raises(ValueError, match="site 'k' is discrete.*NaN"):
        counts(np.array([1.0, np.nan, 2.0]))
