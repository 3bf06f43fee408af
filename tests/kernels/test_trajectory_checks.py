"""The iterative U-turn bookkeeping of NUTS against a brute-force check of every subtree.

A recursive NUTS builder checks each subtree of ``2, 4, 8, ...`` leaves when it completes,
as Stan (>= 2.26) does: over the whole subtree and across the join of its halves in both
directions. The iterative builder does the same with ``O(max_tree_depth)`` checkpoints;
here both are run on random leaf sequences and must agree at every leaf.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pplx.kernels.integrators import IntegratorState
from pplx.kernels.metrics import gaussian_euclidean
from pplx.kernels.random_words import leaf_words, normal_from_words, uniform_from_words, word_stream
from pplx.kernels.trajectory import (
    Checkpoints,
    _accumulate,
    _store_checkpoint,
    _subtree_is_turning,
)

NUM_LEAVES, D = 64, 2


def _turning(v_left, v_right, rho):
    return bool(np.dot(v_left, rho) <= 0 or np.dot(v_right, rho) <= 0)


def _brute_force(momenta, velocities, n):
    """Whether any subtree of 2**j >= 2 leaves ending at leaf ``n`` turns."""
    size = 2
    while (n + 1) % size == 0:
        first, mid = n + 1 - size, n + 1 - size // 2
        rho_left, rho_right = momenta[first:mid].sum(0), momenta[mid : n + 1].sum(0)
        whole = _turning(velocities[first], velocities[n], rho_left + rho_right)
        left_ext = _turning(velocities[first], velocities[mid], rho_left + momenta[mid])
        right_ext = _turning(velocities[mid - 1], velocities[n], momenta[mid - 1] + rho_right)
        if whole or left_ext or right_ext:
            return True
        size *= 2
    return False


def _state(momentum):
    zero = jnp.zeros(())
    return IntegratorState(jnp.zeros_like(momentum), momentum, zero, jnp.zeros_like(momentum))


@jax.jit
def _iterative(momenta, inverse_mass):
    """The flag of ``_subtree_is_turning`` at every leaf, checkpoints stored as NUTS does."""
    metric = gaussian_euclidean(inverse_mass)
    num_slots = int(np.log2(NUM_LEAVES))
    ckpts = jnp.zeros((num_slots, len(Checkpoints._fields), D))
    outside = _state(jnp.zeros(D))

    def leaf(carry, n):
        ckpts, prev, rho = carry
        new = _state(momenta[n])
        velocity, prev_velocity = metric.velocity(new.momentum), metric.velocity(prev.momentum)
        rho = rho + new.momentum
        ckpts = _store_checkpoint(ckpts, n, prev, new, rho)
        turning = _subtree_is_turning(metric, ckpts, n, prev, prev_velocity, new, velocity, rho)
        return (ckpts, new, rho), turning

    carry = (ckpts, outside, jnp.zeros(D))
    return jax.lax.scan(leaf, carry, jnp.arange(NUM_LEAVES))[1]


def _random_leaves(rng, noise):
    """Momenta that rotate at a random pace with noise: U-turns at many subtree sizes."""
    angles = np.cumsum(rng.uniform(0.0, 0.6, NUM_LEAVES))
    momenta = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return momenta + noise * rng.normal(size=momenta.shape), rng.uniform(0.5, 2.0, D)


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("noise", [0.2, 0.5, 1.0])
def test_iterative_checks_match_every_subtree(noise, dense):
    rng = np.random.default_rng(int(10 * noise))
    deep_turns, deep_leaves = 0, 0
    for _ in range(20):
        momenta, inverse_mass = _random_leaves(rng, noise)
        if dense:  # a random correlation between the two coordinates
            c = rng.uniform(-0.8, 0.8) * np.sqrt(inverse_mass.prod())
            inverse_mass = np.diag(inverse_mass) + c * (1 - np.eye(D))
        velocities = momenta @ inverse_mass if dense else momenta * inverse_mass
        expected = [_brute_force(momenta, velocities, n) for n in range(NUM_LEAVES)]
        got = np.asarray(_iterative(jnp.asarray(momenta), jnp.asarray(inverse_mass)))
        np.testing.assert_array_equal(got, expected)
        deep = [n for n in range(NUM_LEAVES) if (n + 1) % 4 == 0]
        deep_turns += sum(expected[n] for n in deep)
        deep_leaves += len(deep)
    # The comparison is informative: turns and non-turns both occur where subtrees of 4+
    # leaves complete.
    assert 0.1 < deep_turns / deep_leaves < 0.9


def test_leaf_uniforms_are_uniform_and_uncorrelated():
    """The per-leaf uniforms (a hash of a Weyl sequence from one random seed per subtree)
    pass a Kolmogorov-Smirnov test, and neighbouring leaves are uncorrelated."""
    from scipy import stats

    seeds = jax.random.bits(jax.random.key(0), (2000, 2), jnp.uint32)
    leaves = jnp.arange(64)
    words = jax.vmap(lambda s: jax.vmap(lambda n: leaf_words(s, n))(leaves))(seeds)
    u = np.asarray(uniform_from_words(words, jnp.float64))  # (seeds, leaves)
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    # Per-leaf means and the lag-1 correlation within subtrees, against their MC error.
    se_mean = np.sqrt(1 / 12 / u.shape[0])
    assert np.all(np.abs(u.mean(0) - 0.5) < 4.5 * se_mean)
    lag1 = np.corrcoef(u[:, :-1].ravel(), u[:, 1:].ravel())[0, 1]
    assert abs(lag1) < 4.5 / np.sqrt(u[:, 1:].size)
    # Different seeds give different streams; the same seed the same stream.
    assert not np.array_equal(u[0], u[1])


def _accumulate_all(log_ws):
    """Run ``_accumulate`` over a sequence; return the final sum's log and each share."""

    def add(carry, log_w):
        m, s = carry
        m, s, share = _accumulate(m, s, log_w)
        return (m, s), share / s

    (m, s), probs = jax.lax.scan(add, (jnp.asarray(-jnp.inf), jnp.asarray(0.0)), log_ws)
    return m + jnp.log(s), probs


@pytest.mark.parametrize(
    "log_ws",
    [
        [0.3, -1.2, 2.5, -700.0, 1.0],
        [-np.inf, -np.inf, 0.0, -np.inf, 3.0],  # divergent leaves: zero weight
        [800.0, -800.0, 799.0],  # beyond exp's range either way
        [-np.inf, -np.inf],
    ],
)
def test_weights_accumulate_as_log_sum_exp(log_ws):
    """The one-exponential running weight equals log-sum-exp, and each leaf's chance to
    be taken is its weight over the running total (progressive sampling)."""
    log_ws = np.asarray(log_ws)
    total, probs = _accumulate_all(jnp.asarray(log_ws))
    expected_total = np.logaddexp.reduce(log_ws)
    np.testing.assert_allclose(float(total), expected_total, rtol=1e-12)
    running = np.logaddexp.accumulate(log_ws)
    with np.errstate(invalid="ignore"):
        expected = np.where(np.isneginf(log_ws), 0.0, np.exp(log_ws - running))
    np.testing.assert_allclose(np.nan_to_num(np.asarray(probs)), expected, rtol=1e-12, atol=1e-300)


def test_progressive_sampling_picks_leaves_in_proportion_to_weight():
    """Over many subtrees, the state a subtree proposes is leaf ``i`` with probability
    ``w_i / sum(w)``: a chi-square test of the counts."""
    from scipy import stats

    log_ws = jnp.log(jnp.array([1.0, 3.0, 0.5, 2.0, 0.0, 1.5]))
    num_trials = 20000

    def pick(seed):
        def add(carry, x):
            m, s, chosen = carry
            n, log_w = x
            m, s, share = _accumulate(m, s, log_w)
            u = uniform_from_words(leaf_words(seed, n), jnp.float64)
            return (m, s, jnp.where(u * s < share, n, chosen)), None

        init = (jnp.asarray(-jnp.inf), jnp.asarray(0.0), jnp.asarray(-1))
        xs = (jnp.arange(log_ws.shape[0]), log_ws)
        return jax.lax.scan(add, init, xs)[0][2]

    seeds = jax.random.bits(jax.random.key(3), (num_trials, 2), jnp.uint32)
    counts = np.bincount(np.asarray(jax.vmap(pick)(seeds)), minlength=6)
    weights = np.exp(np.asarray(log_ws))
    assert counts[4] == 0  # a zero-weight leaf is never taken
    keep = weights > 0
    expected = num_trials * weights[keep] / weights.sum()
    assert stats.chisquare(counts[keep], expected).pvalue > 1e-3


def test_transition_normals_are_standard_normal():
    """The momentum noise (words hashed from one seed per transition, the inverse CDF)
    is standard normal and uncorrelated across coordinates and transitions."""
    from scipy import stats

    seeds = jax.random.bits(jax.random.key(1), (4000, 2), jnp.uint32)
    z = np.asarray(jax.vmap(lambda s: normal_from_words(word_stream(s, 10), jnp.float64))(seeds))
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    corr = np.corrcoef(z.T)[np.triu_indices(10, 1)]
    assert np.all(np.abs(corr) < 4.5 / np.sqrt(z.shape[0]))
