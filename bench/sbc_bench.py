"""Wall time of a simulation-based calibration: pplx.sbc beside the same loop in NumPyro.

Both do the same work per simulation: one prior predictive draw of the parameters and
the data, NUTS on the simulated data (one chain, ``num_warmup`` warmup draws with
Stan-style adaptation, ``num_samples`` draws thinned to ``L = 99``), and the ranks of
the true values among the kept draws. Three contenders, run in one process:

- ``pplx``: ``pplx.sbc`` (simulation, every fit and the ranks in one compiled program);
- ``numpyro_vmap``: NumPyro's functional NUTS (``numpyro.infer.hmc.hmc``: its
  ``init_kernel`` and ``sample_kernel`` with the data as dynamic model arguments) in a
  ``lax.scan``, ``jax.vmap``-ed over the simulated datasets in one ``jax.jit``: the
  same program shape as pplx's, written with NumPyro's pieces;
- ``numpyro_loop``: ``numpyro.infer.MCMC`` (``jit_model_args=True``, so one compile for
  all datasets) called once per dataset: the loop most users would write.

Each contender runs twice: ``cold`` is the first call (compilation included), ``warm``
the second (a new key; the compiled program reused). The machine is shared: absolute
times are noise, ratios from one run are the signal.

Usage: ``python -m bench.sbc_bench [--model normal_mean] [--num-simulations 1000]``
(``--loop-simulations`` bounds the sequential NumPyro loop, whose times are then scaled
to 1000 simulations and marked as extrapolated).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from bench.common import RESULTS_DIR

NUM_RANKS = 99


# ----- the NumPyro versions of the models ----------------------------------------------
def _numpyro_models():
    import numpyro
    import numpyro.distributions as nd

    def normal_mean(y=None):
        mu = numpyro.sample("mu", nd.Normal(0.0, 1.0))
        with numpyro.plate("obs", 10):
            numpyro.sample("y", nd.Normal(mu, 1.0), obs=y)

    def eight_schools_noncentered(sigma, y=None):
        mu = numpyro.sample("mu", nd.Normal(0.0, 5.0))
        tau = numpyro.sample("tau", nd.HalfCauchy(5.0))
        with numpyro.plate("school", sigma.shape[0]):
            theta_z = numpyro.sample("theta_z", nd.Normal(0.0, 1.0))
            numpyro.sample("y", nd.Normal(mu + tau * theta_z, sigma), obs=y)

    sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    return {
        "normal_mean": (normal_mean, (), ["mu"]),
        "eight_schools_noncentered": (
            eight_schools_noncentered,
            (sigma,),
            ["mu", "tau", "theta_z"],
        ),
    }


def _ranks(draws: dict, truths: dict, latents: list[str]) -> np.ndarray:
    """``(num_simulations, P)`` ranks from draws ``(sim, L, ...)`` and truths ``(sim, ...)``."""
    out = []
    for name in latents:
        d, t = np.asarray(draws[name]), np.asarray(truths[name])
        n = t.shape[0]
        out.append(np.sum(d.reshape(n, NUM_RANKS, -1) < t.reshape(n, 1, -1), axis=1))
    return np.concatenate(out, axis=1)


def _prior(model, args, key, num_simulations, latents):
    from numpyro.infer import Predictive

    sims = Predictive(model, num_samples=num_simulations)(key, *args)
    return sims["y"], {k: sims[k] for k in latents}


_PROGRAMS: dict = {}  # compiled programs kept across calls, so a second call is warm


def _numpyro_vmap_program(name, num_simulations, num_warmup, num_samples):
    from numpyro.infer import Predictive
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import initialize_model

    model, args, latents = _numpyro_models()[name]
    y0 = Predictive(model, num_samples=1)(jax.random.key(0), *args)["y"][0]
    info = initialize_model(jax.random.key(0), model, model_args=(*args, y0), dynamic_args=True)
    init_kernel, sample_kernel = hmc(potential_fn_gen=info.potential_fn, algo="NUTS")
    thin = num_samples // NUM_RANKS

    def one(y, k):
        init_key, run_key = jax.random.split(k)
        z0 = jax.tree.map(
            lambda v: jax.random.uniform(init_key, jnp.shape(v), minval=-2, maxval=2),
            info.param_info.z,
        )
        model_args = (*args, y)
        state = init_kernel(z0, num_warmup, model_args=model_args, rng_key=run_key)
        advance = lambda i, s: sample_kernel(s, model_args=model_args)
        state = jax.lax.fori_loop(0, num_warmup, advance, state)  # adapts while i < warmup

        def keep(s, _):
            s = jax.lax.fori_loop(0, thin, advance, s)
            return s, s.z

        _, kept = jax.lax.scan(keep, state, None, length=NUM_RANKS)
        return jax.vmap(info.postprocess_fn(*model_args))(kept)

    @jax.jit
    def program(key):  # prior draws, every fit: one program, as pplx.sbc
        sim_key, fit_key = jax.random.split(key)
        sims = Predictive(model, num_samples=num_simulations)(sim_key, *args)
        draws = jax.vmap(one)(sims["y"], jax.random.split(fit_key, num_simulations))
        return draws, {k: sims[k] for k in latents}

    return program, latents


def numpyro_vmap(name, key, num_simulations, num_warmup, num_samples):
    cache_key = ("vmap", name, num_simulations, num_warmup, num_samples)
    if cache_key not in _PROGRAMS:
        _PROGRAMS[cache_key] = _numpyro_vmap_program(*cache_key[1:])
    program, latents = _PROGRAMS[cache_key]
    draws, truths = jax.block_until_ready(program(key))
    return _ranks(draws, truths, latents)


def numpyro_loop(name, key, num_simulations, num_warmup, num_samples):
    from numpyro.infer import MCMC, NUTS

    model, args, latents = _numpyro_models()[name]
    sim_key, fit_key = jax.random.split(key)
    ys, truths = _prior(model, args, sim_key, num_simulations, latents)
    thin = num_samples // NUM_RANKS
    cache_key = ("loop", name, num_warmup, num_samples)
    if cache_key not in _PROGRAMS:  # jit_model_args: one compile for every dataset
        _PROGRAMS[cache_key] = MCMC(
            NUTS(model),
            num_warmup=num_warmup,
            num_samples=thin * NUM_RANKS,
            thinning=thin,
            progress_bar=False,
            jit_model_args=True,
        )
    mcmc = _PROGRAMS[cache_key]
    draws = {k: [] for k in latents}
    for i, k in enumerate(jax.random.split(fit_key, num_simulations)):
        mcmc.run(k, *args, ys[i])
        for name_, v in mcmc.get_samples().items():
            if name_ in draws:
                draws[name_].append(np.asarray(v))
    draws = {k: np.stack(v) for k, v in draws.items()}
    truths = {k: np.asarray(v) for k, v in truths.items()}
    return _ranks(draws, truths, latents)


def pplx_sbc(name, key, num_simulations, num_warmup, num_samples):
    import pplx
    from bench.sbc_models import bound_models

    res = pplx.sbc(
        bound_models()[name],
        key,
        num_simulations,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_ranks=NUM_RANKS,
    )
    return res.ranks


def _timed(fn, *args):
    start = time.perf_counter()
    ranks = fn(*args)
    return time.perf_counter() - start, ranks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="normal_mean")
    parser.add_argument("--num-simulations", type=int, default=1000)
    parser.add_argument("--loop-simulations", type=int, default=None)
    parser.add_argument("--num-warmup", type=int, default=300)
    parser.add_argument("--num-samples", type=int, default=495)
    parser.add_argument("--out", default=None)
    ns = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    from pplx.diagnostics.sbc_result import summarize_ranks

    n, key = ns.num_simulations, jax.random.key(0)
    settings = (ns.model, key, n, ns.num_warmup, ns.num_samples)
    rows = {}
    for label, fn, sims in [
        ("pplx", pplx_sbc, n),
        ("numpyro_vmap", numpyro_vmap, n),
        ("numpyro_loop", numpyro_loop, ns.loop_simulations or n),
    ]:
        cold, ranks = _timed(fn, ns.model, key, sims, *settings[3:])
        warm, _ = _timed(fn, ns.model, jax.random.key(1), sims, *settings[3:])
        names = [f"p{j}" for j in range(ranks.shape[1])]
        rows[label] = {
            "num_simulations": sims,
            "extrapolated": sims != n,
            "cold_s_per_1000": cold * 1000 / sims,
            "warm_s_per_1000": warm * 1000 / sims,
            "sbc_passed": summarize_ranks(names, ranks, NUM_RANKS).all_passed,
        }
        print(label, json.dumps(rows[label]), flush=True)
    for what in ("cold", "warm"):
        base = rows["pplx"][f"{what}_s_per_1000"]
        for row in rows.values():
            row[f"{what}_ratio_to_pplx"] = row[f"{what}_s_per_1000"] / base
    out = {
        "model": ns.model,
        "num_simulations": n,
        "num_warmup": ns.num_warmup,
        "num_samples": ns.num_samples,
        "num_ranks": NUM_RANKS,
        "float64": True,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared, loaded)",
        "backend": jax.default_backend(),
        "contenders": rows,
    }
    path = ns.out or RESULTS_DIR / f"sbc-{ns.model}.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
