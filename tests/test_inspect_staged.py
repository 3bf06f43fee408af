"""Binding a model traces it once and checks everything in one compiled program; models
that cannot be traced that way, and bad inputs, behave as an op-by-op run does."""

import jax
import jax.monitoring as monitoring
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

N = 37  # a size no other test uses: an op-by-op run would compile every operation anew

_compiles: list[str] = []


def _count(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles.append(event)


monitoring.register_event_duration_secs_listener(_count)


@pplx.model
def regression(x, sigma_data, y=None):
    alpha = pplx.sample("alpha", dist.Normal(0.0, 2.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 1.0))
    nu = pplx.sample("nu", dist.Gamma(2.0, 0.1))
    scale = pplx.sample("scale", dist.HalfNormal(1.0))
    with pplx.plate("rows", x.shape[0]):
        mean = pplx.deterministic("mean", alpha + beta * jnp.tanh(x))
        pplx.sample("y", dist.StudentT(nu, mean, scale * sigma_data), obs=y)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    return x, np.abs(rng.normal(size=N)) + 0.5, rng.normal(size=N)


def test_binding_compiles_one_small_program_not_every_operation():
    x, s, y = _data()
    _compiles.clear()
    m = regression(x, s, y=y)
    assert len(_compiles) <= 2, f"{len(_compiles)} compilations while binding"
    assert [v.name for v in m.free_vars] == ["alpha", "beta", "nu", "scale"]
    assert m.named_vars["mean"].shape == (N,)


def test_the_staged_and_op_by_op_descriptions_agree():
    from pplx.model import inspect

    x, s, y = _data(1)
    args, kwargs = (x, s), {"y": y}
    staged = inspect._inspect_staged(regression.model_fn, args, kwargs)
    op_by_op = inspect._inspect_op_by_op(regression.model_fn, args, kwargs)
    assert staged == op_by_op


def test_an_invalid_parameter_computed_from_data_names_the_distribution():
    x, s, y = _data(2)
    s[5] = -1.0  # scale * sigma_data < 0 at row 5: a traced value in the staged pass
    with pytest.raises(ValueError, match="StudentT: scale must be positive, got .* at index"):
        regression(x, s, y=y)


def test_an_invalid_parameter_from_a_latent_value_is_still_caught():
    @pplx.model
    def bad_scale():
        log_s = pplx.sample("log_s", dist.Normal(0.0, 1.0))
        pplx.sample("z", dist.Normal(0.0, -jnp.exp(log_s)))

    # reported at a prior draw of log_s (not at its centre value 0, which the user never
    # wrote), named by the site
    with pytest.raises(ValueError, match="site 'z': Normal: scale must be positive") as info:
        bad_scale()
    assert "a draw from their priors" in str(info.value)


def test_out_of_support_data_and_nan_still_name_the_site():
    x, s, y = _data(3)

    @pplx.model
    def counts(k):
        rate = pplx.sample("rate", dist.Exponential(1.0))
        with pplx.plate("n", k.shape[0]):
            pplx.sample("k", dist.Poisson(rate * 2.0), obs=k)

    with pytest.raises(ValueError, match="observed site 'k': 1 value\\(s\\) lie outside"):
        counts(jnp.array([1.0, -2.0, 3.0]))
    y[4] = np.nan
    with pytest.warns(pplx.ImputationWarning, match="'y' has 1 missing"):
        m = regression(x, s, y=y)  # NaN in data passed as is: imputed
    assert m.named_vars["y_missing"].shape == (1,)


def test_nan_in_transformed_data_is_imputed_as_op_by_op():
    @pplx.model
    def log_scale(y):
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        with pplx.plate("n", y.shape[0]):
            pplx.sample("log_y", dist.Normal(mu, 1.0), obs=jnp.log(y))

    with pytest.warns(pplx.ImputationWarning, match="'log_y' has 1 missing"):
        m = log_scale(np.array([1.0, np.nan, 3.0, 4.0]))
    assert m.named_vars["log_y_missing"].shape == (1,)
    assert np.isfinite(m.logdensity(jnp.zeros(m.num_dims)))


def test_python_control_flow_on_a_latent_value_falls_back_to_op_by_op():
    @pplx.model
    def branchy():
        a = pplx.sample("a", dist.Normal(0.0, 1.0))
        if float(a) >= 0.0:  # concrete only op by op; such a model binds as before
            pplx.sample("b", dist.Normal(a, 1.0))

    assert [v.name for v in branchy().free_vars] == ["a", "b"]


def test_binding_inside_jit_and_vmap_does_not_compile_apart():
    x, s, y = _data(4)

    def logp_at_zero(y):
        m = regression(x, s, y=y)
        return m.logdensity(jnp.zeros(m.num_dims))

    direct = logp_at_zero(y)
    np.testing.assert_allclose(jax.jit(logp_at_zero)(y), direct, rtol=1e-12)
    batched = jax.vmap(logp_at_zero)(np.stack([y, y]))
    np.testing.assert_allclose(batched, [direct, direct], rtol=1e-12)


def test_binding_new_data_of_the_same_shapes_compiles_and_traces_nothing():
    x, s, y = _data(5)
    regression(x, s, y=y)
    _compiles.clear()
    m = regression(x + 1.0, s * 2.0, y=y - 1.0)
    assert _compiles == []
    assert m.named_vars["mean"].shape == (N,)


def test_a_host_side_check_of_a_data_matrix_still_runs_at_bind():
    @pplx.model
    def correlated(cov, y):
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0).expand((2,)).to_event(1))
        pplx.sample("y", dist.MultivariateNormal(mu, covariance_matrix=cov), obs=y)

    good = np.array([[1.0, 0.3], [0.3, 1.0]])
    assert correlated(good, np.zeros(2)).num_dims == 2
    with pytest.raises(ValueError, match="covariance_matrix must be positive definite"):
        correlated(np.array([[1.0, 2.0], [2.0, 1.0]]), np.zeros(2))
