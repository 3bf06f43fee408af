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


@functools.cache
def _make_log_prob(case_id):
    make = BY_ID[case_id].make
    return jax.jit(lambda params, x: make(**params).log_prob(x))


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
    x = _points(case)
    # Parameters enter as tracers: construction must not validate on the host.
    got = np.asarray(_make_log_prob(case.id)(params, x))
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
    assert jax.eval_shape(d.log_prob, x).shape == (4, 2) + batch
    # One value of event shape broadcasts against the batch.
    one = jax.ShapeDtypeStruct(event, x.dtype)
    assert jax.eval_shape(d.log_prob, one).shape == batch
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

    def lp(p):
        params = dict(case.params, **{name: p})
        return case.make(**params).log_prob(jnp.asarray(case.outside))

    p0 = jnp.asarray(case.params[name], float)
    value, grad = jax.jit(jax.value_and_grad(lp))(p0)
    assert float(value) == -np.inf
    assert bool(jnp.all(jnp.isfinite(grad)))


def _fd_grad(f, args, h=1e-6):
    """Central differences of scalar ``f(args)`` for each leaf of the dict ``args``."""
    out = {}
    for name, value in args.items():
        value = np.asarray(value, float)
        grad = np.zeros_like(value)
        for idx in np.ndindex(*value.shape):
            step = h * max(1e-2, abs(value[idx]))
            up, down = value.copy(), value.copy()
            up[idx] += step
            down[idx] -= step
            f_up = float(f(dict(args, **{name: jnp.asarray(up)})))
            f_down = float(f(dict(args, **{name: jnp.asarray(down)})))
            grad[idx] = (f_up - f_down) / (2 * step)
        out[name] = grad
    return out


@pytest.mark.parametrize("case", ALL)
def test_grad_matches_finite_differences(case):
    args = {name: jnp.asarray(case.batched[name], float) for name in case.grad_params}
    if not case.discrete and case.value_grad:
        args["value"] = jnp.asarray(_points(case, 2))
    x = jnp.asarray(_points(case, 2))

    def lp(args):
        params = {k: v for k, v in args.items() if k != "value"}
        d = case.make(**dict(case.batched, **params))
        return jnp.sum(d.log_prob(args.get("value", x)))

    # One compiled function serves both the gradient and the finite differences.
    value_and_grad = jax.jit(jax.value_and_grad(lp))
    got = value_and_grad(args)[1]
    want = _fd_grad(lambda a: value_and_grad(a)[0], args)
    for name in args:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=name)
