"""Generic checks over the distribution table (see ``dist_cases.py``)."""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dist_cases import CASES

ALL = [pytest.param(c, id=c.id) for c in CASES]
WITH_MOMENTS = [pytest.param(c, id=c.id) for c in CASES if c.moments]
WITH_OUTSIDE = [pytest.param(c, id=c.id) for c in CASES if c.outside is not None]
BY_ID = {c.id: c for c in CASES}
NUM_DRAWS = 20_000

# Compiling whole calls is much faster than running them op by op on a busy CPU.
_sample = eqx.filter_jit(lambda d, key, shape: d.sample(key, shape))
_log_prob = eqx.filter_jit(lambda d, x: d.log_prob(x))


@functools.cache
def _draws(case_id):
    """NUM_DRAWS draws from the batched row, shared by all tests (samplers such as
    gamma and beta take seconds to compile, so each is compiled once)."""
    case = BY_ID[case_id]
    d = case.make(**case.batched)
    return np.asarray(_sample(d, jax.random.key(0), (NUM_DRAWS,)))


def _points(case, num=5):
    """A few in-support points of the batched row's full shape."""
    return _draws(case.id)[:num]


def _expected_batch(case):
    if case.batch_shape is not None:
        return case.batch_shape
    return np.broadcast_shapes(*(np.shape(v) for v in case.batched.values()))


@pytest.mark.parametrize("case", ALL)
@pytest.mark.parametrize("which", ["params", "batched"])
def test_log_prob_matches_oracle(case, which):
    params = getattr(case, which)
    d = case.make(**params)
    x = _points(case)
    got = np.asarray(_log_prob(d, x))
    want = case.oracle(params, x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=case.rtol, atol=1e-10)


@pytest.mark.parametrize("case", ALL)
def test_shapes(case):
    key = jax.random.key(0)
    d0 = case.make(**case.params)
    assert d0.batch_shape == ()
    assert isinstance(d0.batch_shape, tuple) and isinstance(d0.event_shape, tuple)
    assert len(d0.event_shape) == case.event_ndim
    assert jax.eval_shape(lambda: d0.sample(key)).shape == d0.event_shape
    d = case.make(**case.batched)
    batch = tuple(_expected_batch(case))
    assert d.batch_shape == batch
    event = d.event_shape
    x = jax.eval_shape(lambda: d.sample(key, (4, 2)))
    assert x.shape == (4, 2) + batch + event == d.shape((4, 2))
    xs = _points(case, 8).reshape((4, 2) + batch + event)
    assert _log_prob(d, xs).shape == (4, 2) + batch
    # One value of event shape broadcasts against the batch.
    assert _log_prob(d, xs[(0, 0) + (0,) * len(batch)]).shape == batch
    if case.moments:
        assert d.mean.shape == batch + event
        assert d.variance.shape == batch + event


@pytest.mark.parametrize("case", ALL)
def test_samples_in_support(case):
    d = case.make(**case.batched)
    x = _draws(case.id)
    assert bool(jnp.all(d.support.check(x)))
    assert d.is_discrete == case.discrete == d.support.is_discrete
    if case.discrete:
        assert np.issubdtype(x.dtype, np.integer)


@pytest.mark.parametrize("case", WITH_MOMENTS)
def test_sample_moments(case):
    d = case.make(**case.batched)
    x = _draws(case.id).astype(float)
    mean, var = np.asarray(d.mean), np.asarray(d.variance)
    n = x.shape[0]
    # Tolerances are 5 Monte Carlo standard errors of each estimator.
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(var / n) + 1e-12)
    m4 = np.mean((x - x.mean(0)) ** 4, axis=0)
    se_var = np.sqrt(np.maximum(m4 - var**2, 0.0) / n)
    assert np.all(np.abs(x.var(0) - var) < 5 * se_var + 1e-12)


@pytest.mark.parametrize("case", WITH_OUTSIDE)
def test_outside_support_is_minus_inf_with_finite_grads(case):
    name = case.grad_params[0]

    @jax.jit
    def lp(p):
        params = dict(case.params, **{name: p})
        return case.make(**params).log_prob(jnp.asarray(case.outside))

    p0 = jnp.asarray(case.params[name], float)
    assert float(lp(p0)) == -np.inf
    grad = jax.grad(lp)(p0)
    assert bool(jnp.all(jnp.isfinite(grad)))


def _fd_grad(f, x, h=1e-6):
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        step = h * max(1.0, abs(x[idx]))
        up, down = x.copy(), x.copy()
        up[idx] += step
        down[idx] -= step
        out[idx] = (float(f(jnp.asarray(up))) - float(f(jnp.asarray(down)))) / (2 * step)
    return out


@pytest.mark.parametrize("case", ALL)
def test_grad_matches_finite_differences(case):
    d = case.make(**case.batched)
    x = jnp.asarray(_points(case, 2))
    for name in case.grad_params:

        @jax.jit
        def lp(p, name=name):
            return jnp.sum(case.make(**dict(case.batched, **{name: p})).log_prob(x))

        p0 = jnp.asarray(case.batched[name], float)
        got = np.asarray(jax.grad(lp)(p0))
        np.testing.assert_allclose(got, _fd_grad(lp, p0), rtol=1e-5, atol=1e-6, err_msg=name)
    if not case.discrete and case.value_grad:

        @jax.jit
        def lp_x(v):
            return jnp.sum(d.log_prob(v))

        got = np.asarray(jax.grad(lp_x)(x))
        np.testing.assert_allclose(got, _fd_grad(lp_x, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ALL)
def test_log_prob_under_jit(case):
    x = jnp.asarray(_points(case, 3))

    @jax.jit
    def lp(params):
        return case.make(**params).log_prob(x)

    params = {k: jnp.asarray(v) for k, v in case.params.items()}
    np.testing.assert_allclose(lp(params), case.make(**case.params).log_prob(x), rtol=1e-12)
