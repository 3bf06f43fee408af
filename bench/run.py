"""Run the benchmark: every (model, contender, seed) in a fresh worker process.

    python -m bench.run                # full: 11 models x 4 contenders x 3 seeds
    python -m bench.run --quick        # < 10 minutes on a 2-core CPU
    python -m bench.run --models eight_schools garch11 --seeds 1 --chains 1 \
        --warmup 50 --draws 50 --name dev   # tiny, for development

Writes ``bench/results/<name>/`` (one JSON per run and the density check),
``bench/results/<name>.json`` (everything), ``<name>.md`` (tables) and ``<name>.png``
(the pplx/contender ratios). ``python -m bench.report bench/results/<name>.json``
redraws the tables and plot from the JSON.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    CONTENDERS,
    EXTRA_CONTENDERS,
    FULL,
    MODELS,
    NUTPIE_CONTENDERS,
    QUICK,
    QUICK_MODELS,
    REPO_ROOT,
    RESULTS_DIR,
    Settings,
    resolve_model,
    short_name,
)

# The environment the workers start from, taken before anything here could import pplx
# (whose import adds its XLA option to ``XLA_FLAGS``).
BASE_ENV = dict(os.environ)
#: which workers run with XLA's small-while-loop option (``pplx.runtime.xla_options``): ``pplx``
#: as each library's users get it (pplx sets it at import, the others do not), ``all``
#: every contender, ``none`` no contender
XLA_LOOP_MODES = ("pplx", "all", "none")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer models, 1 seed, 500+500 draws")
    p.add_argument("--models", nargs="*", default=None, help="short or full posterior names")
    p.add_argument("--contenders", nargs="*", default=None, choices=CONTENDERS + EXTRA_CONTENDERS)
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (0, 1, ...)")
    p.add_argument("--chains", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--draws", type=int, default=None)
    p.add_argument("--timeout", type=float, default=None, help="seconds per run")
    p.add_argument("--name", default=None, help="results name (default: a timestamp)")
    p.add_argument("--skip-check", action="store_true", help="skip the density cross-check")
    p.add_argument(
        "--xla-cpu-loops",
        choices=XLA_LOOP_MODES,
        default="pplx",
        help="which contenders run with XLA's small-while-loop option (default: pplx's)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --name: keep the finished runs already in the results folder",
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="with --name: run nothing; summarise the finished runs of that folder",
    )
    return p.parse_args(argv)


def plan(args) -> tuple[list[str], list[str], int, Settings, float]:
    base = QUICK if args.quick else FULL
    settings = Settings(
        num_chains=args.chains or base.num_chains,
        num_warmup=base.num_warmup if args.warmup is None else args.warmup,
        num_samples=args.draws or base.num_samples,
        target_accept=base.target_accept,
        max_tree_depth=base.max_tree_depth,
    )
    if args.models:
        models = [resolve_model(m) for m in args.models]
    else:
        models = list(QUICK_MODELS if args.quick else MODELS)
    contenders = list(args.contenders or CONTENDERS)
    seeds = args.seeds or (1 if args.quick else 3)
    timeout = args.timeout or (150.0 if args.quick else 1800.0)
    return models, contenders, seeds, settings, timeout


def worker_command(model, contender, seed, s: Settings, t0: float, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.worker",
        "--model",
        model,
        "--contender",
        contender,
        "--seed",
        str(seed),
        "--chains",
        str(s.num_chains),
        "--warmup",
        str(s.num_warmup),
        "--draws",
        str(s.num_samples),
        "--target-accept",
        str(s.target_accept),
        "--max-tree-depth",
        str(s.max_tree_depth),
        "--t0",
        repr(t0),
        "--out",
        str(out),
    ]


def _env(contender: str = "", xla_cpu_loops: str = "pplx") -> dict:
    env = dict(BASE_ENV)
    # the workers import ``bench`` from the repository root
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    if xla_cpu_loops == "all":
        from pplx.runtime.xla_options import with_small_loop_option

        env["XLA_FLAGS"] = with_small_loop_option(env.get("XLA_FLAGS", ""))
    elif xla_cpu_loops == "none" or not contender.startswith("pplx"):
        env["PPLX_XLA_CPU_LOOPS"] = "0"  # pplx's import leaves XLA_FLAGS as it is
    return env


def run_one(
    model, contender, seed, s: Settings, timeout: float, out: Path, xla_cpu_loops: str = "pplx"
) -> dict:
    t0 = time.time()
    cmd = worker_command(model, contender, seed, s, t0, out)
    env = _env(contender, xla_cpu_loops)
    try:
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, env=env, timeout=timeout, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        record = {"status": "timeout", "error": f"no result within {timeout:.0f} s"}
    else:
        if out.exists():
            record = json.loads(out.read_text())
        else:
            record = {"status": "error", "error": f"worker exited {proc.returncode}"}
        if record.get("status") != "ok":
            record["stderr_tail"] = proc.stderr[-3000:]
    record.update(model=model, contender=contender, seed=seed, wall_outside_s=time.time() - t0)
    record["xla_cpu_loops"] = xla_cpu_loops
    out.write_text(json.dumps(record, indent=1, default=float))
    return record


def nutpie_available() -> str | None:
    """None if nutpie and PyMC can be imported, else why not (without importing them)."""
    import importlib.util

    missing = [m for m in ("pymc", "nutpie") if importlib.util.find_spec(m) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (pip install -e '.[bench-nutpie]')"
    return None


def pymc_models() -> set[str]:
    """The posteriors with a PyMC version (read from the source: PyMC is not imported)."""
    import ast

    tree = ast.parse((REPO_ROOT / "bench" / "models_pymc.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PYMC_MODELS":
            return {k.value for k in node.value.keys}
    return set()


def drop_unrunnable(models, contenders) -> tuple[list[str], set[tuple[str, str]]]:
    """Remove the nutpie contenders when nutpie is absent; list the (model, contender)
    pairs to skip because the model has no PyMC version. Says what it skips."""
    wanted = [c for c in contenders if c in NUTPIE_CONTENDERS]
    if not wanted:
        return contenders, set()
    why = nutpie_available()
    if why:
        print(f"skipping contenders {', '.join(wanted)}: {why}", flush=True)
        return [c for c in contenders if c not in NUTPIE_CONTENDERS], set()
    have = pymc_models()
    skip = {(m, c) for m in models if m not in have for c in wanted}
    lacking = [short_name(m) for m in models if m not in have]
    if lacking:
        print(f"skipping {', '.join(wanted)} on {', '.join(lacking)}: no PyMC version yet")
    return contenders, skip


def precompile_sources() -> None:
    """Write the bytecode of pplx's and the benchmark's own modules before any worker
    starts. NumPyro, BlackJAX and PyMC come from wheels, whose bytecode pip wrote at
    install; pplx is installed editable, so with ``PYTHONDONTWRITEBYTECODE`` set (as some
    sandboxes and containers do) every pplx worker would otherwise compile pplx's sources
    in its timed import (~0.3 s on a 2-core CPU). Python reads existing bytecode either
    way."""
    for folder in ("pplx", "bench"):
        compileall.compile_dir(REPO_ROOT / folder, quiet=1)


def density_check(models, folder: Path, pymc: bool = False) -> list | None:
    path = folder / "densities.json"
    cmd = [sys.executable, "-m", "bench.check_densities", "--json", str(path)]
    cmd += ["--pymc", "--models"] if pymc else ["--models"]
    proc = subprocess.run(
        cmd + models, cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=900
    )
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0 and not path.exists():
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(path.read_text())


def _finished(out: Path, settings: Settings, xla_cpu_loops: str) -> dict | None:
    """The record of a run already done with the same settings, else ``None``.

    Runs recorded before the ``--xla-cpu-loops`` option existed ran without it (``none``).
    """
    if not out.exists():
        return None
    record = json.loads(out.read_text())
    same = record.get("settings") == json.loads(json.dumps(settings.__dict__))
    same = same and record.get("xla_cpu_loops", "none") == xla_cpu_loops
    return record if record.get("status") == "ok" and same else None


def main(argv=None) -> int:
    args = parse_args(argv)
    if (args.resume or args.report_only) and not args.name:
        raise SystemExit("--resume and --report-only need --name: the results folder")
    models, contenders, seeds, settings, timeout = plan(args)
    contenders, skip = drop_unrunnable(models, contenders)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = args.name or (stamp + ("-quick" if args.quick else ""))
    folder = RESULTS_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    n_runs = len(models) * len(contenders) * seeds
    print(
        f"bench {name}: {len(models)} models x {len(contenders)} contenders x {seeds} seeds "
        f"= {n_runs} runs; {settings.num_chains} chains, {settings.num_warmup} warmup, "
        f"{settings.num_samples} draws",
        flush=True,
    )
    started = time.time()
    precompile_sources()
    densities = None
    if args.report_only and (folder / "densities.json").exists():
        densities = json.loads((folder / "densities.json").read_text())
    elif not args.skip_check and not args.report_only:
        print("density cross-check (pplx vs NumPyro vs BlackJAX):", flush=True)
        pymc = any(c in NUTPIE_CONTENDERS for c in contenders)
        densities = density_check(models, folder, pymc=pymc)

    records = []
    # seed-major, so that a partial run already covers every model once; the contenders
    # of one model run back to back, so that they see similar machine load
    for seed in range(seeds):
        for model in models:
            for contender in contenders:
                if (model, contender) in skip:
                    continue
                out = folder / f"{short_name(model)}__{contender}__{seed}.json"
                resuming = args.resume or args.report_only
                kept = _finished(out, settings, args.xla_cpu_loops) if resuming else None
                if args.report_only and kept is None:
                    continue
                r = kept or run_one(
                    model, contender, seed, settings, timeout, out, args.xla_cpu_loops
                )
                records.append(r)
                if r.get("status") == "ok":
                    line = (
                        f"wall {r['total_wall_s']:6.1f}s  compile {r['compile_s']:5.1f}s  "
                        f"sample {r['sampling_s']:6.2f}s  minESS {r['min_ess_bulk']:7.1f}  "
                        f"rhat {r['max_rhat'] or float('nan'):.3f}  "
                        f"mean err {r['max_mean_err']:.2f}"
                    )
                else:
                    line = f"{r['status'].upper()}: {r.get('error', '')[:150]}"
                line += " (kept from an earlier part)" if kept else ""
                print(f"[{seed}] {short_name(model):>14} {contender:>18}: {line}", flush=True)

    if args.report_only:  # only the models with a finished run
        models = [m for m in models if any(r.get("model") == m for r in records)]
    result = {
        "name": name,
        "started": stamp,
        # a summary of earlier parts reports the sum of their runs' wall times
        "elapsed_s": (
            sum(r.get("wall_outside_s", 0.0) for r in records)
            if args.report_only
            else time.time() - started
        ),
        "settings": settings.__dict__,
        "models": models,
        "contenders": contenders,
        "seeds": seeds,
        "quick": args.quick,
        "xla_cpu_loops": args.xla_cpu_loops,
        "densities": densities,
        "runs": records,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, default=float))
    from bench.report import write_report

    md, png = write_report(path)
    print(f"\n{len(records)} runs in {result['elapsed_s']:.0f} s; wrote {path}, {md}, {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
