"""Eight schools (non-centred): the classic hierarchical model, sampled with NUTS.

Run with ``make run`` (or ``python examples/eight_schools.py``). Prints a progress bar, an
ArviZ summary table and a one-line verdict on the run's health; with ``--plot`` (as the
gallery runs it) also draws ArviZ's trace, forest and energy plots.
"""

import sys
import time
from pathlib import Path

import arviz as az
import jax
import jax.numpy as jnp

import pplx
import pplx.distributions as dist
from pplx import diagnostics

# Rubin (1981): estimated coaching effects and their standard errors.
Y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])


@pplx.model
def eight_schools(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", sigma.shape[0]):
        theta_z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * theta_z)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


def main() -> None:
    # a second run of this script loads the compiled sampler from disk
    pplx.enable_compilation_cache(Path(__file__).resolve().parent.parent / ".jax_cache")
    model = eight_schools(SIGMA, y=Y)
    print(model, end="\n\n")
    start = time.perf_counter()
    idata = pplx.nuts(model, jax.random.key(0), num_warmup=1000, num_samples=1000, num_chains=4)
    elapsed = time.perf_counter() - start
    print(az.summary(idata, var_names=["mu", "tau", "theta"], round_to=2).to_string())
    draws = {k: idata.posterior[k].values for k in ("mu", "tau", "theta")}
    stats = {k: idata.sample_stats[k].values for k in ("diverging", "tree_depth", "energy")}
    print(f"\n{diagnostics.verdict(draws, stats, max_tree_depth=10)}")
    attrs = idata.posterior.attrs
    print(
        f"pplx.nuts call: {elapsed:.1f} s, of which XLA compile {attrs['compile_time']:.1f} s, "
        f"tracing {attrs['trace_time']:.1f} s, warmup + sampling {attrs['run_time']:.1f} s"
    )
    if "--plot" in sys.argv:
        plot(idata)


def plot(idata) -> None:
    import matplotlib.pyplot as plt

    az.plot_trace(idata, var_names=["mu", "tau"])
    plt.show()
    az.plot_forest(idata, var_names=["theta"], combined=True, hdi_prob=0.9)
    plt.show()
    az.plot_energy(idata)
    plt.show()


if __name__ == "__main__":
    main()
