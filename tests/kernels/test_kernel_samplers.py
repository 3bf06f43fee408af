"""NUTS and HMC leave Gaussian targets invariant; NUTS statistics and edge cases.

Targets are Gaussians whose mean and scale are arguments (data, not constants), so one
compiled run serves several targets. Tolerances follow from the Monte Carlo standard
error ``sd / sqrt(ess_bulk)`` of each estimated moment.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pplx.diagnostics import ess_bulk
from pplx.kernels.hmc import hmc, jittered_hmc
from pplx.kernels.nuts import nuts

NUM_CHAINS, NUM_DRAWS, Z = 4, 1000, 4.5


def own_nuts(logdensity_fn, max_tree_depth=10, divergence_threshold=1000.0):
    """The kernel under test, ``pplx.kernels.nuts``, with its info as a dict."""
    algo = nuts(logdensity_fn, max_tree_depth, divergence_threshold)

    def step(key, state, step_size, inverse_mass_matrix):
        new, info = algo.step(key, state, step_size, inverse_mass_matrix)
        return new, info._asdict()

    return algo.init, step


def _gaussian(mean, chol):
    """Log density of N(mean, chol chol') up to a constant; chol is f[d] or f[d, d]."""

    def logdensity(z):
        centred = z - mean
        if chol.ndim == 1:
            white = centred / chol
        else:
            white = jax.scipy.linalg.solve_triangular(chol, centred, lower=True)
        return -0.5 * jnp.dot(white, white)

    return logdensity


def blackjax_nuts(logdensity_fn):
    """BlackJAX's iterative NUTS, the reference for gradient efficiency."""
    from blackjax.mcmc import hmc as bj_hmc
    from blackjax.mcmc import nuts as bj_nuts

    kernel = bj_nuts.build_kernel()

    def step(key, state, step_size, inverse_mass_matrix):
        new, info = kernel(key, state, logdensity_fn, step_size, inverse_mass_matrix)
        return new, {
            "n_steps": info.num_integration_steps,
            "diverging": info.is_divergent,
            "acceptance_rate": info.acceptance_rate,
        }

    return lambda x: bj_hmc.init(x, logdensity_fn), step


def _build(name, logdensity_fn, **kw):
    if name == "blackjax":
        return blackjax_nuts(logdensity_fn)
    if name == "nuts":
        return own_nuts(logdensity_fn, **kw)
    algo = {"hmc": hmc, "jittered_hmc": jittered_hmc}[name](logdensity_fn, **kw)
    return algo.init, lambda k, s, e, m: (lambda out: (out[0], out[1]._asdict()))(
        algo.step(k, s, e, m)
    )


def _run(key, mean, chol, step_size, imm, *, name, settings=()):
    # Static arguments always passed the same way, so equal calls share one compilation.
    return _run_jit(key, mean, chol, step_size, imm, name=name, settings=settings)


@functools.partial(jax.jit, static_argnames=("name", "settings"))
def _run_jit(key, mean, chol, step_size, imm, *, name, settings):
    init, step = _build(name, _gaussian(mean, chol), **dict(settings))

    def chain(key, x0):
        def body(state, k):
            state, info = step(k, state, step_size, imm)
            return state, (state.position, info)

        return jax.lax.scan(body, init(x0), jax.random.split(key, NUM_DRAWS))[1]

    keys = jax.random.split(key, NUM_CHAINS)
    noise = jax.random.normal(jax.random.fold_in(key, 1), (NUM_CHAINS, mean.shape[0]))
    x0 = mean[None, :] + 0.1 * noise
    return jax.vmap(chain)(keys, x0)


def _assert_moments(draws, mean, cov):
    draws, mean, cov = np.asarray(draws), np.asarray(mean), np.asarray(cov)
    sd = np.sqrt(np.diag(cov))
    err_mean = draws.mean(axis=(0, 1)) - mean
    assert np.all(np.abs(err_mean) < Z * sd / np.sqrt(ess_bulk(draws))), err_mean / sd
    # E[(x - mean)^2] = var, with sd(square) = sqrt(2) var for a Gaussian.
    sq = (draws - mean) ** 2
    err_var = sq.mean(axis=(0, 1)) - np.diag(cov)
    assert np.all(np.abs(err_var) < Z * np.sqrt(2) * np.diag(cov) / np.sqrt(ess_bulk(sq))), (
        err_var / np.diag(cov)
    )


D = 10
IID = (jnp.linspace(0.0, 1.8, D), jnp.ones(D))
SCALED = (jnp.linspace(-3.0, 3.0, D), jnp.logspace(0.0, 2.0, D))
_C = np.array([[1.0, 0.0], [0.995, np.sqrt(1 - 0.995**2)]]) * np.array([[1.0], [10.0]])
CORRELATED = (jnp.array([1.0, -2.0]), jnp.asarray(_C))

CASES = [
    pytest.param("nuts", IID, 0.8, {}, id="nuts-iid"),
    pytest.param("nuts", SCALED, 0.8, {}, id="nuts-scaled-diag-metric"),
    pytest.param("nuts", CORRELATED, 0.8, {}, id="nuts-correlated-dense-metric"),
    pytest.param("hmc", IID, 0.3, {"num_integration_steps": 8}, id="hmc-iid"),
    pytest.param("hmc", CORRELATED, 0.3, {"num_integration_steps": 8}, id="hmc-correlated"),
    pytest.param("jittered_hmc", SCALED, 0.3, {"num_integration_steps": 8}, id="jhmc-scaled"),
]


@pytest.mark.parametrize(("name", "target", "step_size", "settings"), CASES)
def test_sampler_leaves_gaussian_invariant(name, target, step_size, settings):
    mean, chol = target
    cov = np.diag(chol**2) if chol.ndim == 1 else np.asarray(chol @ chol.T)
    imm = chol**2 if chol.ndim == 1 else jnp.asarray(cov)  # the matching metric
    draws, info = _run(
        jax.random.key(0), mean, chol, step_size, imm, name=name, settings=tuple(settings.items())
    )
    _assert_moments(draws, mean, cov)
    assert not np.any(info["diverging"])
    assert 0.5 < float(np.mean(info["acceptance_rate"])) <= 1.0


def test_nuts_statistics_and_determinism():
    mean, chol = IID
    args = (mean, chol, 0.8, chol**2)
    draws, info = _run(jax.random.key(0), *args, name="nuts")
    again, _ = _run(jax.random.key(0), *args, name="nuts")
    other, _ = _run(jax.random.key(1), *args, name="nuts")
    np.testing.assert_array_equal(draws, again)
    assert not np.allclose(draws, other)
    depth, steps = np.asarray(info["tree_depth"]), np.asarray(info["n_steps"])
    # A trajectory of `depth` valid doublings has 2**depth - 1 steps, plus the steps of
    # the rejected last subtree (fewer than 2**depth) when it ended on a U-turn inside.
    assert np.all(steps >= 2**depth - 1) and np.all(steps < 2 ** (depth + 1))
    energy = np.asarray(info["energy"])
    assert np.all(np.isfinite(energy)) and np.all(energy >= -np.asarray(info["lp"]))


def test_nuts_flags_divergences_and_caps_tree_depth():
    init, step = own_nuts(_gaussian(*IID), max_tree_depth=3)
    step = jax.jit(step)
    state = init(jnp.zeros(D))
    for i in range(5):
        _, info = step(jax.random.key(i), state, 50.0, jnp.ones(D))
        assert info["diverging"] and info["n_steps"] <= 2 and info["tree_depth"] <= 1
        _, info = step(jax.random.key(i), state, 0.01, jnp.ones(D))
        assert info["tree_depth"] == 3 and info["n_steps"] == 7 and not info["diverging"]


def _ess_per_gradient(draws, info):
    draws = np.asarray(draws)
    ess = np.concatenate([ess_bulk(draws), ess_bulk((draws - draws.mean(axis=(0, 1))) ** 2)])
    return float(np.mean(ess) / np.sum(info["n_steps"]))


def test_nuts_gradient_efficiency_matches_blackjax():
    mean, chol = IID
    args = (mean, chol, 0.8, chol**2)
    own = _ess_per_gradient(*_run(jax.random.key(0), *args, name="nuts"))
    ref = _ess_per_gradient(*_run(jax.random.key(0), *args, name="blackjax"))
    # Same algorithm, different random streams: equal up to the noise of ESS estimates.
    assert own > 0.85 * ref, (own, ref)
