"""A chain's start: a starting point and a reasonable first step size, in one loop.

**The starting point.** Candidates are uniform in (-radius, radius) of the unconstrained
space, retried until the log density and its gradient are finite, and not hopelessly far
below the others. Why not simply the first finite candidate: a model can be finite but
astronomically improbable over much of the cube. An MA(2) series of 200 points whose
coefficients start past 1 in magnitude has a log density near -1e60 there; no sampler
gets out of such a point, because its energy error, however small relative to 1e60, is
thousands of nats (a divergence) for any step that moves the chain. The search
therefore looks at the first ``num_candidates`` candidates and keeps the earliest finite
one whose log density is within ``max_gap`` nats of every other finite candidate's: the
start is still drawn from the cube (dispersed, as R-hat needs), but never from a region
the chain could not leave.

**The step size.** Double or halve until one leapfrog step's acceptance crosses a
threshold (Hoffman & Gelman's heuristic, as Stan and NumPyro run it): see
:func:`pplx.kernels.step_size.find_reasonable_step_size`.

Both searches evaluate the log density and its gradient once per iteration, so
:func:`search_start` runs them as two phases of one ``lax.while_loop`` with a single
``value_and_grad`` in its body: the samplers' compiled program holds the gradient twice
(here and in the trajectory), not four times (eight schools, 4 chains, CPU: ~10% less
optimised HLO and XLA compile time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.metrics import gaussian_euclidean
from pplx.kernels.random_words import leaf_words, uniform_from_words, word_stream

#: Candidates compared (one log-density-and-gradient evaluation each).
NUM_CANDIDATES = 10
#: How far (nats) the chosen start may lie below the best candidate: one trajectory
#: bridges a few thousand nats (the divergence threshold is 1000), not 1e10.
MAX_GAP = 1e4
#: Most candidates tried for a starting point.
MAX_TRIES = 100
#: Most doublings or halvings per step-size search: 2**-40 ~ 1e-12 of its start.
MAX_SEARCH_STEPS = 40

_START, _STEP_SIZE, _DONE = 0, 1, 2


def uniform_candidate(seed: jax.Array, i, num_dims: int, radius: float = 2.0, dtype=None):
    """Candidate ``i`` of the start search with ``seed`` (two ``uint32`` words): uniform
    in the cube (-radius, radius)^d.

    Example:
        >>> import jax.numpy as jnp
        >>> z = uniform_candidate(jnp.array([1, 2], jnp.uint32), 0, 3)
        >>> z.shape, bool(jnp.all(jnp.abs(z) < 2))
        ((3,), True)
    """
    dtype = jnp.result_type(float) if dtype is None else dtype
    words = word_stream(leaf_words(seed, jnp.asarray(i)), num_dims)
    return radius * (2.0 * uniform_from_words(words, dtype) - 1.0)


def start_noise(seed: jax.Array, num_dims: int, dtype) -> jax.Array:
    """The step-size search's noise, its momentum before the mass matrix: random signs
    from ``seed`` (two ``uint32`` words).

    A random direction with unit variance per coordinate (a kinetic energy of exactly
    ``d / 2``, the mean under a normal draw) serves the heuristic as well as a normal
    draw, and needs no logarithm or inverse error function in the compiled loop.

    Example:
        >>> import jax.numpy as jnp
        >>> sorted(set(start_noise(jnp.array([3, 4], jnp.uint32), 8, jnp.float32).tolist()))
        [-1.0, 1.0]
    """
    bits = word_stream(seed, num_dims)[:, 0] & jnp.uint32(1)
    return 1.0 - 2.0 * bits.astype(dtype)


class StartResult(NamedTuple):
    """What :func:`search_start` found: the point with its log density and gradient,
    whether it is finite, the step size and the step-size search's gradient count."""

    position: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array
    ok: jax.Array
    inverse_mass_matrix: jax.Array
    step_size: jax.Array
    num_grads: jax.Array


class _Carry(NamedTuple):
    phase: jax.Array
    i: jax.Array  # evaluations in the current phase
    position: jax.Array  # the start: the kept candidate, fixed in phase 2
    logdensity: jax.Array
    logdensity_grad: jax.Array
    ok: jax.Array
    step_size: jax.Array  # phase 2: the last size tried
    first: jax.Array  # phase 2: whether the first size tried was accepted
    num_grads: jax.Array  # phase 2's evaluations


def search_start(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    seeds: jax.Array,
    position: jax.Array,
    logdensity: jax.Array,
    logdensity_grad: jax.Array,
    inverse_mass_matrix: jax.Array,
    step_size,
    *,
    start_tries=MAX_TRIES,
    search_step_size=True,
    mass_at_start: Callable | None = None,
    target_accept: float = 0.8,
    max_steps: int = MAX_SEARCH_STEPS,
    radius: float = 2.0,
    num_candidates: int = NUM_CANDIDATES,
    max_gap: float = MAX_GAP,
) -> StartResult:
    """Find a starting point (phase 1), then a reasonable step size there (phase 2).

    Phase 1 runs when ``start_tries > 0``: with ``start_tries == 1`` it evaluates
    ``position`` itself (a given start); otherwise candidate ``i`` is uniform in
    ``(-radius, radius)^d`` (:func:`uniform_candidate` with ``seeds[0]``). The first
    finite candidate is kept, and replaced by a later one (among the first
    ``num_candidates``) only when that one's log density exceeds it by more than
    ``max_gap``. After ``num_candidates``
    candidates the search stops at the first finite one, up to ``start_tries`` in all.
    With ``start_tries == 0``, ``position``, ``logdensity`` and ``logdensity_grad`` are
    the chain's current point.

    Phase 2 runs when ``search_step_size`` and the point is finite: one momentum with
    covariance ``M`` (:func:`start_noise` with ``seeds[1]``: random signs, scaled); the
    acceptance of a leapfrog step of size ``e`` is
    ``min(1, exp(H(start) - H(after one step)))``, a NaN energy counting as 0. If the
    first step (of ``step_size``) is accepted more often than ``target_accept`` the size
    doubles until it is not, else it halves until it is (Stan's rule: the returned size
    is the first one past the crossing), at most ``max_steps`` times.

    ``mass_at_start(position, grad)``, when given, sets the inverse mass matrix from the
    point phase 1 found (warmup schemes that start from the gradient).

    ``seeds`` are two pairs of ``uint32`` words, ``(2, 2)``: the search's random numbers
    are hashed from them (:mod:`pplx.kernels.random_words`), no Threefry call, so the
    loop compiles small. Pure and jit/vmap-able; works on one chain. ``start_tries`` and
    ``search_step_size`` may be traced.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> f = lambda z: -0.5 * jnp.sum((z / 0.01) ** 2)
        >>> z = jnp.zeros(2)
        >>> seeds = jax.random.bits(jax.random.key(0), (2, 2), jnp.uint32)
        >>> res = search_start(f, seeds, z, f(z), jax.grad(f)(z), jnp.ones(2), 1.0)
        >>> bool(res.ok), bool(jnp.all(jnp.abs(res.position) < 2)), float(res.step_size) < 0.1
        (True, True, True)
    """
    dtype = position.dtype
    num_dims = position.shape[-1]
    log_target = math.log(target_accept)
    start_tries = jnp.asarray(start_tries, jnp.int32)
    search_step_size = jnp.asarray(search_step_size, bool)
    noise = start_noise(seeds[1], num_dims, dtype)
    value_and_grad = jax.value_and_grad(logdensity_fn)
    select = lambda flag, a, b: jax.tree.map(lambda u, v: jnp.where(flag, u, v), a, b)

    def mass(carry: _Carry):
        if mass_at_start is None:
            return inverse_mass_matrix
        found = carry.ok & (start_tries > 0)
        at_start = mass_at_start(carry.position, carry.logdensity_grad)
        return jnp.where(found, at_start, inverse_mass_matrix)

    def momentum_and_energy(carry: _Carry, metric):
        """The search's momentum and the Hamiltonian at the start (recomputed, not
        carried: both are fixed once phase 1 ends)."""
        momentum = metric.momentum_from_normal(noise)
        return momentum, -carry.logdensity + metric.kinetic_energy(momentum)

    def next_phase(carry: _Carry, metric) -> jax.Array:
        """Phase 2 where a step-size search applies to a finite start, else done."""
        _, energy0 = momentum_and_energy(carry, metric)
        go = search_step_size & carry.ok & jnp.isfinite(energy0)
        return jnp.where(go, _STEP_SIZE, _DONE).astype(jnp.int32)

    def trial_step_size(carry: _Carry):
        factor = jnp.where(carry.first, 2.0, 0.5).astype(dtype)
        return jnp.where(carry.i == 0, carry.step_size, carry.step_size * factor)

    def after_start(carry: _Carry, z, value, grad) -> _Carry:
        new_ok = jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))
        value = jnp.where(new_ok, value, -jnp.inf)
        take = new_ok & (~carry.ok | (value > carry.logdensity + max_gap))
        take = take | (~carry.ok & ~new_ok)  # until one is finite, report the last candidate
        kept = select(take, (z, value, grad), carry[2:5])
        i, ok = carry.i + 1, carry.ok | new_ok
        position, logdensity, logdensity_grad = kept
        carry = carry._replace(
            i=i, position=position, logdensity=logdensity, logdensity_grad=logdensity_grad, ok=ok
        )
        finished = (i >= start_tries) | (ok & (i >= jnp.minimum(num_candidates, start_tries)))
        phase = jnp.where(finished, next_phase(carry, gaussian_euclidean(mass(carry))), _START)
        return carry._replace(phase=phase.astype(jnp.int32), i=jnp.where(finished, 0, i))

    def after_step(carry: _Carry, eps, accepted) -> _Carry:
        first = jnp.where(carry.i == 0, accepted, carry.first)
        crossed = (carry.i > 0) & (accepted != first)
        i = carry.i + 1
        phase = jnp.where(crossed | (i > max_steps), _DONE, _STEP_SIZE).astype(jnp.int32)
        return carry._replace(phase=phase, i=i, step_size=eps, first=first, num_grads=i)

    def body(carry: _Carry) -> _Carry:
        metric = gaussian_euclidean(mass(carry))
        momentum, energy0 = momentum_and_energy(carry, metric)
        eps = trial_step_size(carry)
        half = momentum + 0.5 * eps * carry.logdensity_grad
        leapfrog = carry.position + eps * metric.velocity(half)
        cube = uniform_candidate(seeds[0], carry.i, num_dims, radius, dtype)
        starting = carry.phase == _START
        z = jnp.where(starting, jnp.where(start_tries == 1, position, cube), leapfrog)
        value, grad = value_and_grad(z)
        delta = energy0 - (-value + metric.kinetic_energy(half + 0.5 * eps * grad))
        accepted = jnp.where(jnp.isnan(delta), -jnp.inf, delta) > log_target
        started = after_start(carry, z, value, grad)
        return select(starting, started, after_step(carry, eps, accepted))

    searching = start_tries > 0
    start = _Carry(
        phase=jnp.int32(_START),
        i=jnp.int32(0),
        position=position,
        logdensity=jnp.where(searching, -jnp.inf, jnp.asarray(logdensity, dtype)),
        logdensity_grad=logdensity_grad,
        ok=~searching,
        step_size=jnp.asarray(step_size, dtype),
        first=jnp.bool_(False),
        num_grads=jnp.int32(0),
    )
    phase = jnp.where(searching, _START, next_phase(start, gaussian_euclidean(mass(start))))
    out = jax.lax.while_loop(
        lambda c: c.phase != _DONE, body, start._replace(phase=phase.astype(jnp.int32))
    )
    return StartResult(
        out.position,
        out.logdensity,
        out.logdensity_grad,
        out.ok,
        mass(out),
        out.step_size,
        out.num_grads,
    )


def find_initial_position(
    logdensity_fn: Callable,
    key: jax.Array,
    num_dims: int,
    max_tries: int = MAX_TRIES,
    radius: float = 2.0,
    num_candidates: int = NUM_CANDIDATES,
    max_gap: float = MAX_GAP,
):
    """A point with finite log density and gradient: phase 1 of :func:`search_start`.

    Candidate ``i`` is :func:`uniform_candidate` ``(start_seeds(key)[0], i)``; see
    :func:`search_start` for the rule. Pure and jit/vmap-able. Returns ``(z, ok)``:
    ``ok`` is False when none of ``max_tries`` candidates was finite (``z`` is then the
    last candidate).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> steep = lambda z: -jnp.exp(40.0 * z[0])  # astronomically low for z > 0.5
        >>> z, ok = find_initial_position(steep, jax.random.key(0), 1)
        >>> bool(ok), float(steep(z)) > -1e4
        (True, True)
    """
    dtype = jnp.result_type(float)
    zeros = jnp.zeros(num_dims, dtype)
    res = search_start(
        logdensity_fn,
        start_seeds(key),
        zeros,
        jnp.asarray(-jnp.inf, dtype),
        zeros,
        jnp.ones(num_dims, dtype),
        1.0,
        start_tries=max_tries,
        search_step_size=False,
        radius=radius,
        num_candidates=num_candidates,
        max_gap=max_gap,
    )
    return res.position, res.ok


def start_seeds(key: jax.Array) -> jax.Array:
    """The two seeds ``(2, 2)`` of :func:`search_start` drawn from a JAX key (one
    Threefry call)."""
    return jax.random.bits(key, (2, 2), jnp.uint32)
