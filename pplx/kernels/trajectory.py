"""The NUTS trajectory, built iteratively: doublings in a loop, leapfrog steps in a loop.

Each doubling integrates a new subtree of ``2**depth`` states in a random direction, one
leapfrog step at a time (a single call site of the integrator in the innermost loop).
States are drawn by multinomial sampling: uniformly (progressively) within a subtree, and
with Stan's bias towards the new subtree when it joins the trajectory.

The U-turn checks of every sub-subtree that a recursive builder would make are done with
``O(max_tree_depth)`` checkpoints: after leaf ``n`` (0-based) of a subtree, the subtrees of
sizes ``2, 4, ..., 2**t`` that end at ``n`` are complete (``t`` = trailing one bits of
``n``); the first leaf of each was an even leaf and was stored at checkpoint
``popcount(leaf)``. Each completed subtree is checked as Stan (>= 2.26) checks a join of
its two halves: over the whole, and across the join in both directions. The work per
leaf is proportional to the subtrees it completes (one checkpoint write by index, a loop
over the completed subtrees that stops at the first U-turn), not to ``max_tree_depth``:
under ``vmap`` the chains advance in lockstep, so every chain pays for the deepest
bookkeeping of any chain at each leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.integrators import IntegratorState, velocity_verlet
from pplx.kernels.metrics import Metric, gaussian_euclidean
from pplx.kernels.random_words import leaf_words, normal_from_words, uniform_from_words, word_stream
from pplx.kernels.row_write import set_row


class Proposal(NamedTuple):
    """The state a (sub)trajectory currently proposes, with its Hamiltonian ``energy``."""

    position: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array
    energy: jax.Array


class Checkpoints(NamedTuple):
    """Per stored (even) leaf, arrays ``(K, d)``: its momentum, the momentum sum of the
    subtree up to and including it, and the momentum of the leaf just before it (for the
    check across a join). Velocities are recomputed when checked: under ``vmap`` every
    loop iteration selects the whole carry, so a smaller checkpoint array is faster."""

    momentum: jax.Array
    rho: jax.Array
    prev_momentum: jax.Array


class Subtree(NamedTuple):
    """The subtree being integrated; ``edge`` is its last state."""

    edge: IntegratorState
    edge_velocity: jax.Array
    proposal: Proposal
    max_log_weight: jax.Array  # the subtree's weight is exp(max_log_weight) * weight_sum
    weight_sum: jax.Array
    rho: jax.Array
    checkpoints: jax.Array  # (K, 3, d): the fields of Checkpoints stacked
    sum_accept: jax.Array
    num_steps: jax.Array
    is_diverging: jax.Array
    is_turning: jax.Array


class Trajectory(NamedTuple):
    """The whole trajectory: both ends, the proposal, and the running statistics."""

    left: IntegratorState
    right: IntegratorState
    left_velocity: jax.Array
    right_velocity: jax.Array
    proposal: Proposal
    log_weight: jax.Array
    rho: jax.Array
    checkpoints: jax.Array  # handed from subtree to subtree, see _fresh_subtree
    sum_accept: jax.Array
    num_steps: jax.Array
    depth: jax.Array
    is_diverging: jax.Array
    is_turning: jax.Array


class TrajectoryInfo(NamedTuple):
    """Transition statistics (ArviZ names), see :func:`nuts_transition`."""

    diverging: jax.Array
    acceptance_rate: jax.Array
    energy: jax.Array
    n_steps: jax.Array
    tree_depth: jax.Array


def _select(pred, on_true, on_false):
    return jax.tree.map(lambda a, b: jnp.where(pred, a, b), on_true, on_false)


def join_checks(
    left_far_velocity,
    left_rho,
    left_near_momentum,
    left_near_velocity,
    right_near_momentum,
    right_near_velocity,
    right_rho,
    right_far_velocity,
):
    """The U-turn checks of two adjacent trajectories joined, as Stan does since 2.26.

    Stan checks the joined trajectory as a whole, and each half extended by the first
    state of the other (which catches U-turns a check of the whole misses on near-periodic
    targets). ``near`` is the state at the join, ``far`` the opposite end; the order of
    the two halves does not matter. Arguments may carry leading batch axes.

    Returns:
        ``(velocity_left, velocity_right, rho)``, each stacked ``(3, ..., d)``, for
        ``Metric.is_turning``: the caller evaluates all its checks in one batch.
    """
    velocity_left = jnp.stack([left_far_velocity, left_far_velocity, left_near_velocity])
    velocity_right = jnp.stack([right_far_velocity, right_near_velocity, right_far_velocity])
    rho = jnp.stack(
        [left_rho + right_rho, left_rho + right_near_momentum, left_near_momentum + right_rho]
    )
    return velocity_left, velocity_right, rho


def _any_turning(metric: Metric, checks) -> jax.Array:
    """Whether any of a batch of ``(velocity_left, velocity_right, rho)`` checks turns."""
    return jnp.any(jax.vmap(metric.is_turning)(*checks))


def _popcount(n):
    return jax.lax.population_count(n)


def _store_checkpoint(ckpts: jax.Array, n, prev: IntegratorState, new: IntegratorState, rho):
    # Even leaves start subtrees; leaf n is stored at index popcount(n), a slot no
    # unfinished subtree still needs. Odd leaves write out of range, which writes
    # nothing: one row written by index, whatever the number of slots (and under vmap
    # without a scatter's fixed cost while the batch is small: see set_row).
    index = jnp.where(n % 2 == 0, _popcount(n), ckpts.shape[0])
    values = jnp.stack(Checkpoints(new.momentum, rho, prev.momentum))
    return set_row(ckpts, index, values)


def _unpack(ckpts: jax.Array) -> Checkpoints:
    return Checkpoints(*(ckpts[..., i, :] for i in range(len(Checkpoints._fields))))


def _join_is_turning(metric: Metric, ckpts: jax.Array, i, velocity, rho) -> jax.Array:
    """Check the subtree whose halves start at checkpoints ``i`` and ``i + 1`` and which
    ends at the current leaf (``velocity``, subtree momentum sum ``rho``)."""
    left, right = _unpack(ckpts[i]), _unpack(ckpts[i + 1])
    left_rho = right.rho - right.momentum - left.rho + left.momentum
    right_rho = rho - right.rho + right.momentum
    momenta = jnp.stack([left.momentum, right.prev_momentum, right.momentum])
    left_velocity, right_prev_velocity, right_velocity = jax.vmap(metric.velocity)(momenta)
    checks = join_checks(
        left_velocity,
        left_rho,
        right.prev_momentum,
        right_prev_velocity,
        right.momentum,
        right_velocity,
        right_rho,
        velocity,
    )
    return _any_turning(metric, checks)


def _subtree_is_turning(
    metric: Metric,
    ckpts: jax.Array,
    n,
    prev: IntegratorState,
    prev_velocity,
    new: IntegratorState,
    velocity,
    rho,
) -> jax.Array:
    """Check every subtree completed by leaf ``n`` (none when ``n`` is even)."""
    trailing_ones = _popcount(n & ~(n + 1))
    idx_min = _popcount(n) - trailing_ones  # first leaf of the largest completed subtree
    idx_max = idx_min + trailing_ones - 1  # first leaf of the pair (n - 1, n)
    # The pair (n - 1, n) has one leaf per half: its join checks coincide, one is enough.
    pair_turning = metric.is_turning(prev_velocity, velocity, prev.momentum + new.momentum)

    def keep_checking(state):
        i, turning = state
        return (i < idx_max) & ~turning

    def check(state):
        i, _ = state
        return i + 1, _join_is_turning(metric, ckpts, i, velocity, rho)

    # Subtrees of 4 or more leaves: left half starts at checkpoint i, right half at i + 1.
    start = (idx_min, pair_turning & (n % 2 == 1))
    return jax.lax.while_loop(keep_checking, check, start)[1]


def _accumulate(max_log_weight, weight_sum, log_w):
    """Add ``exp(log_w)`` to a sum kept as ``exp(max_log_weight) * weight_sum``.

    One exponential per leaf (a log-sum-exp takes an exponential and a logarithm, and a
    comparison in logs a third transcendental for the uniform). Returns the new
    ``(max_log_weight, weight_sum)`` and ``exp(log_w - new max)``, the new state's share
    of the sum times ``weight_sum``.

    Example:
        >>> import jax.numpy as jnp
        >>> m, s, share = _accumulate(jnp.log(2.0), 1.0, jnp.log(6.0))
        >>> round(float(jnp.exp(m) * s), 6), round(float(share / s), 6)
        (8.0, 0.75)
    """
    gap = -jnp.abs(max_log_weight - log_w)  # NaN only when both are -inf
    smaller = jnp.where(jnp.isnan(gap), 0.0, jnp.exp(gap))
    is_new_max = log_w > max_log_weight
    weight_sum = jnp.where(is_new_max, weight_sum * smaller + 1.0, weight_sum + smaller)
    share = jnp.where(is_new_max, 1.0, smaller)
    return jnp.maximum(max_log_weight, log_w), weight_sum, share


def _log_weight(tree: Subtree):
    return tree.max_log_weight + jnp.log(tree.weight_sum)


def _add_leaf(
    tree: Subtree,
    new: IntegratorState,
    velocity,
    energy,
    uniform,
    energy0,
    divergence_threshold,
) -> Subtree:
    """Append one integrated state: weight, uniform progressive sampling, statistics."""
    energy = jnp.where(jnp.isnan(energy), jnp.inf, energy)
    delta = energy - energy0
    log_w = -delta
    max_log_weight, weight_sum, share = _accumulate(tree.max_log_weight, tree.weight_sum, log_w)
    take = uniform * weight_sum < share  # probability exp(log_w) / the subtree's weight
    leaf = Proposal(new.position, new.logdensity, new.logdensity_grad, energy)
    return tree._replace(
        edge=new,
        edge_velocity=velocity,
        proposal=_select(take, leaf, tree.proposal),
        max_log_weight=max_log_weight,
        weight_sum=weight_sum,
        rho=tree.rho + new.momentum,
        sum_accept=tree.sum_accept + jnp.exp(jnp.minimum(log_w, 0.0)),
        num_steps=tree.num_steps + 1,
        is_diverging=delta > divergence_threshold,
    )


def _fresh_subtree(trajectory: Trajectory, go_right, energy0) -> Subtree:
    """An empty subtree at the trajectory's end in the chosen direction.

    It takes over the previous subtree's checkpoint array as it is: a subtree reads only
    rows it has written itself, so stale rows need no reset, and reusing the buffer saves
    a copy of the whole array per doubling (measured: ~4% of the per-leaf cost at
    ``d = 100``).
    """
    edge = _select(go_right, trajectory.right, trajectory.left)
    edge_velocity = jnp.where(go_right, trajectory.right_velocity, trajectory.left_velocity)
    false = jnp.zeros((), bool)
    return Subtree(
        edge,
        edge_velocity,
        trajectory.proposal,
        jnp.full_like(energy0, -jnp.inf),
        jnp.zeros_like(energy0),
        jnp.zeros_like(edge.momentum),
        trajectory.checkpoints,
        jnp.zeros_like(energy0),
        jnp.zeros_like(trajectory.num_steps),
        false,
        false,
    )


def grow_subtree(
    seed,
    tree: Subtree,
    depth,
    step_size,
    metric: Metric,
    leapfrog: Callable,
    energy0,
    divergence_threshold,
) -> Subtree:
    """Integrate one more state of the subtree (``step_size`` signed by the direction).

    Leaves it invalid at a divergence or a sub-subtree U-turn. The uniform of leaf ``n``
    comes from the subtree's random ``seed`` (two words) by :func:`leaf_words`.
    """
    n = tree.num_steps
    new = leapfrog(tree.edge, step_size)
    velocity = metric.velocity(new.momentum)
    energy = -new.logdensity + 0.5 * jnp.dot(new.momentum, velocity)
    uniform = uniform_from_words(leaf_words(seed, n), energy.dtype)
    grown = _add_leaf(tree, new, velocity, energy, uniform, energy0, divergence_threshold)
    ckpts = _store_checkpoint(tree.checkpoints, n, tree.edge, new, grown.rho)
    turning = _subtree_is_turning(
        metric, ckpts, n, tree.edge, tree.edge_velocity, new, velocity, grown.rho
    )
    return grown._replace(checkpoints=ckpts, is_turning=turning)


def merge_subtree(
    trajectory: Trajectory, tree: Subtree, go_right, log_uniform, metric: Metric
) -> Trajectory:
    """Join a subtree to the trajectory: biased progressive sampling, then the U-turn check.

    An invalid subtree (divergent or turning inside) ends the trajectory; its states are
    not sampled from, and the tree depth counts only valid doublings, as in Stan.
    """
    is_valid = ~tree.is_diverging & ~tree.is_turning
    tree_log_weight = _log_weight(tree)
    take = is_valid & (log_uniform < tree_log_weight - trajectory.log_weight)
    left = _select(go_right, trajectory.left, tree.edge)
    right = _select(go_right, tree.edge, trajectory.right)
    left_velocity = jnp.where(go_right, trajectory.left_velocity, tree.edge_velocity)
    right_velocity = jnp.where(go_right, tree.edge_velocity, trajectory.right_velocity)
    near = _select(go_right, trajectory.right, trajectory.left)
    near_velocity = jnp.where(go_right, trajectory.right_velocity, trajectory.left_velocity)
    far_velocity = jnp.where(go_right, trajectory.left_velocity, trajectory.right_velocity)
    first = _unpack(tree.checkpoints)  # row 0 holds the subtree's first leaf
    checks = join_checks(
        far_velocity,
        trajectory.rho,
        near.momentum,
        near_velocity,
        first.momentum[0],
        metric.velocity(first.momentum[0]),
        tree.rho,
        tree.edge_velocity,
    )
    turning = _any_turning(metric, checks)
    return Trajectory(
        left,
        right,
        left_velocity,
        right_velocity,
        proposal=_select(take, tree.proposal, trajectory.proposal),
        log_weight=jnp.logaddexp(trajectory.log_weight, tree_log_weight),
        rho=trajectory.rho + tree.rho,
        checkpoints=tree.checkpoints,
        sum_accept=trajectory.sum_accept + tree.sum_accept,
        num_steps=trajectory.num_steps + tree.num_steps,
        depth=trajectory.depth + is_valid.astype(trajectory.depth.dtype),
        is_diverging=tree.is_diverging,
        is_turning=tree.is_turning | turning,
    )


def nuts_transition(
    words,
    initial: IntegratorState,
    step_size,
    metric: Metric,
    leapfrog: Callable,
    max_tree_depth: int,
    divergence_threshold: float,
) -> tuple[Proposal, TrajectoryInfo]:
    """One NUTS transition from ``initial`` (momentum already drawn).

    ``words`` are ``6 * max_tree_depth`` random 32-bit words: per depth a direction
    uniform, an acceptance uniform and the seed of the subtree's per-leaf uniforms (two
    words each).

    Returns the sampled state and the statistics: ``acceptance_rate`` is Stan's mean
    Metropolis acceptance over every state integrated (dual averaging's target),
    ``n_steps`` the leapfrog steps (gradient evaluations), ``tree_depth`` the valid
    doublings, ``energy`` the Hamiltonian at the sampled state.
    """
    velocity = metric.velocity(initial.momentum)
    energy0 = -initial.logdensity + 0.5 * jnp.dot(initial.momentum, velocity)
    proposal = Proposal(initial.position, initial.logdensity, initial.logdensity_grad, energy0)
    zero, false = jnp.zeros((), jnp.int32), jnp.zeros((), bool)
    num_checkpoints = max(max_tree_depth - 1, 1)
    ckpts = jnp.zeros((num_checkpoints, len(Checkpoints._fields)) + velocity.shape, velocity.dtype)
    init = Trajectory(
        initial,
        initial,
        velocity,
        velocity,
        proposal,
        jnp.zeros_like(energy0),
        initial.momentum,
        ckpts,
        jnp.zeros_like(energy0),
        zero,
        zero,
        false,
        false,
    )
    per_depth = words.reshape(max_tree_depth, 3, 2)
    uniforms = uniform_from_words(per_depth[:, :2], energy0.dtype)

    def keep_doubling(traj: Trajectory):
        return (traj.depth < max_tree_depth) & ~traj.is_diverging & ~traj.is_turning

    def double(traj: Trajectory) -> Trajectory:
        go_right = uniforms[traj.depth, 0] < 0.5
        signed_step_size = jnp.where(go_right, step_size, -step_size)
        num_leaves = jnp.left_shift(1, traj.depth)

        def keep_growing(tree: Subtree):
            return (tree.num_steps < num_leaves) & ~tree.is_diverging & ~tree.is_turning

        def grow(tree: Subtree) -> Subtree:
            return grow_subtree(
                per_depth[traj.depth, 2],
                tree,
                traj.depth,
                signed_step_size,
                metric,
                leapfrog,
                energy0,
                divergence_threshold,
            )

        tree = jax.lax.while_loop(keep_growing, grow, _fresh_subtree(traj, go_right, energy0))
        return merge_subtree(traj, tree, go_right, jnp.log(uniforms[traj.depth, 1]), metric)

    traj = jax.lax.while_loop(keep_doubling, double, init)
    info = TrajectoryInfo(
        diverging=traj.is_diverging,
        acceptance_rate=traj.sum_accept / jnp.maximum(traj.num_steps, 1).astype(energy0.dtype),
        energy=traj.proposal.energy,
        n_steps=traj.num_steps,
        tree_depth=traj.depth,
    )
    return traj.proposal, info


def nuts_kernel(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    max_tree_depth: int = 10,
    divergence_threshold: float = 1000.0,
) -> Callable:
    """Build a NUTS transition on flat vectors.

    Returns:
        ``kernel(key, position, logdensity, logdensity_grad, step_size,
        inverse_mass_matrix) -> (Proposal, TrajectoryInfo)``; the inverse mass matrix is
        ``f[d]`` (diagonal) or ``f[d, d]`` (dense).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> logdensity = lambda z: -0.5 * jnp.sum(z**2)
        >>> kernel = nuts_kernel(logdensity, max_tree_depth=4)
        >>> z = jnp.ones(3)
        >>> new, info = kernel(jax.random.key(0), z, logdensity(z), -z, 0.5, jnp.ones(3))
        >>> new.position.shape, int(info.tree_depth) <= 4
        ((3,), True)
    """

    def kernel(key, position, logdensity, logdensity_grad, step_size, inverse_mass_matrix):
        metric = gaussian_euclidean(inverse_mass_matrix)
        leapfrog = velocity_verlet(logdensity_fn, metric.velocity)
        # One Threefry draw of two seeds per transition (each call site and each word of
        # Threefry is costly: 128 words took ~0.7 us per transition on CPU, ~100 ns per
        # leapfrog step of a small model); the words are then hashed from them.
        seeds = jax.random.bits(key, (2, 2), jnp.uint32)
        noise = normal_from_words(word_stream(seeds[0], position.shape[0]), position.dtype)
        momentum = metric.momentum_from_normal(noise)
        initial = IntegratorState(position, momentum, logdensity, logdensity_grad)
        step_size = jnp.asarray(step_size, position.dtype)
        return nuts_transition(
            word_stream(seeds[1], 3 * max_tree_depth).reshape(-1),
            initial,
            step_size,
            metric,
            leapfrog,
            max_tree_depth,
            divergence_threshold,
        )

    return kernel
