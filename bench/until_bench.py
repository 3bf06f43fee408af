"""Run until converged against a fixed run: draws and wall time to reach bulk and tail ESS
400 (R-hat 1.01) with ``pplx.nuts(until=...)``, beside a fixed 1000 + 1000 run of pplx and
of NumPyro, as ratios measured in one sitting.

Every run is a fresh process (so its wall time counts import, compile, warmup and
sampling, as a user feels it), 4 chains, float64, on the machine's default backend::

    python -m bench.until_bench --models eight_schools-eight_schools_noncentered \
        kidiq-kidscore_momhsiq --seeds 0 --tag cpu-2core

writes ``bench/results/until-<tag>.json`` and ``.md`` and the plot
``docs/until_bench.png``. ``--one CONTENDER MODEL SEED`` runs a single measurement and
prints it as JSON (what the parent calls).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONTENDERS = ("pplx_until", "pplx_fixed", "numpyro_fixed")
TARGET = dict(rhat=1.01, ess_bulk=400.0, ess_tail=400.0)
UNTIL = dict(max_draws=4000, check_every=100)
NUM_WARMUP, NUM_SAMPLES, NUM_CHAINS = 1000, 1000, 4


def _summary(draws: dict) -> dict:
    """Worst R-hat and smallest bulk and tail ESS over every scalar (ArviZ)."""
    import arviz as az

    ds = az.convert_to_dataset({k: np.asarray(v) for k, v in draws.items()})
    worst = lambda d, f: float(f(d.to_array().values))
    return dict(
        rhat=worst(az.rhat(ds), np.nanmax),
        ess_bulk=worst(az.ess(ds, method="bulk"), np.nanmin),
        ess_tail=worst(az.ess(ds, method="tail"), np.nanmin),
    )


def _pplx(model_name: str, seed: int, until: bool) -> dict:
    import jax

    import pplx
    from bench.models_pplx import bound_model

    m = bound_model(model_name)
    extra = dict(until=pplx.Converged(**TARGET, **UNTIL)) if until else {}
    post = pplx.nuts(
        m,
        jax.random.key(seed),
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=NUM_CHAINS,
        progress_bar=False,
        return_inferencedata=False,
        **extra,
    )
    out = dict(draws=int(next(iter(post.draws.values())).shape[1]))
    if until:
        out["reason"] = post.attrs["until_reason"]
    free = [s.name for s in m.free_vars]
    return out, {k: v for k, v in post.draws.items() if k in free}


def _numpyro(model_name: str, seed: int) -> dict:
    import jax
    from numpyro.infer import MCMC, NUTS

    from bench.models_numpyro import model_and_data

    model, data = model_and_data(model_name)
    mcmc = MCMC(
        NUTS(model),
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=NUM_CHAINS,
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(seed), **data)
    samples = mcmc.get_samples(group_by_chain=True)
    return dict(draws=NUM_SAMPLES), samples


def measure_one(contender: str, model_name: str, seed: int) -> dict:
    """One run in this process; wall time from before the imports."""
    start = time.perf_counter()
    import jax

    jax.config.update("jax_enable_x64", True)
    if contender == "numpyro_fixed":
        out, draws = _numpyro(model_name, seed)
    else:
        out, draws = _pplx(model_name, seed, contender == "pplx_until")
    out["wall_s"] = time.perf_counter() - start
    out.update(_summary(draws))
    return dict(contender=contender, model=model_name, seed=seed, **out)


def _run_child(contender: str, model_name: str, seed: int) -> dict:
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "bench.until_bench", "--one", contender, model_name, str(seed)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"{contender} {model_name}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratios(rows: list[dict]) -> list[dict]:
    """Per model and seed: until's draws and wall time over each fixed run's."""
    out = []
    keyed = {(r["model"], r["seed"], r["contender"]): r for r in rows}
    for model_name, seed in sorted({(r["model"], r["seed"]) for r in rows}):
        get = lambda c, k, m=model_name, s=seed: keyed[(m, s, c)][k]
        until = keyed[(model_name, seed, "pplx_until")]
        out.append(
            dict(
                model=model_name,
                seed=seed,
                until_draws=until["draws"],
                until_reason=until["reason"],
                draws_ratio=until["draws"] / NUM_SAMPLES,
                wall_vs_pplx_fixed=until["wall_s"] / get("pplx_fixed", "wall_s"),
                wall_vs_numpyro_fixed=until["wall_s"] / get("numpyro_fixed", "wall_s"),
                until_min_ess=min(until["ess_bulk"], until["ess_tail"]),
                pplx_fixed_min_ess=min(
                    get("pplx_fixed", "ess_bulk"), get("pplx_fixed", "ess_tail")
                ),
                numpyro_fixed_min_ess=min(
                    get("numpyro_fixed", "ess_bulk"), get("numpyro_fixed", "ess_tail")
                ),
            )
        )
    return out


def table(rows: list[dict], summary: list[dict]) -> str:
    """The results as a Markdown table (one row per model and seed), then every run."""
    lines = [
        "| model | seed | until draws/chain | draws vs 1000 | wall vs pplx fixed "
        "| wall vs NumPyro fixed | min ESS until / pplx / NumPyro |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        lines.append(
            f"| {s['model'].split('-')[0]} | {s['seed']} "
            f"| {s['until_draws']} ({s['until_reason']}) "
            f"| {s['draws_ratio']:.2f} | {s['wall_vs_pplx_fixed']:.2f} "
            f"| {s['wall_vs_numpyro_fixed']:.2f} | {s['until_min_ess']:.0f} / "
            f"{s['pplx_fixed_min_ess']:.0f} / {s['numpyro_fixed_min_ess']:.0f} |"
        )
    lines += ["", "| contender | model | seed | draws | wall s | R-hat | ESS bulk | ESS tail |"]
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        lines.append(
            f"| {r['contender']} | {r['model'].split('-')[0]} | {r['seed']} | {r['draws']} "
            f"| {r['wall_s']:.1f} | {r['rhat']:.3f} | {r['ess_bulk']:.0f} | {r['ess_tail']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def plot(summary: list[dict], path: Path) -> None:
    """Bars per model: until's draws and wall time over the fixed runs' (1 = the same)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{s['model'].split('-')[0]} s{s['seed']}" for s in summary]
    series = [
        ("draws / 1000", "draws_ratio"),
        ("wall / pplx fixed", "wall_vs_pplx_fixed"),
        ("wall / NumPyro fixed", "wall_vs_numpyro_fixed"),
    ]
    x = np.arange(len(labels))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(labels), 3.2))
    for i, (name, key) in enumerate(series):
        ax.bar(x + (i - 1) * width, [s[key] for s in summary], width, label=name)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(x, labels)
    ax.set_ylabel("until / fixed 1000+1000")
    ax.set_title("until ESS 400 / fixed 1000 + 1000 (lower: better)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=3, metavar=("CONTENDER", "MODEL", "SEED"))
    parser.add_argument("--models", nargs="+", default=["eight_schools-eight_schools_noncentered"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--tag", default="dev")
    args = parser.parse_args(argv)
    if args.one:
        contender, model_name, seed = args.one
        print(json.dumps(measure_one(contender, model_name, int(seed))))
        return 0
    rows = []
    for model_name in args.models:
        for seed in args.seeds:
            for contender in CONTENDERS:  # side by side, one after another
                rows.append(_run_child(contender, model_name, seed))
                print(json.dumps(rows[-1]), flush=True)
    summary = ratios(rows)
    results = ROOT / "bench" / "results"
    stem = results / f"until-{args.tag}"
    stem.with_suffix(".json").write_text(json.dumps(dict(rows=rows, summary=summary), indent=1))
    stem.with_suffix(".md").write_text(table(rows, summary))
    plot(summary, ROOT / "docs" / "until_bench.png")
    print(table(rows, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
