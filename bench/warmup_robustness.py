"""Warmup robustness: do chains that start in a bad region get out?

Six adversarial posteriors, each sampled by groups of 4 chains ("seeds") started
uniformly in (-2, 2) of the unconstrained space, as pplx, NumPyro and BlackJAX start by
default; 1000 warmup + 1000 draws per chain, target acceptance 0.8, tree depth 10,
float64, diagonal mass matrix. Per case, the fraction of seeds that *recover*:

- **R-hat vs the reference**: the rank-normalised split R-hat of every scalar, computed
  on the seed's 4 chains together with 4 pseudo-chains of 1000 reference draws, is below
  1.01 (a seed whose chains all agree on a wrong region fails too);
- **no chain stuck**: every chain moves in at least 10% of its transitions;
- **trees**: fewer than 5% of the draws at the maximum tree depth.

The cases (unconstrained dimension in brackets):

- ``ma2`` [4]: an MA(2) time series (200 points) whose error recursion grows like
  ``|theta|**t`` for coefficients past 1 in magnitude: most starts sit where the log
  density is about -1e60 and its gradient as large; Cauchy priors (posteriordb's ma2);
- ``funnel`` [10]: Neal's funnel, ``v ~ N(0, 3)``, nine ``x ~ N(0, exp(v / 2))``;
- ``cauchy`` [5]: five independent standard Cauchy variables (heavy tails);
- ``corr_gauss`` [10]: a Gaussian with correlation 0.95 and scales from 0.01 to 100;
- ``far_tail`` [6]: five means near 300 with posterior sd 0.07 and a shared scale
  (true 0.5), so every start is thousands of posterior sds out with gradients ~1e7;
- ``logit_sep`` [3]: a logistic regression on nearly separable data with Cauchy(0, 2.5)
  priors (a long flat ridge to one side, a cliff to the other).

References are exact independent draws where the posterior has a closed form (funnel,
cauchy, corr_gauss, far_tail: a grid over the scale, then the conjugate means) and a
long NumPyro run from a good start otherwise (ma2, logit_sep: 4 x 10 000 draws, thinned).

Run (each label is stored in ``bench/results/warmup-robustness.json``; the markdown
table is rebuilt from all stored labels)::

    python -m bench.warmup_robustness --label pplx-before --contenders pplx
    python -m bench.warmup_robustness --label after --contenders pplx numpyro blackjax
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import NamedTuple

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import pplx  # noqa: E402
import pplx.distributions as dist  # noqa: E402
from bench.common import RESULTS_DIR  # noqa: E402
from pplx.diagnostics.estimators import ess_tail, split_rhat  # noqa: E402

NUM_WARMUP, NUM_SAMPLES, CHAINS_PER_SEED, MAX_DEPTH = 1000, 1000, 4, 10
RHAT_MAX, STUCK_MOVE_SHARE, MAX_DEPTH_SHARE = 1.01, 0.10, 0.05
JSON_PATH = RESULTS_DIR / "warmup-robustness.json"
MD_PATH = RESULTS_DIR / "warmup-robustness.md"


# ---------------------------------------------------------------------------------
# Data and shared pieces.


def ma2_mean(y, mu, theta):
    """The MA(2) one-step mean: ``nu_t = mu + theta_1 e_{t-1} + theta_2 e_{t-2}``."""

    def step(carry, yt):
        e1, e2 = carry
        nu = mu + theta[0] * e1 + theta[1] * e2
        return (yt - nu, e1), nu

    zero = jnp.zeros((), jnp.result_type(y, mu))
    return jax.lax.scan(step, (zero, zero), y)[1]


def _ma2_data():
    rng = np.random.default_rng(11)
    e = rng.normal(size=202)
    return {"y": 1.0 + e[2:] + 0.7 * e[1:-1] + 0.2 * e[:-2]}


def _far_tail_data():
    rng = np.random.default_rng(12)
    mu = 300.0 + 10.0 * np.arange(5)
    return {"y": mu + 0.5 * rng.normal(size=(50, 5))}


def _logit_data():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(40, 2))
    logits = 4.0 * x[:, 0] + 1.0 * x[:, 1]
    return {"x": x, "y": (rng.uniform(size=40) < 1 / (1 + np.exp(-logits))).astype(float)}


def _corr_cov():
    scales = np.logspace(-2, 2, 10)
    corr = np.full((10, 10), 0.95) + 0.05 * np.eye(10)
    return scales[:, None] * corr * scales[None, :]


# ---------------------------------------------------------------------------------
# pplx models.


@pplx.model
def ma2_pplx(y):
    mu = pplx.sample("mu", dist.Cauchy(0.0, 2.5))
    theta = pplx.sample("theta", dist.Cauchy(0.0, 2.5).expand((2,)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    pplx.sample("y", dist.Normal(ma2_mean(y, mu, theta), sigma).to_event(1), obs=y)


@pplx.model
def funnel_pplx():
    v = pplx.sample("v", dist.Normal(0.0, 3.0))
    pplx.sample("x", dist.Normal(0.0, jnp.exp(v / 2)).expand((9,)).to_event(1))


@pplx.model
def cauchy_pplx():
    pplx.sample("x", dist.Cauchy(0.0, 1.0).expand((5,)).to_event(1))


@pplx.model
def corr_gauss_pplx(cov):
    pplx.sample("x", dist.MultivariateNormal(jnp.zeros(cov.shape[0]), cov))


@pplx.model
def far_tail_pplx(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1000.0).expand((y.shape[1],)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(10.0))
    pplx.sample("y", dist.Normal(mu, sigma).expand(y.shape).to_event(2), obs=y)


@pplx.model
def logit_sep_pplx(x, y):
    a = pplx.sample("a", dist.Cauchy(0.0, 2.5))
    b = pplx.sample("b", dist.Cauchy(0.0, 2.5).expand((x.shape[1],)).to_event(1))
    pplx.sample("y", dist.Bernoulli(logits=a + x @ b).to_event(1), obs=y)


# ---------------------------------------------------------------------------------
# NumPyro models (the same priors and likelihoods).


def _numpyro_models() -> dict[str, Callable]:
    import numpyro
    import numpyro.distributions as nd

    def ma2(y):
        mu = numpyro.sample("mu", nd.Cauchy(0.0, 2.5))
        theta = numpyro.sample("theta", nd.Cauchy(0.0, 2.5).expand([2]).to_event(1))
        sigma = numpyro.sample("sigma", nd.HalfCauchy(2.5))
        numpyro.sample("y", nd.Normal(ma2_mean(y, mu, theta), sigma).to_event(1), obs=y)

    def funnel():
        v = numpyro.sample("v", nd.Normal(0.0, 3.0))
        numpyro.sample("x", nd.Normal(0.0, jnp.exp(v / 2)).expand([9]).to_event(1))

    def cauchy():
        numpyro.sample("x", nd.Cauchy(0.0, 1.0).expand([5]).to_event(1))

    def corr_gauss(cov):
        numpyro.sample("x", nd.MultivariateNormal(jnp.zeros(cov.shape[0]), cov))

    def far_tail(y):
        mu = numpyro.sample("mu", nd.Normal(0.0, 1000.0).expand([y.shape[1]]).to_event(1))
        sigma = numpyro.sample("sigma", nd.HalfNormal(10.0))
        numpyro.sample("y", nd.Normal(mu, sigma).expand(y.shape).to_event(2), obs=y)

    def logit_sep(x, y):
        a = numpyro.sample("a", nd.Cauchy(0.0, 2.5))
        b = numpyro.sample("b", nd.Cauchy(0.0, 2.5).expand([x.shape[1]]).to_event(1))
        numpyro.sample("y", nd.Bernoulli(logits=a + x @ b).to_event(1), obs=y)

    return dict(
        ma2=ma2,
        funnel=funnel,
        cauchy=cauchy,
        corr_gauss=corr_gauss,
        far_tail=far_tail,
        logit_sep=logit_sep,
    )


# ---------------------------------------------------------------------------------
# Exact references.


def _ref_funnel(rng, n):
    v = rng.normal(0.0, 3.0, n)
    return {"v": v, "x": rng.normal(size=(n, 9)) * np.exp(v / 2)[:, None]}


def _ref_cauchy(rng, n):
    return {"x": rng.standard_cauchy((n, 5))}


def _ref_corr_gauss(rng, n):
    return {"x": rng.multivariate_normal(np.zeros(10), _corr_cov(), n)}


def _ref_far_tail(rng, n):
    """Grid over sigma of its exact marginal, then each mean given sigma (conjugate)."""
    y = _far_tail_data()["y"]
    m, tau2 = y.shape[0], 1000.0**2
    total, sumsq = y.sum(0), (y**2).sum(0)
    log_s = np.linspace(np.log(0.3), np.log(0.8), 20001)
    s2 = np.exp(2 * log_s)[:, None]
    quad = (sumsq - tau2 * total**2 / (s2 + m * tau2)) / s2
    loglik = -0.5 * ((m - 1) * np.log(s2) + np.log(s2 + m * tau2) + quad).sum(1)
    logp = loglik - np.exp(2 * log_s) / (2 * 100.0) + log_s  # HalfNormal(10), d sigma
    w = np.exp(logp - logp.max())
    cdf = np.cumsum(w) / w.sum()
    step = log_s[1] - log_s[0]
    sigma = np.exp(np.interp(rng.uniform(size=n), cdf, log_s) + step * (rng.uniform(size=n) - 0.5))
    var = 1.0 / (m / sigma[:, None] ** 2 + 1.0 / tau2)
    mean = var * total[None, :] / sigma[:, None] ** 2
    return {"mu": mean + np.sqrt(var) * rng.normal(size=mean.shape), "sigma": sigma}


def _ref_numpyro(name: str, start: dict) -> Callable:
    """A long NumPyro run from ``start`` (4 x 10 000 draws, thinned by 10)."""

    cache: dict = {}

    def long_run() -> dict:
        from numpyro.infer import MCMC, NUTS, init_to_value

        if cache:
            return cache
        case = CASES[name]
        kernel = NUTS(_numpyro_models()[name], init_strategy=init_to_value(values=start))
        mcmc = MCMC(kernel, num_warmup=2000, num_samples=10000, num_chains=4, progress_bar=False)
        mcmc.run(jax.random.key(99), **case.data)
        draws = {k: np.asarray(v)[::10] for k, v in mcmc.get_samples().items()}
        worst = max(
            float(np.max(split_rhat(v.reshape(4, -1, *v.shape[1:])))) for v in draws.values()
        )
        print(f"  reference {name}: {len(next(iter(draws.values())))} draws, R-hat {worst:.4f}")
        cache.update(draws)
        return cache

    def make(rng, n):
        draws = long_run()
        idx = rng.choice(len(next(iter(draws.values()))), n, replace=False)
        return {k: v[idx] for k, v in draws.items()}

    return make


class Case(NamedTuple):
    pplx_model: Callable
    data: dict
    reference: Callable  # (rng, n) -> {site: (n, *shape)}


CASES: dict[str, Case] = {
    "ma2": Case(
        ma2_pplx,
        _ma2_data(),
        _ref_numpyro("ma2", {"mu": 1.0, "theta": jnp.zeros(2), "sigma": 1.0}),
    ),
    "funnel": Case(funnel_pplx, {}, _ref_funnel),
    "cauchy": Case(cauchy_pplx, {}, _ref_cauchy),
    "corr_gauss": Case(corr_gauss_pplx, {"cov": _corr_cov()}, _ref_corr_gauss),
    "far_tail": Case(far_tail_pplx, _far_tail_data(), _ref_far_tail),
    "logit_sep": Case(
        logit_sep_pplx,
        _logit_data(),
        _ref_numpyro("logit_sep", {"a": 0.0, "b": jnp.zeros(2)}),
    ),
}


# ---------------------------------------------------------------------------------
# Runners: every chain of every seed in one program; chains are independent.


class Run(NamedTuple):
    draws: dict  # site -> (chains, draws, *shape), constrained
    tree_depth: np.ndarray  # (chains, draws)
    diverging: np.ndarray
    step_size: np.ndarray  # (chains,)
    warmup_grads: np.ndarray | None  # (chains,) gradient evaluations in warmup
    seconds: float


def run_pplx(name: str, num_chains: int, seed: int) -> Run:
    case = CASES[name]
    m = case.pplx_model(**{k: jnp.asarray(v) for k, v in case.data.items()})
    run = pplx.filter_jit(pplx.infer.nuts_run)
    start = time.perf_counter()
    res = run(
        m,
        jax.random.key(seed),
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=num_chains,
        max_tree_depth=MAX_DEPTH,
        chain_method="sequential",
    )
    res = jax.block_until_ready(res)
    return Run(
        {k: np.asarray(v) for k, v in res.draws.items()},
        np.asarray(res.stats["tree_depth"]),
        np.asarray(res.stats["diverging"]),
        np.asarray(res.state.step_size),
        np.asarray(res.warmup_stats["n_steps"]),
        time.perf_counter() - start,
    )


def run_numpyro(name: str, num_chains: int, seed: int) -> Run:
    from numpyro.infer import MCMC, NUTS, init_to_uniform

    case = CASES[name]
    kernel = NUTS(
        _numpyro_models()[name],
        max_tree_depth=MAX_DEPTH,
        target_accept_prob=0.8,
        init_strategy=init_to_uniform(radius=2.0),
    )
    mcmc = MCMC(
        kernel,
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=num_chains,
        chain_method="vectorized",
        progress_bar=False,
    )
    start = time.perf_counter()
    mcmc.run(
        jax.random.key(seed),
        **{k: jnp.asarray(v) for k, v in case.data.items()},
        extra_fields=("diverging", "num_steps"),
    )
    draws = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    extra = mcmc.get_extra_fields(group_by_chain=True)
    depth = np.floor(np.log2(np.asarray(extra["num_steps"]) + 1)).astype(int)
    step = np.asarray(mcmc.last_state.adapt_state.step_size)
    return Run(
        draws, depth, np.asarray(extra["diverging"]), step, None, time.perf_counter() - start
    )


def run_blackjax(name: str, num_chains: int, seed: int) -> Run:
    import blackjax

    case = CASES[name]
    m = case.pplx_model(**{k: jnp.asarray(v) for k, v in case.data.items()})

    def one_chain(key):
        init_key, warm_key, sample_key = jax.random.split(key, 3)
        position = jax.random.uniform(init_key, (m.num_dims,), minval=-2.0, maxval=2.0)
        adaptation = blackjax.window_adaptation(
            blackjax.nuts, m.logdensity, target_acceptance_rate=0.8, max_num_doublings=MAX_DEPTH
        )
        (state, params), _ = adaptation.run(warm_key, position, num_steps=NUM_WARMUP)
        kernel = blackjax.nuts(m.logdensity, **params)

        def step(state, key):
            state, info = kernel.step(key, state)
            return state, (state.position, info.num_trajectory_expansions, info.is_divergent)

        keys = jax.random.split(sample_key, NUM_SAMPLES)
        _, (positions, depth, diverging) = jax.lax.scan(step, state, keys)
        return jax.vmap(m.constrain)(positions), depth, diverging, params["step_size"]

    start = time.perf_counter()
    out = jax.jit(jax.vmap(one_chain))(jax.random.split(jax.random.key(seed), num_chains))
    values, depth, diverging, step = jax.block_until_ready(out)
    draws = {k: np.asarray(v) for k, v in values.items()}
    return Run(
        draws,
        np.asarray(depth),
        np.asarray(diverging),
        np.asarray(step),
        None,
        time.perf_counter() - start,
    )


RUNNERS = {"pplx": run_pplx, "numpyro": run_numpyro, "blackjax": run_blackjax}


# ---------------------------------------------------------------------------------
# Verdicts.


def _scalars(draws: dict) -> dict[str, np.ndarray]:
    """site -> (chains, draws, k) with every scalar of the site on the last axis."""
    return {k: v.reshape(v.shape[0], v.shape[1], -1) for k, v in draws.items()}


def seed_verdict(run: Run, chains: slice, reference: dict) -> dict:
    """Does the group of chains ``chains`` recover? (See the module docstring.)"""
    worst, tail = 1.0, np.inf
    for site, value in _scalars({k: v[chains] for k, v in run.draws.items()}).items():
        ref = np.asarray(reference[site]).reshape(value.shape[0], value.shape[1], -1)
        both = np.concatenate([value, ref], axis=0)
        worst = max(worst, float(np.nanmax(split_rhat(both))))
        tail = min(tail, float(np.nanmin(ess_tail(value))))
    flat = np.concatenate(
        [v.reshape(v.shape[0], v.shape[1], -1) for v in run.draws.values()], axis=-1
    )[chains]
    moved = np.mean(np.any(np.diff(flat, axis=1) != 0, axis=-1), axis=1)
    at_max = float(np.mean(run.tree_depth[chains] >= MAX_DEPTH))
    stuck = int(np.sum(moved < STUCK_MOVE_SHARE))
    ok = worst < RHAT_MAX and stuck == 0 and at_max < MAX_DEPTH_SHARE
    return dict(
        recovered=bool(ok),
        rhat=worst,
        stuck_chains=stuck,
        at_max_depth=at_max,
        divergences=int(run.diverging[chains].sum()),
        min_ess_tail=tail,  # of the seed's own chains: what a heavy tail's R-hat rests on
    )


def evaluate(contender: str, name: str, num_seeds: int, run_seeds=(2026,)) -> dict:
    """``num_seeds`` groups of 4 chains from each run key in ``run_seeds`` (one program
    per key), each group judged against its own reference draws."""
    seeds, seconds, grads = [], 0.0, []
    for run_seed in run_seeds:
        run = RUNNERS[contender](name, num_seeds * CHAINS_PER_SEED, seed=run_seed)
        seconds += run.seconds
        if run.warmup_grads is not None:
            grads.append(np.mean(run.warmup_grads))
        rng = np.random.default_rng(7)
        for s in range(num_seeds):
            ref = CASES[name].reference(rng, CHAINS_PER_SEED * NUM_SAMPLES)
            chains = slice(s * CHAINS_PER_SEED, (s + 1) * CHAINS_PER_SEED)
            seeds.append(seed_verdict(run, chains, ref))
    num_seeds = len(seeds)
    out = dict(
        recovered=sum(v["recovered"] for v in seeds),
        seeds=num_seeds,
        worst_rhat=max(v["rhat"] for v in seeds),
        median_rhat=float(np.median([v["rhat"] for v in seeds])),
        stuck_chains=sum(v["stuck_chains"] for v in seeds),
        at_max_depth=float(np.mean([v["at_max_depth"] for v in seeds])),
        divergences=sum(v["divergences"] for v in seeds),
        seconds=seconds,
        run_seeds=list(run_seeds),
        per_seed=seeds,
    )
    if grads:
        out["warmup_grads_per_chain"] = float(np.mean(grads))
    return out


# ---------------------------------------------------------------------------------
# Report.


def binomial(r: dict) -> tuple[float, float]:
    """The recovered fraction and its binomial standard error sqrt(p (1 - p) / n)."""
    p = r["recovered"] / r["seeds"]
    return p, float(np.sqrt(p * (1.0 - p) / r["seeds"]))


def _cell(r: dict) -> str:
    p, se = binomial(r)
    return (
        f"**{r['recovered']}/{r['seeds']}** ({p:.2f} ± {se:.2f}; R-hat {r['worst_rhat']:.3g}, "
        f"stuck {r['stuck_chains']}, depth10 {100 * r['at_max_depth']:.1f}%, "
        f"div {r['divergences']})"
    )


MORE_SEEDS_NOTE = """
The columns above are one run key each (seed groups of 40 chains). A case whose
fractions differ between columns is rerun below with more seed groups over several run
keys (`--seeds 40 --run-seeds 2026 2027 2028`), `pplx before` from a worktree of the
commit before the warmup change with this script copied in. Difference = before minus
after, its standard error from the two binomial ones; tail ESS = the smallest tail ESS
of a seed's own 4 chains (median over recovering / failing seeds).

Reading the cauchy rows: no seed of either version has a stuck chain or many trees at
the maximum depth, so every failure is an R-hat against the reference just above 1.01,
and the failing seeds have about half the tail ESS of the recovering ones. On five
standard Cauchy variables, 4 x 1000 draws sit at the edge of that threshold: the
fraction measures the tail ESS of the run, not an escape from a bad start, and its
spread between run keys (19 to 25 of 40 after, 23 to 25 before) is the binomial one.
The change in warmup (step-size search) leaves the final step sizes and the ESS where
they were; the 9/10 vs 7/10 of the first table is within the standard errors.
"""


def _more_seeds(results: dict, labels: list[str]) -> list[str]:
    lines = ["", "## More seeds", "", MORE_SEEDS_NOTE.strip(), ""]
    lines += [
        "| case | column | recovered | fraction ± se | median R-hat | stuck | "
        "tail ESS recovering / failing |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in CASES:
        present = [lab for lab in labels if name in results[lab]]
        for label in present:
            r = results[label][name]
            p, se = binomial(r)
            tails = np.array([v.get("min_ess_tail", np.nan) for v in r["per_seed"]])
            ok = np.array([v["recovered"] for v in r["per_seed"]])
            split = " / ".join(
                f"{np.median(tails[mask]):.0f}" if mask.any() else "-" for mask in (ok, ~ok)
            )
            lines.append(
                f"| {name} | {label} | {r['recovered']}/{r['seeds']} | {p:.3f} ± {se:.3f} | "
                f"{r['median_rhat']:.4f} | {r['stuck_chains']} | {split} |"
            )
        if len(present) == 2:
            (p1, s1), (p2, s2) = (binomial(results[lab][name]) for lab in present)
            diff, se = p1 - p2, float(np.hypot(s1, s2))
            lines.append(
                f"| {name} | difference | | {diff:+.3f} ± {se:.3f} (z = {diff / se:.2f}) | | | |"
            )
    return lines


def markdown(results: dict) -> str:
    # a column that covers every case goes in the main tables, others under "More seeds"
    labels = [lab for lab in results if all(name in results[lab] for name in CASES)]
    partial = [lab for lab in results if lab not in labels]
    lines = [
        "# Warmup robustness: chains started uniformly in (-2, 2) of the unconstrained space",
        "",
        "Generated by `python -m bench.warmup_robustness` (see its docstring for the cases",
        "and the definition of *recover*). Each cell: seeds (groups of 4 chains, 1000 + 1000",
        "draws) that recover / seeds, the fraction ± its binomial standard error, then the",
        "worst R-hat against the reference, chains stuck, share of draws at max tree depth,",
        "divergences over all seeds. 2-core CPU,",
        "float64; pplx's columns differ only by the warmup change (step-size search at the",
        "start and after each mass matrix, initial-point search that skips hopeless starts).",
        "",
        "| case | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for name in CASES:
        cells = []
        for label in labels:
            r = results[label].get(name)
            if r is None:
                cells.append("-")
                continue
            cells.append(_cell(r))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Warmup gradient evaluations per chain (pplx, step-size searches included after)",
        "and wall time of all 40 chains (a shared machine under other load: indicative only).",
        "",
    ]
    lines += ["| case | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for name in CASES:
        cells = []
        for label in labels:
            r = results[label].get(name)
            if r is None:
                cells.append("-")
                continue
            grads = r.get("warmup_grads_per_chain")
            g = f"{grads:.0f} grads, " if grads is not None else ""
            cells.append(f"{g}{r['seconds']:.1f} s")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if partial:
        lines += _more_seeds(results, partial)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True, help="column prefix, e.g. before/after")
    parser.add_argument("--contenders", nargs="+", default=["pplx"], choices=list(RUNNERS))
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--seeds", type=int, default=10, help="seed groups per run key")
    parser.add_argument("--run-seeds", nargs="+", type=int, default=[2026], help="run keys")
    args = parser.parse_args(argv)
    results = json.loads(JSON_PATH.read_text()) if JSON_PATH.exists() else {}
    for contender in args.contenders:
        column = f"{contender} {args.label}" if contender == "pplx" else contender
        results.setdefault(column, {})
        for name in args.cases:
            r = evaluate(contender, name, args.seeds, tuple(args.run_seeds))
            results[column][name] = r
            print(
                f"{column:16s} {name:10s} {r['recovered']}/{r['seeds']} "
                f"R-hat {r['worst_rhat']:.3f} stuck {r['stuck_chains']} "
                f"depth10 {100 * r['at_max_depth']:.1f}% div {r['divergences']} "
                f"{r['seconds']:.1f} s",
                flush=True,
            )
            JSON_PATH.write_text(json.dumps(results, indent=1))
    MD_PATH.write_text(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
