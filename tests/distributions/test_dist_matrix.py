"""Wishart, MatrixNormal and CAR: the generic table battery plus their own checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dist_cases_matrix import CAR_W, MATRIX_CASES, car_precision
from test_dist_families import NUM_DRAWS, _check_density, _check_draws, _check_shapes, _sample

from pplx.distributions.multivariate.graph import CAR
from pplx.distributions.multivariate.matrix import MatrixNormal, Wishart


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in MATRIX_CASES])
def test_family(case):
    d = case.make(**case.batched)
    draws = np.asarray(_sample(d, jax.random.key(0), (NUM_DRAWS,)))
    _check_shapes(case, draws)
    _check_draws(case, draws)
    _check_density(case, draws[:5])


_MU = np.zeros(5)
_NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: CAR(_MU, CAR_W, 0.5, -1.0), "CAR: tau must be positive"),
        (lambda: CAR(_MU, CAR_W, 1.0, 1.0), "CAR: alpha must be in"),
        (lambda: CAR(_MU, CAR_W, np.array([0.5, -1.5]), 1.0), "alpha .* at index"),
        (lambda: CAR(_MU, np.triu(CAR_W), 0.5, 1.0), "W must be symmetric"),
        (lambda: CAR(np.zeros(3), np.zeros((3, 3)), 0.5, 1.0), "node 0 has none"),
        (lambda: CAR(_MU, np.ones((5, 4)), 0.5, 1.0), "W must be a square matrix"),
        (lambda: CAR(_MU, CAR_W + np.eye(5), 0.5, 1.0), "zero diagonal"),
        (lambda: CAR(np.zeros(4), CAR_W, 0.5, 1.0), "mu has 4 entries"),
        (lambda: Wishart(1.5, np.eye(3)), "Wishart: df must be greater than p - 1 = 2"),
        (lambda: Wishart(4.0, _NOT_PD), "Wishart: scale must be positive definite"),
        (lambda: Wishart(4.0, np.array([[1.0, 0.5], [0.0, 1.0]])), "scale must be symmetric"),
        (lambda: Wishart(4.0, scale_tril=-np.eye(2)), "scale_tril must be positive definite"),
        (lambda: Wishart(4.0), "exactly one of scale or scale_tril"),
        (lambda: MatrixNormal(np.zeros((2, 2)), _NOT_PD, np.eye(2)), "row_cov must be positive"),
        (lambda: MatrixNormal(np.zeros((2, 3)), np.eye(2), np.eye(2)), "must end in"),
        (lambda: MatrixNormal(np.zeros((2, 2)), np.eye(2)), "exactly one of col_cov"),
    ],
)
def test_bad_params(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_car_traced_adjacency_raises():
    with pytest.raises(ValueError, match="W must be concrete"):
        jax.jit(lambda w: CAR(_MU, w, 0.5, 1.0).log_prob(_MU))(jnp.asarray(CAR_W))


def _random_graph(rng, n):
    """A ring (so no node is isolated) plus random chords."""
    upper = np.triu(rng.uniform(size=(n, n)) < 0.1, 1)
    ring = np.arange(n)
    upper[ring, (ring + 1) % n] = True
    return (upper | upper.T).astype(float)


def test_car_sparse_matches_dense():
    rng = np.random.default_rng(0)
    n = 30
    W = _random_graph(rng, n)
    mu = rng.normal(size=n)
    x = rng.normal(size=(4, n))
    for alpha, tau in [(0.3, 0.7), (0.95, 2.0), (-0.6, 1.1)]:
        q = car_precision(W, alpha, tau)
        diff = x - mu
        quad = np.einsum("si,ij,sj->s", diff, q, diff)
        want = 0.5 * (np.linalg.slogdet(q)[1] - quad - n * np.log(2 * np.pi))
        d = CAR(mu, W, alpha, tau)
        np.testing.assert_allclose(np.asarray(d.log_prob(x)), want, rtol=1e-10)
        np.testing.assert_allclose(np.asarray(d.precision_matrix), q)


def test_car_traced_alpha_tau():
    W = _random_graph(np.random.default_rng(1), 30)
    mu, x = np.zeros(30), np.ones(30)

    @jax.jit
    def lp(alpha, tau):
        return CAR(mu, W, alpha, tau).log_prob(x)

    # Out of range values do not raise once traced: the density is NaN instead.
    assert np.isfinite(float(lp(0.5, 2.0)))
    lp(1.5, -1.0)
    grad = jax.grad(lp, argnums=(0, 1))(0.5, 2.0)
    assert all(np.isfinite(float(g)) for g in grad)
