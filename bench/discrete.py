"""Discrete latents: summed out (``marginalize="auto"``, then NUTS) against the compound
step (NUTS + Gibbs), on a change point, a two-component mixture with assignments and a
three-state HMM. Prints a Markdown table: whole-process wall time of each run (compile
included), minimum bulk ESS of the continuous sites, and ESS per second.

Run: ``python -m bench.discrete [model label substring]`` (about four minutes on 2 CPU
cores). NumPyro's enumeration needs funsor, which the project venv does not install; it
is not compared.
"""

from __future__ import annotations

import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist
from pplx import diagnostics

jax.config.update("jax_enable_x64", True)

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


TRANS = jnp.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])


@pplx.model
def hmm(y):
    # informative means: the states keep their labels (no label switching between chains)
    locs = pplx.sample("locs", dist.Normal(jnp.array([-2.0, 0.0, 2.0]), 0.3).to_event(1))
    s = pplx.sample("s", dist.HalfNormal(1.0))
    x = pplx.markov("x", jnp.ones(3) / 3, TRANS, num_steps=y.shape[0])
    with pplx.plate("t", y.shape[0]):
        pplx.sample("y", dist.Normal(locs[x], s), obs=y)


def data(key):
    k1, k2, k3 = jax.random.split(key, 3)
    z = jax.random.bernoulli(k1, 0.6, (200,)).astype(int)
    y_mix = jnp.where(z == 1, 2.0, -2.0) + jax.random.normal(k2, (200,))
    path = dist.Categorical(probs=jnp.ones(3) / 3).sample(k3, (100,))  # a rough path
    path = jnp.repeat(path[:10], 10)
    y_hmm = jnp.array([-2.0, 0.0, 2.0])[path] + 0.7 * jax.random.normal(k3, (100,))
    return {"change point (20 years)": (change_point, COUNTS),
            "mixture (200 points)": (mixture, y_mix),
            "HMM (3 states, 100 steps)": (hmm, y_hmm)}  # fmt: skip


def run(model, how):
    kw = dict(num_warmup=500, num_samples=500, num_chains=4, progress_bar=False)
    start = time.perf_counter()
    if how == "marginalised NUTS":
        idata = pplx.nuts(model, jax.random.key(0), marginalize="auto", **kw)
    else:
        idata = pplx.compound.sample(model, jax.random.key(0), **kw)
    wall = time.perf_counter() - start
    names = [s.name for s in model.free_vars if not s.is_discrete]
    flat = [np.asarray(idata.posterior[n]).reshape(4, 500, -1) for n in names]
    ess = min(float(diagnostics.ess_bulk(a[..., j])) for a in flat for j in range(a.shape[-1]))
    return wall, ess


def main(only: str = "") -> None:
    warnings.simplefilter("ignore")
    print("| model | method | wall s (compile incl.) | min bulk ESS | ESS/s |")
    print("|---|---|---|---|---|")
    for label, (factory, y) in data(jax.random.key(1)).items():
        if only not in label:
            continue
        for how in ("marginalised NUTS", "compound (NUTS + Gibbs)"):
            if factory is hmm and how.startswith("compound"):
                print(f"| {label} | {how} | - | - | - |  (a chain site: enumerate it)")
                continue
            wall, ess = run(factory(y), how)
            print(f"| {label} | {how} | {wall:.1f} | {ess:.0f} | {ess / wall:.0f} |")


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "")
