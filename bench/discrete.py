"""Discrete latents: pplx (summed out, then NUTS; the compound step, NUTS + Gibbs from
Markov blankets) beside NumPyro (``DiscreteHMCGibbs``, ``MixedHMC``, enumeration with
funsor) and PyMC (``pm.sample``) on a change point, a two-component mixture with explicit
assignments, 1000 binary latents, and a three-state HMM.

Every (model, method) runs in a fresh process (``--one``): "process s" is that process's
whole wall time (imports, compile, warmup, sampling, the discrete draws back for a
summed-out run), "call s" the sampling call alone, "compile s" JAX's tracing, lowering
and XLA compile time inside it (PyMC compiles C, not counted there). ESS: the minimum
bulk ESS over the continuous sites' components, and the median bulk ESS over the
discrete components (a component that never changes has none); ESS/s divides by the
process time. 4 chains x 500 warmup + 500 draws, chains one after another (the
compound step's default).

Run: ``python -m bench.discrete [label substring [method substring]] [--json PATH]``;
about 30 minutes on 2 loaded cores. Results: ``bench/results/discrete.md`` and ``.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist
from pplx import diagnostics

jax.config.update("jax_enable_x64", True)

SETTINGS = dict(num_warmup=500, num_samples=500, num_chains=4)
if os.environ.get("BENCH_DISCRETE_TINY"):  # a smoke run of every method
    SETTINGS = dict(num_warmup=20, num_samples=20, num_chains=2)
COUNTS = jnp.array([4.0, 5, 3, 6, 4, 5, 1, 0, 2, 1, 1, 0, 1, 0, 2, 1, 0, 1, 1, 0])


@pplx.model
def change_point(y):
    n = y.shape[0]
    tau = pplx.sample("tau", dist.DiscreteUniform(0, n - 1))
    early = pplx.sample("early", dist.Gamma(2.0, 0.5))
    late = pplx.sample("late", dist.Gamma(2.0, 0.5))
    rate = jnp.where(jnp.arange(n) < tau, early, late)
    with pplx.plate("year", n):
        pplx.sample("y", dist.Poisson(rate), obs=y)


@pplx.model
def mixture(y):
    mu = pplx.sample("mu", dist.Normal(jnp.array([-2.0, 2.0]), 2.0).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(2.0))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Categorical(probs=jnp.array([0.4, 0.6])))
        pplx.sample("y", dist.Normal(mu[z], sigma), obs=y)


@pplx.model
def spikes(y):
    p = pplx.sample("p", dist.Beta(1.0, 1.0))
    mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Bernoulli(probs=p))
        pplx.sample("y", dist.Normal(mu * z, 1.0), obs=y)


TRANS = jnp.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])


@pplx.model
def hmm(y):
    # informative means: the states keep their labels (no label switching between chains)
    locs = pplx.sample("locs", dist.Normal(jnp.array([-2.0, 0.0, 2.0]), 0.3).to_event(1))
    s = pplx.sample("s", dist.HalfNormal(1.0))
    x = pplx.markov("x", jnp.ones(3) / 3, TRANS, num_steps=y.shape[0])
    with pplx.plate("t", y.shape[0]):
        pplx.sample("y", dist.Normal(locs[x], s), obs=y)


def data(key=None):
    key = jax.random.key(1) if key is None else key
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    z = jax.random.bernoulli(k1, 0.6, (200,)).astype(int)
    y_mix = jnp.where(z == 1, 2.0, -2.0) + jax.random.normal(k2, (200,))
    path = dist.Categorical(probs=jnp.ones(3) / 3).sample(k3, (100,))  # a rough path
    path = jnp.repeat(path[:10], 10)
    y_hmm = jnp.array([-2.0, 0.0, 2.0])[path] + 0.7 * jax.random.normal(k3, (100,))
    on = jax.random.bernoulli(k4, 0.3, (1000,))
    y_spikes = 2.0 * on + jax.random.normal(k5, (1000,))
    return {"change point (20 years)": (change_point, COUNTS),
            "mixture (200 points)": (mixture, y_mix),
            "1000 binary latents": (spikes, y_spikes),
            "HMM (3 states, 100 steps)": (hmm, y_hmm)}  # fmt: skip


#: continuous and discrete sites of each model (by a word of its label)
SITES = {
    "change": (("early", "late"), ("tau",)),
    "mixture": (("mu", "sigma"), ("z",)),
    "binary": (("p", "mu"), ("z",)),
    "HMM": (("locs", "s"), ("x",)),
}
METHODS = {
    "change": ("pplx marginalised", "pplx compound", "pplx compound (joint-density Gibbs)",
               "numpyro DiscreteHMCGibbs", "numpyro MixedHMC", "pymc"),
    "mixture": ("pplx marginalised", "pplx compound", "pplx compound (joint-density Gibbs)",
                "numpyro enumeration", "numpyro DiscreteHMCGibbs", "numpyro MixedHMC", "pymc"),
    "binary": ("pplx marginalised", "pplx compound", "pplx compound (joint-density Gibbs)",
               "numpyro DiscreteHMCGibbs", "numpyro MixedHMC", "pymc"),
    "HMM": ("pplx marginalised", "numpyro enumeration"),
}  # fmt: skip


def _word(label: str) -> str:
    return next(k for k in SITES if k in label)


def run_pplx(model, how: str) -> dict:
    kw = dict(SETTINGS, progress_bar=False)
    key = jax.random.key(0)
    if how == "pplx marginalised":
        idata = pplx.nuts(model, key, marginalize="auto", **kw)
        idata = pplx.infer_discrete(model, idata, jax.random.key(1))
    elif how == "pplx compound":
        idata = pplx.compound.sample(model, key, **kw)
    else:  # the Gibbs block from the joint log density: what the blankets replaced,
        # through the same driver (InferenceData and all), with no site's blanket read
        from pplx.infer import compound as c

        c.gibbs_sites = lambda model, layout=None: ()
        idata = pplx.compound.sample(model, key, **kw)
    return {k: np.asarray(v) for k, v in idata.posterior.data_vars.items()}


def run_one(label: str, how: str) -> dict:
    """One (model, method) in this process: draws, then ESS and timings."""
    from bench import discrete_peers as peers
    from pplx.runtime.timing import Timer

    factory, y = data()[label]
    with Timer() as timer:
        if how.startswith("pplx"):
            draws = run_pplx(factory(y), how)
        elif how == "pymc":
            draws = peers.run_pymc(label, y, SETTINGS)
        else:
            draws = peers.run_numpyro(label, y, how.split()[1], SETTINGS)
    continuous, discrete = SITES[_word(label)]
    return {
        "call_s": timer.wall,
        "compile_s": timer.compile + timer.trace,
        "ess_continuous": _min_ess(draws, continuous),
        "ess_discrete": _median_ess(draws, discrete),
    }


def _components(draws: dict, names) -> list[np.ndarray]:
    out = []
    for name in names:
        if name in draws:
            a = np.asarray(draws[name], float)
            out += list(a.reshape(a.shape[0], a.shape[1], -1).transpose(2, 0, 1))
    return out


def _min_ess(draws, names) -> float:
    parts = _components(draws, names)
    return min(float(diagnostics.ess_bulk(a)) for a in parts) if parts else float("nan")


def _median_ess(draws, names) -> float:
    parts = [a for a in _components(draws, names) if np.ptp(a) > 0]
    if not parts:
        return float("nan")
    return float(np.median([float(diagnostics.ess_bulk(a)) for a in parts]))


def _in_process(label: str, how: str, timeout: float = 1200.0) -> dict:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "bench.discrete", "--one", label, how]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    wall = time.perf_counter() - start
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        return {"error": _last_error_line(done.stderr)}
    return dict(json.loads(lines[-1]), process_s=wall)


def _row(label: str, how: str, r: dict) -> str:
    if "error" in r:
        return f"| {label} | {how} | - | - | - | - | - | - | - |  {r['error']}"
    per_s = lambda e: f"{e / r['process_s']:.1f}" if np.isfinite(e) else "-"
    num = lambda e: f"{e:.0f}" if np.isfinite(e) else "-"
    return (
        f"| {label} | {how} | {r['process_s']:.1f} | {r['call_s']:.1f} | {r['compile_s']:.1f} "
        f"| {num(r['ess_continuous'])} | {per_s(r['ess_continuous'])} "
        f"| {num(r['ess_discrete'])} | {per_s(r['ess_discrete'])} |"
    )


HEADER = (
    "| model | method | process s | call s | compile s | min ESS cont. | ESS/s cont. "
    "| median ESS disc. | ESS/s disc. |\n|---|---|---|---|---|---|---|---|---|"
)


def _last_error_line(stderr: str) -> str:
    """The exception's own line (``SomeError: ...``) of a failed run, not JAX's note on
    filtered frames that follows it."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    named = [line for line in lines if line.split(":")[0].strip().endswith(("Error", "Exception"))]
    return ((named or lines or ["?"])[-1]).strip()[:160]


def main(only: str = "", json_path: str | None = None, method: str = "") -> None:
    print(HEADER, flush=True)
    results = []
    for label in data():
        if only not in label:
            continue
        for how in METHODS[_word(label)]:
            if method not in how:
                continue
            r = _in_process(label, how)
            results.append({"model": label, "method": how, **r})
            print(_row(label, how, r), flush=True)
            if json_path:
                with open(json_path, "w") as f:
                    json.dump(results, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        warnings.simplefilter("ignore")
        print(json.dumps(run_one(sys.argv[2], sys.argv[3])))
    else:
        args = sys.argv[1:]
        path = None
        if "--json" in args:
            path = args[args.index("--json") + 1]
            args = [a for a in args if a not in ("--json", path)]
        main(args[0] if args else "", path, args[1] if len(args) > 1 else "")
