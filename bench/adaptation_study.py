"""Mass-matrix adaptation study: Stan's windows against the gradient-based (nutpie) scheme,
and against Stan's windows that end per chain once the mass matrix settled.

    python -m bench.adaptation_study                      # 5 models x 3 seeds x 2 schemes
    python -m bench.adaptation_study --models diamonds --seeds 0
    python -m bench.adaptation_study --schemes stan settled \
        --out bench/results/adaptation-study-settled.md

ESS per gradient evaluation does not depend on machine load, so every run happens in
this one process: ``pplx.infer.nuts_run`` (compiled once per model and scheme, reused
across seeds), 4 chains x 1000 warmup + 1000 draws, float64. For each run: the minimum
bulk ESS over every scalar of every site (deterministics included), divided by the
gradient evaluations of sampling alone and of warmup + sampling; the largest split
R-hat; divergences; and the largest ``|mean - reference mean| / reference sd`` over the
posteriordb reference scalars (a correctness check). Writes a Markdown table (means over
seeds) and the per-run numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.common import RESULTS_DIR, SHORT_NAMES, flatten_draws, reference_stats, resolve_model

DEFAULT_MODELS = ("eight_schools", "kidiq", "arK", "garch11", "gp_pois_regr")
SCHEMES = ("stan", "grad")
#: ``--schemes`` names: the adaptation argument each stands for (``settled``: pplx.Settled())
ALL_SCHEMES = ("stan", "grad", "fisher", "settled")


def adaptation_of(scheme: str):
    """The ``adaptation=`` value a scheme name stands for."""
    import pplx

    return pplx.Settled() if scheme == "settled" else scheme


def _scalars(draws: dict) -> np.ndarray:
    """All scalar components of all sites as ``(chain, draw, n)``."""
    parts = [np.asarray(v).reshape(v.shape[:2] + (-1,)) for v in draws.values()]
    return np.concatenate(parts, axis=-1)


def _reference_errors(posterior: str, draws: dict) -> tuple[float, float]:
    """Largest ``|mean - reference mean|`` over the reference scalars, in reference sds and
    in Monte Carlo standard errors of the run's mean."""
    from pplx.diagnostics import mcse_mean

    ref = reference_stats(posterior)
    flat = flatten_draws({k: np.asarray(v) for k, v in draws.items()}, list(ref))
    gaps = {n: abs(float(np.mean(flat[n])) - m) for n, (m, _) in ref.items()}
    in_sd = max(gaps[n] / s for n, (_, s) in ref.items())
    in_mcse = max(gaps[n] / float(mcse_mean(flat[n])) for n in ref)
    return in_sd, in_mcse


def measure(posterior: str, run, key, scheme: str) -> dict:
    """One run of ``run`` (the compiled ``nuts_run``) and its numbers."""
    import jax

    from pplx.diagnostics import ess_bulk, split_rhat

    start = time.perf_counter()
    res = jax.block_until_ready(run(key, scheme))
    seconds = time.perf_counter() - start
    x = _scalars(res.draws)
    ess = float(np.nanmin(ess_bulk(x)))
    sampling = int(np.asarray(res.stats["n_steps"]).sum())
    warmup = int(np.asarray(res.warmup_stats["n_steps"]).sum())
    ref_sd, ref_mcse = _reference_errors(posterior, res.draws)
    warmup_draws = res.warmup_stats.get("draws")
    return {
        "warmup_draws": None if warmup_draws is None else np.asarray(warmup_draws).tolist(),
        "model": SHORT_NAMES[posterior],
        "adaptation": scheme,
        "min_ess_bulk": ess,
        "grads_sampling": sampling,
        "grads_warmup": warmup,
        "ess_per_1k_sampling": 1000.0 * ess / sampling,
        "ess_per_1k_total": 1000.0 * ess / (sampling + warmup),
        "max_rhat": float(np.nanmax(split_rhat(x))),
        "divergences": int(np.asarray(res.stats["diverging"]).sum()),
        "mean_step_size": float(np.mean(np.asarray(res.state.step_size))),
        "mean_tree_depth": float(np.mean(np.asarray(res.stats["tree_depth"]))),
        "ref_error": ref_sd,
        "ref_z": ref_mcse,
        "seconds": seconds,
    }


def study(models, seeds, settings: dict, log, schemes=SCHEMES) -> list[dict]:
    import jax

    import pplx
    from bench.models_pplx import bound_model
    from pplx.runtime.jit import filter_jit

    compiled = filter_jit(pplx.infer.nuts_run)
    rows = []
    for name in models:
        posterior = resolve_model(name)
        model = bound_model(posterior)
        for scheme in schemes:
            adaptation = adaptation_of(scheme)
            run = lambda key, _, m=model, a=adaptation: compiled(m, key, adaptation=a, **settings)
            for seed in seeds:
                row = measure(posterior, run, jax.random.key(seed), scheme) | {"seed": seed}
                rows.append(row)
                log(
                    f"{row['model']:>14} {scheme:>4} seed {seed}: "
                    f"min ESS {row['min_ess_bulk']:7.0f}"
                    f"  /1k grads {row['ess_per_1k_sampling']:6.1f} (incl. warmup "
                    f"{row['ess_per_1k_total']:6.1f})  R-hat {row['max_rhat']:.3f}"
                    f"  div {row['divergences']}  ref err {row['ref_error']:.3f} sd"
                    f" ({row['ref_z']:.1f} MCSE)"
                    f"  {row['seconds']:.1f}s  warmup draws {row['warmup_draws']}"
                )
    return rows


def _fmt(value: float) -> str:
    """Three significant figures for small rates, one decimal for the rest."""
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def _mean_warmup(group, num_warmup: int) -> str:
    per_run = [np.mean(r["warmup_draws"]) for r in group if r.get("warmup_draws")]
    return f"{np.mean(per_run):.0f}" if per_run else str(num_warmup)


def table(rows: list[dict], settings: dict, seeds, schemes=SCHEMES) -> str:
    """Means over seeds of the ESS rates, worst R-hat and reference error, total divergences."""
    lines = [
        "# Mass-matrix adaptation study: " + " vs ".join(schemes),
        "",
        f"NUTS, {settings['num_chains']} chains x {settings['num_warmup']} warmup + "
        f"{settings['num_samples']} draws, float64, seeds {list(seeds)}; one process "
        "(`python -m bench.adaptation_study`). ESS: minimum bulk ESS over every scalar of "
        "every site; grads: leapfrog steps (gradient evaluations) of all chains. Rates are "
        "means over seeds; R-hat and reference error are the worst seed; divergences are "
        "summed over seeds. Reference error: max |mean - ref mean| over the posteriordb "
        "reference scalars, in reference sds and in MCSEs of the run's mean (with 10-26 "
        "scalars, a maximum up to ~3.5 MCSE is expected).",
        "",
        "| model | adaptation | min-ESS / 1k grads (sampling) | min-ESS / 1k grads "
        "(incl. warmup) | warmup grads (all chains) | warmup draws (mean per chain) | max R-hat "
        "| divergences | ref error (sd) | ref error (MCSE) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    models = list(dict.fromkeys(r["model"] for r in rows))
    for model in models:
        for scheme in schemes:
            group = [r for r in rows if r["model"] == model and r["adaptation"] == scheme]
            if not group:
                continue
            mean = lambda k, g=group: _fmt(float(np.mean([r[k] for r in g])))
            worst = lambda k, g=group: float(np.max([r[k] for r in g]))
            lines.append(
                f"| {model} | {scheme} | {mean('ess_per_1k_sampling')} | "
                f"{mean('ess_per_1k_total')} | {float(mean('grads_warmup')):.0f} | "
                f"{_mean_warmup(group, settings['num_warmup'])} | {worst('max_rhat'):.3f} | "
                f"{sum(r['divergences'] for r in group)} | "
                f"{worst('ref_error'):.3f} | {worst('ref_z'):.1f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--schemes", nargs="+", choices=ALL_SCHEMES, default=list(SCHEMES))
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--num-chains", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "adaptation-study.md")
    parser.add_argument(
        "--from-json", action="store_true", help="rewrite the table from the --out JSON, no runs"
    )
    args = parser.parse_args(argv)
    settings = dict(
        num_warmup=args.num_warmup, num_samples=args.num_samples, num_chains=args.num_chains
    )
    if args.from_json:
        rows = json.loads(args.out.with_suffix(".json").read_text())
        seeds = sorted({r["seed"] for r in rows})
        schemes = list(dict.fromkeys(r["adaptation"] for r in rows))
        args.out.write_text(table(rows, settings, seeds, schemes))
        return

    import jax

    jax.config.update("jax_enable_x64", True)
    log = lambda line: print(line, flush=True)
    rows = study(args.models, args.seeds, settings, log, args.schemes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table(rows, settings, args.seeds, args.schemes))
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
