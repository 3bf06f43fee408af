"""The Euclidean metric of HMC: momentum draws, kinetic energy, velocity, U-turn check.

The metric is given by its inverse mass matrix ``M^{-1}``, the covariance the adaptation
estimates: ``f[d]`` for a diagonal metric, ``f[d, d]`` for a dense one (told apart by
``ndim`` at trace time). Momenta are drawn from ``N(0, M)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl


class Metric(NamedTuple):
    """The functions HMC needs from a metric; all act on flat vectors ``f[d]``.

    ``sample_momentum(key, position)`` draws ``p ~ N(0, M)``; ``momentum_from_normal(z)``
    maps a standard normal ``z`` to such a draw (for kernels that draw their noise in one
    batch); ``kinetic_energy(p)`` is
    ``p' M^{-1} p / 2``; ``velocity(p)`` is ``M^{-1} p`` (Betancourt's ``p_sharp``);
    ``is_turning(velocity_left, velocity_right, rho)`` is the generalised U-turn check.
    """

    sample_momentum: Callable
    momentum_from_normal: Callable
    kinetic_energy: Callable
    velocity: Callable
    is_turning: Callable


def is_turning(velocity_left: jax.Array, velocity_right: jax.Array, rho: jax.Array) -> jax.Array:
    """Betancourt's generalised No-U-Turn criterion, as Stan evaluates it.

    Args:
        velocity_left: ``M^{-1} p`` at one end of the trajectory.
        velocity_right: ``M^{-1} p`` at the other end.
        rho: sum of the momenta of every state of the trajectory, both ends included.

    Returns:
        True when either end's velocity points against ``rho``: extending further would
        bring the trajectory back towards where it has been.

    Example:
        >>> import jax.numpy as jnp
        >>> bool(is_turning(jnp.ones(2), jnp.ones(2), jnp.ones(2)))
        False
        >>> bool(is_turning(jnp.ones(2), -jnp.ones(2), jnp.ones(2)))
        True
    """
    return (jnp.dot(velocity_left, rho) <= 0) | (jnp.dot(velocity_right, rho) <= 0)


def _diagonal(inverse_mass_matrix: jax.Array) -> Metric:
    scale = jnp.sqrt(inverse_mass_matrix)

    def momentum_from_normal(z):
        return z / scale

    def velocity(momentum):
        return inverse_mass_matrix * momentum

    def kinetic_energy(momentum):
        return 0.5 * jnp.dot(momentum, velocity(momentum))

    return Metric(
        _sampler(momentum_from_normal), momentum_from_normal, kinetic_energy, velocity, is_turning
    )


def _sampler(momentum_from_normal: Callable) -> Callable:
    def sample_momentum(key, position):
        z = jax.random.normal(key, position.shape, position.dtype)
        return momentum_from_normal(z)

    return sample_momentum


def _dense(inverse_mass_matrix: jax.Array) -> Metric:
    # With M^{-1} = L L', the momentum p = L'^{-1} z has covariance (L L')^{-1} = M: one
    # triangular solve, never an explicit inverse of an ill-conditioned matrix.
    chol = jnp.linalg.cholesky(inverse_mass_matrix)

    def momentum_from_normal(z):
        return jsl.solve_triangular(chol, z, lower=True, trans="T")

    def velocity(momentum):
        return jnp.matmul(inverse_mass_matrix, momentum)

    def kinetic_energy(momentum):
        return 0.5 * jnp.dot(momentum, velocity(momentum))

    return Metric(
        _sampler(momentum_from_normal), momentum_from_normal, kinetic_energy, velocity, is_turning
    )


def gaussian_euclidean(inverse_mass_matrix: jax.Array) -> Metric:
    """Build the Euclidean metric of a diagonal ``f[d]`` or dense ``f[d, d]`` matrix.

    Args:
        inverse_mass_matrix: ``M^{-1}``, an estimate of the target's covariance.

    Returns:
        A :class:`Metric`.

    Raises:
        ValueError: when ``inverse_mass_matrix`` is neither 1- nor 2-dimensional.

    Example:
        >>> import jax.numpy as jnp
        >>> metric = gaussian_euclidean(jnp.array([[2.0, 0.0], [0.0, 4.0]]))
        >>> float(metric.kinetic_energy(jnp.array([1.0, 1.0])))
        3.0
        >>> metric.velocity(jnp.array([1.0, 1.0])).tolist()
        [2.0, 4.0]
    """
    inverse_mass_matrix = jnp.asarray(inverse_mass_matrix)
    if inverse_mass_matrix.ndim == 1:
        return _diagonal(inverse_mass_matrix)
    if inverse_mass_matrix.ndim == 2:
        return _dense(inverse_mass_matrix)
    raise ValueError(
        f"The inverse mass matrix must be f[d] (diagonal) or f[d, d] (dense); got shape "
        f"{inverse_mass_matrix.shape}."
    )
