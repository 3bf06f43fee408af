"""Leapfrog and Euclidean metric on Gaussians, against closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pplx.kernels.integrators import IntegratorState, velocity_verlet
from pplx.kernels.metrics import gaussian_euclidean, is_turning

PRECISION = jnp.array([[2.0, 0.6], [0.6, 1.0]])


def _logdensity(z):
    return -0.5 * z @ PRECISION @ z


def _start(momentum):
    z = jnp.array([1.0, -0.5])
    return IntegratorState(z, momentum, _logdensity(z), jax.grad(_logdensity)(z))


def _energy(metric, s):
    return -s.logdensity + metric.kinetic_energy(s.momentum)


@jax.jit
def _max_energy_error(step_size, inverse_mass_matrix):
    metric = gaussian_euclidean(inverse_mass_matrix)
    step = velocity_verlet(_logdensity, metric.velocity)
    start = _start(jnp.array([0.3, 0.8]))

    def body(s, _):
        s = step(s, step_size)
        return s, _energy(metric, s)

    _, energies = jax.lax.scan(body, start, length=200)
    return jnp.max(jnp.abs(energies - _energy(metric, start)))


@pytest.mark.parametrize(
    "imm", [jnp.ones(2), jnp.array([[1.0, 0.3], [0.3, 0.5]])], ids=["diag", "dense"]
)
def test_energy_error_is_second_order(imm):
    coarse, fine = _max_energy_error(0.1, imm), _max_energy_error(0.05, imm)
    assert coarse < 0.05
    assert 3.5 < coarse / fine < 4.5  # O(eps^2): halving the step quarters the error


def test_leapfrog_is_reversible():
    metric = gaussian_euclidean(jnp.array([1.5, 0.7]))
    step = jax.jit(velocity_verlet(_logdensity, metric.velocity))
    start = _start(jnp.array([0.3, 0.8]))
    s = start
    for _ in range(25):
        s = step(s, 0.2)
    s = s._replace(momentum=-s.momentum)
    for _ in range(25):
        s = step(s, 0.2)
    np.testing.assert_allclose(s.position, start.position, atol=1e-12)
    np.testing.assert_allclose(-s.momentum, start.momentum, atol=1e-12)
    # Integrating with a negative step size is the same as flipping the momentum.
    back = start
    for _ in range(3):
        back = step(back, -0.2)
    flipped = start._replace(momentum=-start.momentum)
    for _ in range(3):
        flipped = step(flipped, 0.2)
    np.testing.assert_allclose(back.position, flipped.position, atol=1e-12)


def test_kinetic_energy_and_velocity_match_formulas():
    p = jnp.array([0.5, -1.0, 2.0])
    diag = jnp.array([2.0, 0.5, 3.0])
    metric = gaussian_euclidean(diag)
    np.testing.assert_allclose(metric.kinetic_energy(p), 0.5 * np.sum(diag * p**2))
    np.testing.assert_allclose(metric.velocity(p), diag * p)
    a = np.array([[1.0, 0.2, 0.0], [0.3, 1.5, 0.1], [0.0, -0.4, 0.8]])
    dense = jnp.asarray(a @ a.T)
    metric = gaussian_euclidean(dense)
    np.testing.assert_allclose(metric.kinetic_energy(p), 0.5 * p @ (a @ a.T) @ p)
    np.testing.assert_allclose(metric.velocity(p), (a @ a.T) @ p)


@pytest.mark.parametrize(
    "imm",
    [jnp.array([4.0, 0.25, 1.0]), jnp.array([[4.0, 1.5, 0.0], [1.5, 1.0, 0.3], [0.0, 0.3, 0.5]])],
    ids=["diag", "dense"],
)
def test_momentum_covariance_is_the_mass_matrix(imm):
    n = 40_000
    metric = gaussian_euclidean(imm)
    keys = jax.random.split(jax.random.key(3), n)
    draws = np.asarray(
        jax.jit(jax.vmap(metric.sample_momentum, in_axes=(0, None)))(keys, jnp.zeros(3))
    )
    mass = np.linalg.inv(np.diag(imm) if imm.ndim == 1 else np.asarray(imm))
    cov = draws.T @ draws / n
    # Each entry of a Gaussian sample covariance has sd sqrt((M_ii M_jj + M_ij^2) / n).
    sd = np.sqrt((np.outer(np.diag(mass), np.diag(mass)) + mass**2) / n)
    assert np.all(np.abs(cov - mass) < 5 * sd)
    # and the normal-noise map agrees with the keyed draw
    z = jax.random.normal(jax.random.key(1), (3,))
    np.testing.assert_allclose(
        metric.momentum_from_normal(z) @ np.linalg.inv(mass) @ metric.momentum_from_normal(z),
        z @ z,
        rtol=1e-10,
    )


def test_generalised_uturn_criterion():
    right = jnp.array([1.0, 0.0])
    assert not is_turning(right, right, jnp.array([2.0, 0.1]))
    assert is_turning(right, -right, jnp.array([2.0, 0.1]))
    assert is_turning(right, right, jnp.array([-0.1, 3.0]))


def test_metric_rejects_bad_shape():
    with pytest.raises(ValueError, match="inverse mass matrix"):
        gaussian_euclidean(jnp.ones((2, 2, 2)))
