"""Bijectors and ``biject_to``: round trips, log-determinants, shape maps, supports."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx.distributions as dist
from pplx.distributions import bijectors as B
from pplx.distributions import constraints as C
from pplx.distributions.zero_sum import ZeroSumBijector


def _tril_entries(m, offset):
    rows, cols = np.tril_indices(m.shape[-1], offset)
    return m[..., rows, cols]


# (id, bijector, unconstrained shape, embedding of the output into R^d with d equal to
# the input size, so that the Jacobian is square)
ROWS = [
    ("identity", B.Identity(), (3,), None),
    ("exp", B.Exp(), (3,), None),
    ("softplus", B.Softplus(), (3,), None),
    ("affine", B.Affine(1.0, -2.5), (3,), None),
    ("interval", B.IntervalBijector(-1.0, 3.0), (3,), None),
    ("interval-array", B.IntervalBijector(jnp.array([0.0, 1.0, 2.0]), 5.0), (3,), None),
    ("lower-bound", B.LowerBound(2.0), (3,), None),
    ("upper-bound", B.UpperBound(-1.0), (3,), None),
    ("stick-breaking", B.StickBreaking(), (4,), lambda y: y[..., :-1]),
    ("ordered", B.Ordered(), (4,), None),
    ("positive-ordered", B.Chain([B.Ordered(), B.Exp()]), (4,), None),
    ("lower-cholesky", dist.LowerCholeskyBijector(), (6,), lambda y: _tril_entries(y, 0)),
    ("corr-cholesky", dist.CorrCholeskyBijector(), (6,), lambda y: _tril_entries(y, -1)),
    (
        "positive-definite",
        B.Chain([dist.LowerCholeskyBijector(), dist.CholeskyOuter()]),
        (6,),
        lambda y: _tril_entries(y, 0),
    ),
    (
        "corr-matrix",
        B.Chain([dist.CorrCholeskyBijector(), dist.CholeskyOuter(corr=True)]),
        (3,),
        lambda y: _tril_entries(y, -1),
    ),
    ("independent-exp", B.IndependentBijector(B.Exp(), 1), (3,), None),
]
PARAMS = [pytest.param(b, s, e, id=i) for i, b, s, e in ROWS]


def _x(shape, seed=0):
    return jax.random.normal(jax.random.key(seed), shape)


def _event_ndim(bij, shape):
    """Number of input dims that the log-det sums over."""
    _, ld = bij.forward_and_log_det(jnp.zeros(shape))
    return len(shape) - ld.ndim


@eqx.filter_jit
def _round_trip(bij, x):
    y, ld = bij.forward_and_log_det(x)
    x_back, ild = bij.inverse_and_log_det(y)
    return y, ld, x_back, ild, bij.forward(x), bij.inverse(y)


@pytest.mark.parametrize(("bij", "shape", "embed"), PARAMS)
def test_round_trip_and_shapes(bij, shape, embed):
    x = _x((2,) + shape)
    y, ld, x_back, ild, y2, x_back2 = _round_trip(bij, x)
    assert y.shape == bij.forward_shape(x.shape)
    assert bij.inverse_shape(y.shape) == x.shape
    np.testing.assert_allclose(x_back, x, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ild, -ld, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(y2, y)
    np.testing.assert_allclose(x_back2, x_back)


@pytest.mark.parametrize(("bij", "shape", "embed"), PARAMS)
def test_log_det_matches_jacobian(bij, shape, embed):
    x = _x(shape, seed=1)
    embed = embed or (lambda y: y)
    n_event = _event_ndim(bij, shape)
    if n_event == 0:
        # Elementwise: the Jacobian is diagonal.
        jac = jax.jit(jax.jacobian(lambda v: embed(bij.forward(v))))(x)
        want = np.log(np.abs(np.diagonal(jac.reshape(x.size, x.size))))
        got = bij.forward_and_log_det(x)[1]
        np.testing.assert_allclose(got.reshape(-1), want, rtol=1e-8, atol=1e-10)
        return
    jac = jax.jit(jax.jacobian(lambda v: embed(bij.forward(v)).reshape(-1)))(x)
    jac = jac.reshape(x.size, -1)
    assert jac.shape[0] == jac.shape[1]
    want = np.linalg.slogdet(np.asarray(jac))[1]
    np.testing.assert_allclose(bij.forward_and_log_det(x)[1], want, rtol=1e-8, atol=1e-10)


CONSTRAINTS = [
    (C.real, (3,)),
    (C.real_vector, (3,)),
    (C.positive, (3,)),
    (C.nonnegative, (3,)),
    (C.unit_interval, (3,)),
    (C.circular, (3,)),
    (C.interval(-2.0, jnp.array([0.0, 1.0, 5.0])), (3,)),
    (C.interval(jnp.array([[0.0], [1.0]]), 5.0), (2, 3)),
    (C.greater_than(jnp.array([1.0, -1.0, 0.0])), (3,)),
    (C.less_than(2.0), (3,)),
    (C.simplex, (4,)),
    (C.ordered_vector, (4,)),
    (C.positive_ordered_vector, (4,)),
    (C.lower_cholesky, (6,)),
    (C.corr_cholesky, (6,)),
    (C.positive_definite, (6,)),
    (C.corr_matrix, (6,)),
    (C.independent(C.positive, 1), (3,)),
    (C.zero_sum(1), (3,)),
    (C.zero_sum(2), (2, 3)),
]


@pytest.mark.parametrize(("con", "shape"), [pytest.param(c, s, id=c.name) for c, s in CONSTRAINTS])
def test_biject_to_lands_in_support(con, shape):
    x = 3.0 * _x((5,) + shape, seed=2)

    @jax.jit
    def run(x):
        bij = dist.biject_to(con)
        y, ld = bij.forward_and_log_det(x)
        return y, ld, con.check(y), bij.forward(bij.inverse(y))

    y, ld, ok, y_again = run(x)
    assert bool(jnp.all(ok))
    # The log-det has the batch shape of the constrained value.
    assert ld.shape == y.shape[: y.ndim - con.event_dim]
    assert bool(jnp.all(jnp.isfinite(ld)))
    np.testing.assert_allclose(y_again, y, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("con", [C.boolean, C.nonnegative_integer, C.integer_interval(0, 3)])
def test_biject_to_discrete_raises(con):
    with pytest.raises(TypeError, match="Gibbs/Metropolis"):
        dist.biject_to(con)


def test_interval_bounds_from_a_tracer():
    # garch11: beta1 in (0, 1 - alpha1), with alpha1 a traced parameter.
    @jax.jit
    def f(alpha1, x):
        con = C.interval(0.0, 1.0 - alpha1)
        y, ld = dist.biject_to(con).forward_and_log_det(x)
        return y, ld, con.check(y)

    y, ld, ok = f(jnp.array([0.3, 0.9]), jnp.array([4.0, -1.0]))
    assert bool(jnp.all(ok)) and bool(jnp.all(y < jnp.array([0.7, 0.1])))
    assert bool(jnp.all(jnp.isfinite(ld)))


def test_stick_breaking_is_stable_for_extreme_inputs():
    x = jnp.array([[40.0, -40.0, 0.0], [-300.0, 300.0, 5.0]])
    y, ld = B.StickBreaking().forward_and_log_det(x)
    assert bool(jnp.all(jnp.isfinite(ld)))
    assert bool(jnp.all(C.simplex.check(y)))


def test_interval_extreme_inputs_stay_inside():
    y, ld = B.IntervalBijector(0.0, 1.0).forward_and_log_det(jnp.array([-800.0, 800.0]))
    assert bool(jnp.all(C.unit_interval.check(y)))
    assert bool(jnp.all(jnp.isfinite(ld)))


def test_zero_sum_bijector_is_an_isometry():
    # log|det J| = 0 with respect to the subspace: the Jacobian has orthonormal columns.
    bij = ZeroSumBijector(1)
    jac = jax.jacobian(bij.forward)(_x((4,), seed=3))
    np.testing.assert_allclose(jac.T @ jac, np.eye(4), atol=1e-12)
    assert bij.forward_shape((2, 4)) == (2, 5) and bij.inverse_shape((2, 5)) == (2, 4)
