"""Validation, ``to_event``/``expand``, improper priors, dtypes and doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx.distributions as dist
from pplx.distributions import constraints as C

BAD_PARAMS = [
    (lambda: dist.Normal(0.0, -1.0), "Normal: scale must be positive, got -1.0"),
    (lambda: dist.Normal(0.0, jnp.array([1.0, 0.0])), "Normal: scale must be positive"),
    (lambda: dist.HalfCauchy(-2.0), "HalfCauchy: scale"),
    (lambda: dist.StudentT(-1.0), "StudentT: df"),
    (lambda: dist.Gamma(1.0, -3.0), "Gamma: rate"),
    (lambda: dist.Beta(0.0, 1.0), "Beta: concentration1"),
    (lambda: dist.Uniform(1.0, 0.0), "Uniform: high must be greater than low"),
    (lambda: dist.Bernoulli(probs=1.5), "Bernoulli: probs must be in"),
    (lambda: dist.Binomial(2.5, probs=0.5), "Binomial: total_count"),
    (lambda: dist.Poisson(-1.0), "Poisson: rate"),
    (lambda: dist.Categorical(probs=jnp.array([0.5, -0.1])), "Categorical: probs"),
    (lambda: dist.Dirichlet(jnp.array([1.0, -1.0])), "Dirichlet: concentration"),
    (
        lambda: dist.MultivariateNormal(jnp.zeros(2), -jnp.eye(2)),
        "MultivariateNormal: covariance_matrix must be positive definite",
    ),
    (lambda: dist.Bernoulli(), "exactly one of probs or logits"),
]


@pytest.mark.parametrize(("make", "message"), BAD_PARAMS)
def test_invalid_parameters_raise(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_no_validation_under_jit():
    # Traced parameters are not inspected; the density is simply NaN/garbage.
    out = jax.jit(lambda s: dist.Normal(0.0, s).log_prob(0.0))(-1.0)
    assert out.shape == ()


def test_to_event_and_expand_shapes_and_sums():
    d = dist.Normal(jnp.zeros(3), 1.0)
    ind = d.to_event(1)
    assert (ind.batch_shape, ind.event_shape) == ((), (3,))
    x = jnp.array([0.1, -0.3, 2.0])
    np.testing.assert_allclose(ind.log_prob(x), jnp.sum(d.log_prob(x)))
    assert d.to_event(0) is d
    assert d.to_event().event_shape == (3,)
    e = dist.Normal(0.0, 1.0).expand((2, 3))
    assert e.batch_shape == (2, 3)
    assert e.sample(jax.random.key(0), (4,)).shape == (4, 2, 3)
    assert e.log_prob(0.0).shape == (2, 3)
    assert e.to_event(1).log_prob(jnp.zeros(3)).shape == (2,)
    assert dist.Normal(0.0, 1.0).expand(()).batch_shape == ()
    assert e.expand((2, 3)) is e
    # Expanding a size-1 batch dim gives independent draws.
    grown = dist.Normal(jnp.zeros((2, 1)), 1.0).expand((5, 2, 4))
    draws = grown.sample(jax.random.key(1))
    assert draws.shape == (5, 2, 4)
    assert float(jnp.std(draws)) > 0.5
    assert grown.mean.shape == (5, 2, 4)


def test_expand_not_broadcastable_raises():
    with pytest.raises(ValueError, match="cannot expand batch shape"):
        dist.Normal(jnp.zeros(3), 1.0).expand((2,))
    with pytest.raises(ValueError, match="cannot move"):
        dist.Normal(0.0, 1.0).to_event(1)


def test_expand_sample_matches_base_per_column():
    base = dist.Normal(jnp.array([[-10.0], [10.0]]), 0.1)
    x = base.expand((3, 2, 4)).sample(jax.random.key(2))
    np.testing.assert_allclose(x.mean(axis=(0, 2)), [-10.0, 10.0], atol=0.2)


def test_improper_uniform():
    d = dist.ImproperUniform(C.interval(0.0, jnp.array([0.5, 0.9])))
    assert d.batch_shape == (2,)
    np.testing.assert_array_equal(d.log_prob(jnp.array([0.2, 0.95])), [0.0, -np.inf])
    with pytest.raises(ValueError, match="improper distribution cannot be sampled"):
        d.sample(jax.random.key(0))
    flat = dist.Flat((3,))
    assert flat.batch_shape == (3,) and flat.log_prob(jnp.ones(3)).shape == (3,)
    half = dist.HalfFlat()
    assert float(half.log_prob(2.0)) == 0.0 and float(half.log_prob(-2.0)) == -np.inf
    simplex = dist.ImproperUniform(C.simplex, event_shape=(3,))
    assert float(simplex.log_prob(jnp.array([0.2, 0.3, 0.5]))) == 0.0
    assert simplex.to_event().event_shape == (3,)


def test_improper_interval_with_traced_bound():
    @jax.jit
    def lp(alpha1, beta1):
        return dist.ImproperUniform(C.interval(0.0, 1.0 - alpha1)).log_prob(beta1)

    assert float(lp(0.3, 0.5)) == 0.0
    assert float(lp(0.6, 0.5)) == -np.inf


def test_dtypes_follow_x64_and_inputs():
    assert dist.Normal(0.0, 1.0).loc.dtype == jnp.float64
    assert dist.Normal(np.float32(0.0), np.float32(1.0)).loc.dtype == jnp.float32
    assert dist.Poisson(3).rate.dtype == jnp.float64
    assert dist.Normal(np.zeros(3), 1.0).batch_shape == (3,)


def test_distributions_are_pytrees_through_jit():
    d = dist.Gamma(jnp.array([1.0, 2.0]), 3.0)
    out = jax.jit(lambda d, x: d.log_prob(x))(d, jnp.array([0.5, 1.0]))
    np.testing.assert_allclose(out, d.log_prob(jnp.array([0.5, 1.0])))
    batched = jax.vmap(lambda s: dist.Normal(0.0, s).log_prob(1.0))(jnp.array([1.0, 2.0]))
    assert batched.shape == (2,)


def _modules():
    import pplx.distributions as pkg

    names = [m.name for m in pkgutil.iter_modules(pkg.__path__)]
    return ["pplx.distributions"] + [f"pplx.distributions.{n}" for n in names]


@pytest.mark.parametrize("module_name", _modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
