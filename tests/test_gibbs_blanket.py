"""Gibbs from Markov blankets: each discrete site is updated from the log-density terms
that mention it, all elements of a plated site at once.

Oracles: the joint log density (a blanket's conditional differs from the joint's by
terms constant in the site, to 1e-10), the exact posterior of a small discrete model by
enumeration (chi-square), and the work of one sweep read from its jaxpr (linear in the
number of latents, where the joint-density sweep is quadratic).
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.core import ClosedJaxpr, Jaxpr
from scipy import stats

import pplx
import pplx.distributions as dist
from pplx.infer.compound import assign_methods, build_blocks
from pplx.kernels import compound as ck
from pplx.model.blanket import conditional_fn, gibbs_sites
from pplx.model.discrete import discrete_layout, joint_logdensity

LOCS = np.array([-1.0, 0.0, 1.5])
PROBS = {0: np.array([0.5, 0.3, 0.2]), 1: np.array([0.2, 0.3, 0.5])}
P_W, P_V, COUPLING = 0.4, 0.5, 0.7
Y = np.array([0.3, 1.2, -0.8])


def discrete_model(coupled: bool):
    """Three categorical assignments z_i (K=3) whose prior depends on a global switch w
    and whose means shift with w; with ``coupled`` a factor on the number of z_i = 2,
    switched by v, couples the z_i outside the plate."""

    @pplx.model
    def disc(y):
        w = pplx.sample("w", dist.Bernoulli(probs=P_W))
        v = pplx.sample("v", dist.Bernoulli(probs=P_V))
        probs = jnp.where(w == 1, jnp.asarray(PROBS[1]), jnp.asarray(PROBS[0]))
        with pplx.plate("obs", y.shape[0]):
            z = pplx.sample("z", dist.Categorical(probs=probs))
            pplx.sample("y", dist.Normal(jnp.asarray(LOCS)[z] + 0.5 * w, 1.0), obs=y)
        if coupled:
            pplx.factor("f", COUPLING * v * jnp.sum(z == 2))

    return disc(jnp.asarray(Y))


def exact_log_joint(w, v, z, coupled):
    """The same density written out with scipy."""
    lp = stats.bernoulli.logpmf(w, P_W) + stats.bernoulli.logpmf(v, P_V)
    lp += np.sum(np.log(PROBS[w][list(z)]))
    lp += np.sum(stats.norm.logpdf(Y, LOCS[list(z)] + 0.5 * w, 1.0))
    return lp + (COUPLING * v * sum(zi == 2 for zi in z) if coupled else 0.0)


# ----- the blankets ---------------------------------------------------------------------
@pytest.mark.parametrize("coupled", [False, True])
def test_blankets_and_elementwise_plan(coupled):
    sites = {s.name: s for s in gibbs_sites(discrete_model(coupled))}
    assert sites["w"].terms == ("w", "y", "z")  # its own prior, z's prior, y's mean
    assert sites["v"].terms == (("f", "v") if coupled else ("v",))
    assert sites["z"].terms == (("f", "y", "z") if coupled else ("y", "z"))
    # the factor lies outside the plate: it couples the z_i, which then go in turn
    assert sites["z"].is_elementwise is (not coupled)
    assert sites["z"].plate_dims == (-1,)


def test_change_point_blanket_leaves_out_the_rate_priors():
    @pplx.model
    def change_point(y):
        n = y.shape[0]
        tau = pplx.sample("tau", dist.DiscreteUniform(0, n - 1))
        early = pplx.sample("early", dist.Gamma(2.0, 0.5))
        late = pplx.sample("late", dist.Gamma(2.0, 0.5))
        with pplx.plate("year", n):
            pplx.sample("y", dist.Poisson(jnp.where(jnp.arange(n) < tau, early, late)), obs=y)

    (tau,) = gibbs_sites(change_point(jnp.array([4.0, 5.0, 1.0, 0.0])))
    assert tau.terms == ("tau", "y")


@pytest.mark.parametrize("coupled", [False, True])
def test_conditionals_differ_from_the_joint_by_a_constant(coupled):
    model = discrete_model(coupled)
    layout = discrete_layout(model)
    z = jnp.zeros(0)
    joint_fn = jax.jit(lambda ints: joint_logdensity(model, z, ints, layout=layout))
    fns = {s: jax.jit(conditional_fn(model, layout, s)) for s in gibbs_sites(model, layout)}
    for ints in itertools.islice(itertools.product(range(2), range(2), *[range(3)] * 3), 0, 72, 7):
        ints = jnp.array(ints)
        for site, fn in fns.items():
            for k in range(site.size):
                i = site.start + k
                for value in range(layout.num_values[i]):
                    moved = ints.at[i].set(value)
                    joint = joint_fn(moved) - joint_fn(ints)
                    cond = fn(z, moved) - fn(z, ints)
                    cond = cond[k] if site.is_elementwise else cond
                    np.testing.assert_allclose(cond, joint, rtol=0, atol=1e-10)


# ----- the draws against the exact posterior ---------------------------------------------
@pytest.mark.parametrize("coupled", [False, True])
def test_draws_match_the_exact_posterior(coupled):
    cells = list(itertools.product((0, 1), (0, 1), *[(0, 1, 2)] * 3))
    logp = np.array([exact_log_joint(c[0], c[1], c[2:], coupled) for c in cells])
    exact = np.exp(logp - np.logaddexp.reduce(logp))
    post = pplx.compound.sample(
        discrete_model(coupled), jax.random.key(3), num_warmup=20, num_samples=2000,
        num_chains=2, return_inferencedata=False,
    )  # fmt: skip
    draws = np.concatenate(
        [post.draws["w"][..., None], post.draws["v"][..., None], post.draws["z"]], axis=-1
    )[:, ::4].reshape(-1, 5)  # every 4th draw: near independent for this fast-mixing chain
    index = {c: j for j, c in enumerate(cells)}
    observed = np.bincount([index[tuple(d)] for d in draws], minlength=len(cells))
    expected = exact * len(draws)
    # pool the cells expected fewer than 5 times, as the chi-square approximation needs
    rare = expected < 5
    obs = np.append(observed[~rare], observed[rare].sum())
    exp = np.append(expected[~rare], expected[rare].sum())
    p_value = stats.chisquare(obs, exp).pvalue
    assert p_value > 1e-3, (p_value, obs, exp.round(1))


# ----- one sweep costs O(N) -------------------------------------------------------------
@pplx.model
def spikes(y):
    p = pplx.sample("p", dist.Beta(1.0, 1.0))
    mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Bernoulli(probs=p))
        pplx.sample("y", dist.Normal(mu * z, 1.0), obs=y)


def gibbs_sweep(n: int, blanket: bool):
    """One compound step of the Gibbs block alone on ``spikes`` with ``n`` latents, as a
    function of ``(z, ints)``: from the blankets, or from the joint log density."""
    model = spikes(jnp.linspace(-2.0, 2.0, n))
    layout = discrete_layout(model)
    sites = gibbs_sites(model, layout) if blanket else None
    blocks = build_blocks(model, layout, assign_methods(model, layout, None), 0.8, 10, False, sites)
    gibbs = [b for b in blocks if b.is_discrete]
    init, step = ck.compound(lambda z, i: joint_logdensity(model, z, i, layout=layout), gibbs)
    stage = ck.Stage(*(jnp.array(False),) * 4)
    sweep = lambda z, ints: step(jax.random.key(0), init(z, ints), stage)[0].ints
    return sweep, (jnp.zeros(model.num_dims), jnp.zeros(n, jnp.result_type(int)))


def jaxpr_work(jaxpr) -> int:
    """Elements produced by every equation of ``jaxpr``, a loop's body counted once per
    iteration (XLA's cost analysis counts a loop body once, whatever its trip count)."""
    jaxpr = jaxpr.jaxpr if isinstance(jaxpr, ClosedJaxpr) else jaxpr
    total = 0
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        assert name != "while", "a while loop has no static trip count"
        inner = [v for v in eqn.params.values() if isinstance(v, ClosedJaxpr | Jaxpr)]
        if name == "scan":
            total += eqn.params["length"] * jaxpr_work(eqn.params["jaxpr"])
        elif name == "cond":
            total += max(jaxpr_work(b) for b in eqn.params["branches"])
        elif inner:
            total += sum(jaxpr_work(j) for j in inner)
        else:
            total += sum(math.prod(v.aval.shape) for v in eqn.outvars)
    return total


def test_one_sweep_over_n_plated_latents_costs_o_n():
    work = {}
    for blanket in (True, False):
        for n in (100, 1000):
            sweep, args = gibbs_sweep(n, blanket)
            work[blanket, n] = jaxpr_work(jax.make_jaxpr(sweep)(*args))
    blanket_ratio = work[True, 1000] / work[True, 100]
    joint_ratio = work[False, 1000] / work[False, 100]
    assert 8 < blanket_ratio < 12, work  # linear: all 1000 updated at once
    assert joint_ratio > 80, work  # the joint-density sweep: N evaluations of O(N)
    # XLA's own count of the compiled sweep (no loop in it: the count is complete)
    flops = {}
    for n in (100, 1000):
        sweep, args = gibbs_sweep(n, True)
        jaxpr = jax.make_jaxpr(sweep)(*args)
        assert "scan" not in str(jaxpr) and "while" not in str(jaxpr)
        flops[n] = jax.jit(sweep).lower(*args).compile().cost_analysis()["flops"]
    assert 8 < flops[1000] / flops[100] < 12, flops


# ----- compile once per model structure -------------------------------------------------
@pytest.fixture
def compile_events():
    events = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            events.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listener)
    yield events
    jax.monitoring.unregister_event_duration_listener(listener)


def test_new_data_of_the_same_shape_compiles_nothing(compile_events):
    run = lambda y, key: pplx.compound.sample(
        spikes(y), key, num_warmup=10, num_samples=10, num_chains=2, return_inferencedata=False
    )
    first = run(jnp.linspace(-2.0, 2.0, 50), jax.random.key(0))
    before = len(compile_events)
    second = run(jnp.linspace(-1.0, 3.0, 50), jax.random.key(1))
    assert len(compile_events) == before, "new data of the same shapes recompiled"
    assert first.draws["z"].shape == second.draws["z"].shape == (2, 10, 50)
    assert not np.array_equal(first.draws["z"], second.draws["z"])
