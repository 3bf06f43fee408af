"""Gradient-free kernels leave known targets invariant.

Oracles: a correlated 2-d Gaussian (means and variances within z * MCSE, MCSE from the
chains' ESS) for random-walk Metropolis and slice sampling; exact probabilities of small
discrete distributions (chi-square statistic against its quantile, counts thinned to
near-independent draws) for discrete Metropolis and Gibbs.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from pplx import diagnostics
from pplx.kernels.gibbs import binary_gibbs, categorical_gibbs
from pplx.kernels.rwmh import discrete_metropolis, rwmh, scale_adapt_init, scale_adapt_update
from pplx.kernels.slice import slice_sampler

COV = np.array([[1.0, 0.6], [0.6, 2.0]])
MEAN = np.array([1.0, -2.0])
PREC = np.linalg.inv(COV)


def gaussian(x):
    d = x - MEAN
    return -0.5 * d @ PREC @ d


def run_chains(algo, position, num_steps, num_chains=4, params=()):
    def one(key):
        def body(state, k):
            state, info = algo.step(k, state, *params)
            return state, (state.position, info.acceptance_rate)

        return jax.lax.scan(body, algo.init(position), jax.random.split(key, num_steps))[1]

    keys = jax.random.split(jax.random.key(42), num_chains)
    return jax.jit(jax.vmap(one))(keys)


def assert_moments(draws, z=4.0):
    draws = np.asarray(draws)
    for i in range(2):
        x = draws[..., i]
        mcse = diagnostics.mcse_mean(x)
        assert abs(x.mean() - MEAN[i]) < z * mcse, (i, x.mean(), mcse)
        sq = (x - MEAN[i]) ** 2
        assert abs(sq.mean() - COV[i, i]) < z * diagnostics.mcse_mean(sq), (i, sq.mean())


def test_rwmh_gaussian():
    draws, acc = run_chains(rwmh(gaussian), jnp.zeros(2), 4000, params=(1.5,))
    assert 0.2 < float(acc.mean()) < 0.8
    assert_moments(draws[:, 500:])


def test_slice_gaussian():
    draws, acc = run_chains(slice_sampler(gaussian), jnp.zeros(2), 1500, params=(1.0,))
    assert float(acc.mean()) == 1.0
    assert_moments(draws[:, 100:])


def test_scale_adaptation_reaches_target():
    algo = rwmh(lambda x: -0.5 * jnp.sum(x**2) / 0.01)  # sd 0.1: scale 1 accepts rarely

    def body(carry, k):
        state, adapt = carry
        state, info = algo.step(k, state, jnp.exp(adapt.log_scale))
        return (state, scale_adapt_update(adapt, info.acceptance_rate, 0.3)), info.acceptance_rate

    init = (algo.init(jnp.zeros(2)), scale_adapt_init(1.0))
    (_, adapt), acc = jax.lax.scan(body, init, jax.random.split(jax.random.key(0), 3000))
    assert 0.2 < float(acc[-1000:].mean()) < 0.45
    assert 0.03 < float(jnp.exp(adapt.log_scale)) < 0.4


def chi_square_ok(counts, probs, alpha=1e-3):
    expected = probs * counts.sum()
    stat = np.sum((counts - expected) ** 2 / expected)
    return stat < stats.chi2.ppf(1 - alpha, len(probs) - 1), stat


# two dependent components: x0 in {0,1,2}, x1 in {0,1}
TABLE = np.array([[0.10, 0.05], [0.25, 0.10], [0.15, 0.35]])


def table_logdensity(x):
    return jnp.log(jnp.asarray(TABLE))[x[0], x[1]]


def joint_counts(draws, thin):
    x = np.asarray(draws)[:, ::thin].reshape(-1, 2)
    counts = np.zeros(TABLE.shape)
    np.add.at(counts, (x[:, 0], x[:, 1]), 1)
    return counts.reshape(-1)


def test_categorical_gibbs_joint_table():
    algo = categorical_gibbs(table_logdensity, num_categories=[3, 2])
    draws, acc = run_chains(algo, jnp.array([0, 0]), 3000)
    ok, stat = chi_square_ok(joint_counts(draws, 2), TABLE.reshape(-1))
    assert ok, stat
    assert 0.0 < float(acc.mean()) < 1.0


def test_categorical_gibbs_respects_lower_and_counts():
    # component 0 takes values 3..5, component 1 values -1..0; the density is flat
    algo = categorical_gibbs(lambda x: jnp.zeros(()), num_categories=[3, 2], lower=[3, -1])
    draws, _ = run_chains(algo, jnp.array([3, -1]), 300, num_chains=2)
    assert set(np.unique(draws[..., 0])) == {3, 4, 5}
    assert set(np.unique(draws[..., 1])) == {-1, 0}


def test_binary_gibbs_ising_pair():
    # p(x) proportional to exp(1.2 * [x0 == x1] + 0.5 * x0) over {0,1}^2
    def logdensity(x):
        return 1.2 * (x[0] == x[1]) + 0.5 * x[0]

    grid = [(a, b) for a in (0, 1) for b in (0, 1)]
    probs = np.array([np.exp(1.2 * (a == b) + 0.5 * a) for a, b in grid])
    probs /= probs.sum()
    draws, _ = run_chains(binary_gibbs(logdensity), jnp.array([0, 0]), 3000)
    x = np.asarray(draws)[:, ::2].reshape(-1, 2)
    counts = np.array([np.sum((x[:, 0] == a) & (x[:, 1] == b)) for a, b in grid])
    ok, stat = chi_square_ok(counts, probs)
    assert ok, stat


def test_discrete_metropolis_poisson():
    rate, support = 3.0, np.arange(12)
    logdensity = lambda x: jnp.sum(stats_poisson_logpmf(x, rate))
    draws, acc = run_chains(discrete_metropolis(logdensity), jnp.array([0]), 6000)
    x = np.asarray(draws)[:, 500::16, 0]  # integrated autocorrelation ~15.reshape(-1)
    probs = stats.poisson.pmf(support, rate)
    probs = np.append(probs, 1 - probs.sum())
    counts = np.array([np.sum(x == k) for k in support] + [np.sum(x >= len(support))])
    ok, stat = chi_square_ok(counts, probs)
    assert ok, stat
    assert 0.3 < float(acc.mean()) < 1.0


def stats_poisson_logpmf(x, rate):
    x = x.astype(float)
    logp = x * jnp.log(rate) - rate - jax.scipy.special.gammaln(x + 1.0)
    return jnp.where(x >= 0, logp, -jnp.inf)


def test_invalid_settings():
    with pytest.raises(ValueError, match="max_jump"):
        discrete_metropolis(lambda x: 0.0, max_jump=0)
    with pytest.raises(ValueError, match="lower"):
        categorical_gibbs(lambda x: 0.0, [2, 2], lower=[0])
