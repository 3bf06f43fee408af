"""Intervals with an infinite end get the half-line bijector, not the logistic map."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx.distributions as dist
from pplx.distributions import biject_to, bijectors, constraints

CASES = [
    (constraints.interval(0.0, jnp.inf), bijectors.LowerBound, 0.0, np.inf),
    (constraints.interval(-jnp.inf, 2.0), bijectors.UpperBound, -np.inf, 2.0),
    (constraints.interval(-jnp.inf, jnp.inf), bijectors.Identity, -np.inf, np.inf),
    (constraints.interval(-1.0, 1.0), bijectors.IntervalBijector, -1.0, 1.0),
]


@pytest.mark.parametrize(("con", "kind", "low", "high"), CASES)
def test_forward_lands_strictly_inside_and_log_det_matches_jacobian(con, kind, low, high):
    bij = biject_to(con)
    assert isinstance(bij, kind)
    x = jnp.linspace(-20.0, 20.0, 9)
    y = bij.forward(x)
    assert np.all(np.isfinite(y)) or kind is bijectors.IntervalBijector
    assert np.all((y > low) | (low == -np.inf)) and np.all((y < high) | (high == np.inf))
    for xi in (-2.0, 0.3, 4.0):
        expected = jnp.log(jnp.abs(jax.grad(lambda t: bij.forward(t))(xi)))
        np.testing.assert_allclose(bij.forward_and_log_det(jnp.asarray(xi))[1], expected, rtol=1e-5)


def test_truncated_normal_on_a_half_line_maps_to_finite_values():
    d = dist.TruncatedNormal(0.0, 1.0, low=0.0)
    y = biject_to(d.support).forward(jnp.array([-5.0, 0.0, 5.0]))
    assert np.all(np.isfinite(d.log_prob(y)))
