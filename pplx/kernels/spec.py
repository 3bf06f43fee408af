"""Which gradient-based kernel a run uses, as a small hashable value.

The drivers in :mod:`pplx.infer.chains` adapt a step size and a mass matrix the same way for
every kernel whose ``step`` is ``step(key, state, step_size, inverse_mass_matrix)``.
A spec names the kernel and its static settings; ``build(logdensity_fn)`` returns the
:class:`~pplx.kernels.base.Algorithm`. Specs are NamedTuples of Python numbers, so a
jitted driver treats them as static and caches one program per spec.

Example:
    >>> import jax, jax.numpy as jnp
    >>> spec = HMCSpec(num_integration_steps=8)
    >>> algo = spec.build(lambda z: -0.5 * jnp.sum(z**2))
    >>> _, info = algo.step(jax.random.key(0), algo.init(jnp.zeros(2)), 0.2, jnp.ones(2))
    >>> int(info.n_steps), spec.name
    (8, 'hmc')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pplx.kernels.base import Algorithm
from pplx.kernels.hmc import hmc, jittered_hmc
from pplx.kernels.nuts import nuts


class NUTSSpec(NamedTuple):
    """The No-U-Turn Sampler with multinomial sampling along the trajectory.

    A trajectory doubles at most ``max_tree_depth`` times, so a transition takes at most
    ``2**max_tree_depth - 1`` leapfrog steps.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> spec = NUTSSpec(max_tree_depth=3)
        >>> algo = spec.build(lambda z: -0.5 * jnp.sum(z**2))
        >>> _, info = algo.step(jax.random.key(0), algo.init(jnp.zeros(2)), 0.5, jnp.ones(2))
        >>> spec.name, int(info.tree_depth) <= 3, int(info.n_steps) <= 7
        ('nuts', True, True)
        >>> spec == NUTSSpec(3), hash(spec) == hash(NUTSSpec(3))  # static, hashable
        (True, True)
    """

    max_tree_depth: int = 10

    @property
    def name(self) -> str:
        return "nuts"

    def build(self, logdensity_fn: Callable) -> Algorithm:
        return nuts(logdensity_fn, max_tree_depth=self.max_tree_depth)


class HMCSpec(NamedTuple):
    """Static-path HMC; ``jitter > 0`` draws the number of steps afresh each transition
    from ``[(1 - jitter) L, (1 + jitter) L]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> spec = HMCSpec(num_integration_steps=10, jitter=0.5)
        >>> algo = spec.build(lambda z: -0.5 * jnp.sum(z**2))
        >>> state = algo.init(jnp.zeros(2))
        >>> steps = [int(algo.step(jax.random.key(i), state, 0.3, jnp.ones(2))[1].n_steps)
        ...          for i in range(5)]
        >>> spec.name, all(5 <= n <= 15 for n in steps)
        ('hmc', True)
    """

    num_integration_steps: int = 32
    jitter: float = 0.0

    @property
    def name(self) -> str:
        return "hmc"

    def build(self, logdensity_fn: Callable) -> Algorithm:
        if self.jitter > 0:
            return jittered_hmc(logdensity_fn, self.num_integration_steps, self.jitter)
        return hmc(logdensity_fn, self.num_integration_steps)


def check_count(name: str, value, low: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a Python int (not a bool) ``>= low``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be a Python int >= {low}, got {value!r}.")


def check_run_lengths(num_warmup, num_samples, num_chains) -> None:
    """The run lengths every driver takes: warmup >= 0, draws and chains >= 1."""
    check_count("num_warmup", num_warmup, 0)
    check_count("num_samples", num_samples, 1)
    check_count("num_chains", num_chains, 1)


def check_spec(spec) -> None:
    """Raise ``ValueError`` for settings no kernel can run with."""
    if isinstance(spec, NUTSSpec):
        check_count("max_tree_depth", spec.max_tree_depth, 1)
        return
    if isinstance(spec, HMCSpec):
        check_count("num_integration_steps", spec.num_integration_steps, 1)
        if not 0.0 <= float(spec.jitter) < 1.0:
            raise ValueError(f"jitter must lie in [0, 1), got {spec.jitter!r}.")
        return
    raise TypeError(f"kernel must be a NUTSSpec or an HMCSpec, got {type(spec).__name__}.")


DEFAULT_KERNEL = NUTSSpec()
