"""Loc-scale families keep ``loc`` and ``scale`` at their own shapes (no copy of one
scale per observation) while every public shape is the broadcast batch shape."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

import pplx.distributions as dist

FAMILIES = [
    dist.Normal,
    dist.Cauchy,
    dist.LogNormal,
    dist.Laplace,
    dist.Logistic,
    dist.Gumbel,
    dist.LogitNormal,
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "loc_shape, scale_shape", [((3,), ()), ((), (3,)), ((2, 1), (3,)), ((), ())]
)
def test_parameters_keep_their_shapes(family, loc_shape, scale_shape):
    loc, scale = 0.3 * jnp.ones(loc_shape), 1.5 * jnp.ones(scale_shape)
    d = family(loc, scale)
    batch = np.broadcast_shapes(loc_shape, scale_shape)
    assert d.loc.shape == loc_shape and d.scale.shape == scale_shape
    assert d.batch_shape == batch
    assert d.sample(jax.random.key(0), (4,)).shape == (4,) + batch
    x = d.sample(jax.random.key(1))
    assert d.log_prob(x).shape == batch
    for moment in ("mean", "variance"):
        try:
            value = getattr(d, moment)
        except NotImplementedError:
            continue
        assert value.shape == batch, moment


def test_incompatible_shapes_fail_at_construction():
    with pytest.raises(ValueError, match=r"Normal: loc of shape \(3,\) and scale of shape"):
        dist.Normal(jnp.zeros(3), jnp.ones(2))


def test_dtype_is_promoted_without_broadcasting():
    d = dist.Normal(jnp.zeros(3, jnp.float32), 2.0)
    assert d.loc.dtype == d.scale.dtype
    assert d.scale.shape == ()


def test_shared_scale_likelihood_matches_scipy_and_its_gradient():
    y = np.linspace(-2.0, 3.0, 50)
    loc = 0.1 * y

    def total(log_sigma):
        return jnp.sum(dist.Normal(loc, jnp.exp(log_sigma)).log_prob(y))

    s = 0.7
    want = st.norm(loc, np.exp(s)).logpdf(y).sum()
    np.testing.assert_allclose(total(s), want, rtol=1e-12)
    # d/d log_sigma of sum log N(y | loc, e^s) = sum(z^2) - n
    z = (y - loc) / np.exp(s)
    np.testing.assert_allclose(jax.grad(total)(s), np.sum(z**2) - y.size, rtol=1e-10)
