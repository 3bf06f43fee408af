"""The devices axis of ``bench.scaling``: 1, 2, 4 forced CPU devices (ratios only).

    python -m bench.scaling --devices 1 2 4            # N = 1e5 rows, d = 20
    python -m bench.scaling --devices 1 2 4 --rows 1000000 --device-parts grad data

Logistic regression with ``--rows`` rows and 20 coefficients. For each device count a
fresh process (``XLA_FLAGS=--xla_force_host_platform_device_count=D``) measures:

- the time of one log-density gradient with the rows split over the D devices
  (``pplx.infer.devices.sharded_logdensity``), against the unsplit gradient;
- chains over devices: NUTS with ``--chains`` chains, ``chain_method="parallel"``
  (D devices) against the same chains in sequence on one device (sampling time after
  compilation, min bulk ESS per second);
- one chain with its rows split over the devices (``data_sharding="obs"``), ESS/s.

``--device-parts`` picks among ``grad``, ``chains`` and ``data`` (default: all three).

Forced CPU devices share the machine's cores: on a 2-core machine no ratio can pass 2,
and 4 devices oversubscribe the cores. The figures show overheads, not GPU speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

D = 20


def _time(fn, *args, repeats: int = 10) -> float:
    import jax

    jax.block_until_ready(fn(*args))
    start = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(fn(*args))
    return (time.perf_counter() - start) / repeats


def _timed_run(run, key):
    import jax

    jax.block_until_ready(run(key))  # compile (and a first run)
    start = time.perf_counter()
    out = jax.block_until_ready(run(jax.random.fold_in(key, 1)))
    return out, time.perf_counter() - start


PARTS = ("grad", "chains", "data")


def worker(rows: int, chains: int, warmup: int, draws: int, parts=PARTS) -> dict:
    """One process's measurements (its device count was set before JAX started)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    import pplx
    import pplx.distributions as dist
    from pplx import diagnostics
    from pplx.infer import devices

    @pplx.model
    def logreg(X, y):
        beta = pplx.sample("beta", dist.Normal(0.0, 1.0).expand((X.shape[1],)).to_event(1))
        with pplx.plate("obs", X.shape[0]):
            pplx.sample("y", dist.Bernoulli(logits=X @ beta), obs=y)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, D)) / np.sqrt(D)
    y = (rng.random(rows) < 1 / (1 + np.exp(-X @ rng.normal(size=D)))).astype(float)
    model = logreg(jnp.asarray(X), jnp.asarray(y))
    z = jnp.zeros(model.num_dims)
    num = len(jax.devices())
    out = {"devices": num, "rows": rows, "parts": list(parts)}
    if "grad" in parts:
        out["grad_s"] = _time(jax.jit(jax.grad(model.logdensity)), z)
        sharded = devices.sharded_logdensity(model, "obs")
        out["sharded_grad_s"] = _time(jax.jit(jax.grad(sharded)), z)

    def ess_per_s(result, seconds):
        ess = diagnostics.ess_bulk(np.asarray(result.draws["beta"]))
        return float(np.min(ess)) / seconds

    settings = dict(num_warmup=warmup, num_samples=draws)
    method = "parallel" if num > 1 else "auto"
    if "chains" in parts:
        run = jax.jit(
            lambda k: pplx.infer.nuts_run(
                model, k, num_chains=chains, chain_method=method, **settings
            )
        )
        res, secs = _timed_run(run, jax.random.key(0))
        out.update(chains_s=secs, chains_ess_per_s=ess_per_s(res, secs))
    if "data" not in parts:
        return out
    one = jax.jit(
        lambda k: pplx.infer.nuts_run(
            model, k, num_chains=1, data_sharding="obs" if num > 1 else None, **settings
        )
    )
    res, secs = _timed_run(one, jax.random.key(0))
    grads = int(np.sum(np.asarray(res.stats["n_steps"])))  # warmup's too: all are timed
    grads += int(np.sum(np.asarray(res.warmup_stats["n_steps"])))
    out.update(data_s=secs, data_ess_per_s=ess_per_s(res, secs), data_grads=grads)
    out["data_s_per_grad"] = secs / max(grads, 1)
    return out


def study(
    device_counts,
    rows: int,
    chains: int,
    warmup: int,
    draws: int,
    parts=PARTS,
    concurrent: bool = False,
) -> list[dict]:
    """Run :func:`worker` in a fresh process per device count; ratios to one device.

    ``concurrent=True`` starts every process at once: on a machine that others load,
    all of them then run under the same load (their ratios share its swings)."""
    args = [str(a) for a in (rows, chains, warmup, draws)] + [",".join(parts)]

    def start(num: int) -> subprocess.Popen:
        env = {
            **os.environ,
            "XLA_FLAGS": f"--xla_force_host_platform_device_count={num}",
            "JAX_PLATFORMS": "cpu",
        }
        cmd = [sys.executable, "-m", "bench.scaling_devices", *args]
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    # map is lazy: without concurrent, each process ends before the next starts
    procs = [start(n) for n in device_counts] if concurrent else map(start, device_counts)
    points = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=3600)
        if proc.returncode:
            raise RuntimeError(stderr.decode()[-2000:])
        points.append(json.loads(stdout.decode().strip().splitlines()[-1]))
        print(json.dumps(points[-1]), flush=True)
    base = points[0]
    ratios = {
        "grad_speedup": ("grad_s", "sharded_grad_s"),
        "chains_speedup": ("chains_s", "chains_s"),
        "data_grad_speedup": ("data_s_per_grad", "data_s_per_grad"),
    }
    for p in points:
        for name, (num, den) in ratios.items():
            if num in base and den in p:
                p[name] = base[num] / p[den]
        if "data_ess_per_s" in p:
            p["data_ess_ratio"] = p["data_ess_per_s"] / base["data_ess_per_s"]
    return points


COLUMNS = (  # (header, key, format): a column shows where its key was measured
    ("grad ms, unsplit", "grad_s", "{:.2f}", 1e3),
    ("grad ms, rows split", "sharded_grad_s", "{:.2f}", 1e3),
    ("grad speedup", "grad_speedup", "{:.2f}", 1),
    ("chains s", "chains_s", "{:.2f}", 1),
    ("chains speedup", "chains_speedup", "{:.2f}", 1),
    ("chains ESS/s", "chains_ess_per_s", "{:.1f}", 1),
    ("1 chain split s", "data_s", "{:.2f}", 1),
    ("ms per grad in NUTS", "data_s_per_grad", "{:.2f}", 1e3),
    ("NUTS grad speedup", "data_grad_speedup", "{:.2f}", 1),
    ("split ESS/s", "data_ess_per_s", "{:.3f}", 1),
    ("split ESS/s ratio", "data_ess_ratio", "{:.2f}", 1),
)


def markdown(points: list[dict], chains: int, warmup: int, draws: int) -> str:
    cols = [c for c in COLUMNS if any(c[1] in p for p in points)]
    lines = [
        f"# Devices axis: logistic regression, {points[0]['rows']} rows, d = {D}",
        "",
        f"NUTS {warmup} warmup + {draws} draws"
        + (f"; {chains} chains over the devices" if "chains_s" in points[0] else "")
        + "; forced CPU devices sharing the machine's cores (ratios to 1 device).",
        "",
        "| devices | " + " | ".join(c[0] for c in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for p in points:
        cells = [fmt.format(scale * p[key]) if key in p else "" for _, key, fmt, scale in cols]
        lines.append(f"| {p['devices']} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [""])


if __name__ == "__main__":
    parts = tuple(sys.argv[5].split(",")) if len(sys.argv) > 5 else PARTS
    print(json.dumps(worker(*(int(a) for a in sys.argv[1:5]), parts=parts)))
