"""Untimed measurements of a finished run: the cost of one gradient, convergence
diagnostics against the posteriordb reference, and library versions."""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings

import numpy as np

from bench.common import flatten_draws, reference_stats


def gradient_cost(fn, point, budget_s: float = 0.6, loop_n: int = 100) -> dict:
    """Cost of one ``value_and_grad`` of the log density, two ways.

    ``call_s``: median wall time of repeated calls of the jitted function (dispatch
    included). ``loop_s``: time per evaluation inside one compiled ``fori_loop`` of
    dependent evaluations, which is what a compiled sampler pays: the difference of the
    median times of ``10 * loop_n`` and ``loop_n`` evaluations, over their difference.
    """
    import jax
    import jax.numpy as jnp

    point = jax.tree.map(jnp.asarray, point)
    vg = jax.value_and_grad(fn)
    vg_jit = jax.jit(vg)
    jax.block_until_ready(vg_jit(point))
    t = time.perf_counter()
    jax.block_until_ready(vg_jit(point))
    first = max(time.perf_counter() - t, 1e-7)
    repeats = int(min(500, max(20, budget_s / 2 / first)))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(vg_jit(point))
        times.append(time.perf_counter() - t)

    @jax.jit
    def loop(x, n):
        def body(_, carry):
            x, acc = carry
            v, g = vg(x)
            # a data dependence XLA cannot remove, that never changes x in practice
            nudge = jnp.where(jnp.isnan(v), 1.0, 0.0)
            x = jax.tree.map(lambda a, b: a + nudge * b, x, g)
            return x, acc + v

        return jax.lax.fori_loop(0, n, body, (x, jnp.zeros(())))

    def timed(n):
        t = time.perf_counter()
        jax.block_until_ready(loop(point, n))
        return time.perf_counter() - t

    # The difference of a short and a long loop: the cost of calling the program (~10
    # us, more than a small model's gradient) cancels out.
    short, long = loop_n, 10 * loop_n
    timed(short)
    pairs = []
    for _ in range(max(3, min(15, int(budget_s / 2 / max(first * long, 1e-6))))):
        pairs.append((timed(short), timed(long)))
    short_s, long_s = np.median(np.asarray(pairs), axis=0)
    return {
        "call_s": float(np.median(times)),
        "call_repeats": repeats,
        "loop_s": float(max(long_s - short_s, 0.0) / (long - short)),
        "loop_n": [short, long],
    }


def diagnostics(posterior: str, draws: dict[str, np.ndarray]) -> dict:
    """ESS (bulk, tail), R-hat (ArviZ) and the error against the posteriordb reference."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

        ref = reference_stats(posterior)
        scalars = flatten_draws(draws, list(ref))
        per = {}
        for name, x in scalars.items():
            ref_mean, ref_sd = ref[name]
            mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
            per[name] = {
                "mean": mean,
                "sd": sd,
                "ess_bulk": float(az.ess(x, method="bulk")),
                "ess_tail": float(az.ess(x, method="tail")),
                "rhat": float(az.rhat(x)) if x.shape[0] > 1 else None,
                "mean_err": abs(mean - ref_mean) / ref_sd,
                "sd_err": abs(sd / ref_sd - 1.0),
            }

    def worst(key, fn=max):
        vals = [(v[key], k) for k, v in per.items() if v[key] is not None and np.isfinite(v[key])]
        return fn(vals) if vals else (None, None)

    ess_bulk, ess_bulk_at = worst("ess_bulk", min)
    ess_tail, ess_tail_at = worst("ess_tail", min)
    rhat, rhat_at = worst("rhat")
    mean_err, mean_err_at = worst("mean_err")
    sd_err, sd_err_at = worst("sd_err")
    return {
        "min_ess_bulk": ess_bulk,
        "min_ess_bulk_param": ess_bulk_at,
        "min_ess_tail": ess_tail,
        "min_ess_tail_param": ess_tail_at,
        "max_rhat": rhat,
        "max_rhat_param": rhat_at,
        "max_mean_err": mean_err,
        "max_mean_err_param": mean_err_at,
        "max_sd_err": sd_err,
        "max_sd_err_param": sd_err_at,
        "per_param": per,
    }


def versions() -> dict:
    out = {"python": platform.python_version(), "machine": platform.machine()}
    for mod in ("jax", "jaxlib", "numpyro", "blackjax", "pplx", "arviz"):
        module = sys.modules.get(mod)
        if module is not None:
            out[mod] = getattr(module, "__version__", "?")
    try:
        import jax

        out["device"] = str(jax.devices()[0])
    except Exception:  # pragma: no cover - only in broken installs
        pass
    out["cpu_count"] = os.cpu_count()
    return out
