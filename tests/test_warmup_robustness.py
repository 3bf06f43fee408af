"""Warmup from bad starts: the step-size search, the initial-point search, stuck chains.

Oracles: the scale equivariance of the leapfrog step (a Gaussian scaled by ``s`` needs a
step ``s`` times as large, exactly, with the same momentum), the candidates of the
initial-point search enumerated by hand, the closed-form posterior of a normal mean.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.kernels.initialize import (
    MAX_GAP,
    NUM_CANDIDATES,
    find_initial_position,
    start_seeds,
    uniform_candidate,
)
from pplx.kernels.step_size import find_reasonable_step_size


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def _search(scale):
    logdensity = lambda z: -0.5 * jnp.sum((z / scale) ** 2)
    z = scale * jnp.array([0.3, -1.2, 0.8])
    grad = jax.grad(logdensity)(z)
    return find_reasonable_step_size(
        logdensity, jax.random.key(0), z, logdensity(z), grad, jnp.ones(3)
    )


@pytest.mark.parametrize("scale", [1e-4, 1e-2, 1e2])
def test_step_size_search_is_scale_equivariant(scale):
    # with M = I the momentum is the same draw; scaling the target by s scales the
    # accepted step sizes by s, so the search from 1.0 lands on ~s * (unit answer)
    eps_unit, _ = _search(1.0)
    eps, n = _search(scale)
    assert 0.1 < float(eps_unit) < 10.0
    ratio = float(eps) / (scale * float(eps_unit))
    # the search moves in powers of two from 1.0 and stops past the crossing (above it
    # when doubling, below it when halving): equal up to two factors of 2
    assert 0.24 < ratio < 4.01, ratio
    assert int(n) <= 2 + abs(np.log2(scale)) + 2


def test_step_size_search_crosses_the_threshold():
    logdensity = lambda z: -0.5 * jnp.sum((z / 1e-3) ** 2)
    z = jnp.array([1e-3, -2e-3])
    args = (logdensity, jax.random.key(3), z, logdensity(z), jax.grad(logdensity)(z), jnp.ones(2))
    eps, n = find_reasonable_step_size(*args)
    # halving from 1.0: the returned size is accepted, twice it is not (Stan's rule)
    eps2, _ = find_reasonable_step_size(*args, step_size=2 * float(eps), max_steps=0)
    eps1, _ = find_reasonable_step_size(*args, step_size=float(eps), max_steps=0)
    assert float(eps) < 1e-2 and int(n) == 1 + round(-np.log2(float(eps)))
    assert float(eps1) == float(eps) and float(eps2) == 2 * float(eps)


def test_initial_point_skips_hopeless_candidates():
    # finite everywhere, but -exp(60 z_0) is ~-1e50 for z_0 near 2: such a start is
    # replaced by a candidate within MAX_GAP of the best of the first ten
    logdensity = lambda z: -jnp.exp(60.0 * z[0]) - 0.5 * jnp.sum(z**2)
    key = jax.random.key(5)
    seed = start_seeds(key)[0]
    cands = [uniform_candidate(seed, i, 2) for i in range(NUM_CANDIDATES)]
    values = np.array([float(logdensity(c)) for c in cands])
    z, ok = find_initial_position(logdensity, key, 2)
    assert bool(ok)
    assert float(logdensity(z)) >= values.max() - MAX_GAP
    assert any(np.allclose(z, c) for c in cands)


def test_initial_point_keeps_the_first_candidate_of_a_benign_model():
    logdensity = lambda z: -0.5 * jnp.sum(z**2)
    key = jax.random.key(1)
    z, ok = find_initial_position(logdensity, key, 4)
    assert bool(ok) and np.allclose(z, uniform_candidate(start_seeds(key)[0], 0, 4))


@pplx.model
def far_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1000.0))
    pplx.sample("y", dist.Normal(mu, 0.5).expand(y.shape).to_event(1), obs=y)


@pytest.mark.slow
def test_chains_from_far_in_the_tail_recover():
    # every start is ~4000 posterior sds from the mean (gradient ~1e5)
    y = 300.0 + 0.5 * jax.random.normal(jax.random.key(0), (50,))
    post_var = 1.0 / (50 / 0.25 + 1e-6)
    post_mean = post_var * float(y.sum()) / 0.25
    res = pplx.infer.nuts_run(far_mean(y), jax.random.key(1), num_warmup=300, num_samples=300)
    draws = np.asarray(res.draws["mu"])
    sd = np.sqrt(post_var)
    # each chain's mean within 5 MCSE (MCSE <= sd / sqrt(50) at ESS >= 50 per chain)
    assert np.all(np.abs(draws.mean(1) - post_mean) < 5 * sd / np.sqrt(50))
    assert 0.8 < draws.std() / sd < 1.2


@pplx.model
def ma2(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 2.5))
    theta = pplx.sample("theta", dist.Normal(0.0, 2.5).expand((2,)).to_event(1))

    def step(carry, yt):
        e1, e2 = carry
        nu = mu + theta[0] * e1 + theta[1] * e2
        return (yt - nu, e1), nu

    nu = jax.lax.scan(step, (0.0 * mu, 0.0 * mu), y)[1]
    pplx.sample("y", dist.Normal(nu, 1.0).to_event(1), obs=y)


@pytest.mark.slow
def test_a_chain_stuck_after_warmup_is_named():
    # started where the recursion explodes (log density ~ -1e110), no chain can move
    y = jnp.asarray(np.random.default_rng(0).normal(size=200))
    m = ma2(y)
    init = {"mu": 0.0, "theta": jnp.array([1.9, 1.9])}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pplx.nuts(
            m,
            jax.random.key(0),
            num_warmup=60,
            num_samples=40,
            num_chains=2,
            max_tree_depth=4,
            init=init,
            progress_bar=False,
        )
    stuck = [str(w.message) for w in caught if "is stuck after warmup" in str(w.message)]
    assert any(s.startswith("chain 0 is stuck") for s in stuck), stuck
    assert all("init=" in s for s in stuck)


@pytest.mark.slow
def test_a_healthy_run_has_no_stuck_warning():
    y = jnp.asarray(np.random.default_rng(0).normal(size=60))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pplx.nuts(
            ma2(y),
            jax.random.key(0),
            num_warmup=200,
            num_samples=100,
            num_chains=2,
            progress_bar=False,
        )
    assert not [w for w in caught if "is stuck" in str(w.message)]
