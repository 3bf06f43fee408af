"""Scaling study: throughput against the number of vectorised chains.

    python -m bench.scaling                       # 1, 4, 16, 64, 256, 1024 chains
    python -m bench.scaling --quick               # up to 64 chains, shorter runs
    python -m bench.scaling --devices 1 2 4       # the devices axis (bench/scaling_devices.py)

pplx (chains vectorised with ``vmap`` inside one compiled program) against NumPyro
``chain_method="vectorized"``, on one cheap model (eight schools by default). Each point
is a fresh ``bench.worker`` process. Reported per point: draws per second of sampling
time (chains x draws / sampling time), min bulk ESS per second of sampling time and of
total wall time, and compile time. Writes ``bench/results/scaling-<name>.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from bench.common import RESULTS_DIR, Settings, resolve_model, short_name
from bench.run import run_one

CHAINS = (1, 4, 16, 64, 256, 1024)
QUICK_CHAINS = (1, 4, 16, 64)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="eight_schools")
    p.add_argument(
        "--contenders", nargs="*", default=["pplx", "pplx_vectorized", "numpyro_vectorized"]
    )
    p.add_argument("--chains", nargs="*", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--draws", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--name", default=None)
    p.add_argument("--devices", nargs="*", type=int, default=None, help="forced CPU devices")
    p.add_argument("--rows", type=int, default=100_000, help="rows (with --devices)")
    p.add_argument(
        "--device-parts", nargs="*", default=None, help="with --devices: grad chains data"
    )
    p.add_argument(
        "--device-concurrent", action="store_true", help="with --devices: all counts at once"
    )
    return p.parse_args(argv)


def point_metrics(r: dict) -> dict:
    if r.get("status") != "ok":
        return {"status": r.get("status"), "error": r.get("error")}
    s = r["settings"]
    draws = s["num_chains"] * s["num_samples"]
    samp = r["sampling_s"]
    return {
        "status": "ok",
        "draws_per_s": draws / samp if samp > 0 else None,
        "ess_per_sampling_s": r["min_ess_bulk"] / samp if samp > 0 else None,
        "ess_per_wall_s": r["min_ess_bulk"] / r["total_wall_s"],
        "min_ess_bulk": r["min_ess_bulk"],
        "compile_s": r["compile_s"],
        "sampling_s": samp,
        "total_wall_s": r["total_wall_s"],
        "max_rhat": r["max_rhat"],
    }


def markdown(result) -> str:
    lines = [
        f"# pplx scaling study: {result['name']}",
        "",
        f"Model {short_name(result['model'])}; {result['settings']['num_warmup']} warmup, "
        f"{result['settings']['num_samples']} draws per chain; one fresh process per point.",
        "",
        "| contender | chains | draws/s | ESS/s (sampling) | ESS/s (wall) | min ESS | "
        "compile s | sampling s | wall s | max R-hat |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def f(v, fmt):
        return "n/a" if v is None else fmt.format(v)

    for p in result["points"]:
        m = p["metrics"]
        if m["status"] != "ok":
            lines.append(
                f"| {p['contender']} | {p['chains']} | {m['status']}: "
                f"{(m.get('error') or '')[:80]} | | | | | | | |"
            )
            continue
        lines.append(
            f"| {p['contender']} | {p['chains']} | {f(m['draws_per_s'], '{:.0f}')} | "
            f"{f(m['ess_per_sampling_s'], '{:.1f}')} | {f(m['ess_per_wall_s'], '{:.1f}')} | "
            f"{m['min_ess_bulk']:.0f} | {m['compile_s']:.1f} | {m['sampling_s']:.2f} | "
            f"{m['total_wall_s']:.1f} | {f(m['max_rhat'], '{:.3f}')} |"
        )
    lines.append("")
    return "\n".join(lines)


def plot(result, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = (
        ("draws_per_s", "draws / s of sampling time"),
        ("ess_per_sampling_s", "min bulk ESS / s of sampling time"),
        ("ess_per_wall_s", "min bulk ESS / s of total wall time"),
    )
    fig, axes = plt.subplots(1, len(keys), figsize=(14, 4))
    for ax, (key, title) in zip(axes, keys, strict=True):
        for contender in result["contenders"]:
            pts = [
                (p["chains"], p["metrics"][key])
                for p in result["points"]
                if p["contender"] == contender
                and p["metrics"]["status"] == "ok"
                and p["metrics"][key]
            ]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, marker="o", label=contender)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("chains")
        ax.set_title(title, fontsize=9)
        ax.grid(which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"scaling with chains: {short_name(result['model'])}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.devices:
        return devices_main(args)
    model = resolve_model(args.model)
    chains = args.chains or (QUICK_CHAINS if args.quick else CHAINS)
    warmup = args.warmup if args.warmup is not None else (200 if args.quick else 1000)
    draws = args.draws or (200 if args.quick else 1000)
    name = "scaling-" + (args.name or dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    folder = RESULTS_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    points = []
    for n in chains:
        for contender in args.contenders:
            s = Settings(num_chains=n, num_warmup=warmup, num_samples=draws)
            out = folder / f"{contender}__{n}.json"
            r = run_one(model, contender, args.seed, s, args.timeout, out)
            m = point_metrics(r)
            points.append({"contender": contender, "chains": n, "metrics": m})
            if m["status"] == "ok":
                print(
                    f"{contender:>18} {n:5d} chains: {m['draws_per_s']:9.0f} draws/s, "
                    f"{m['ess_per_sampling_s']:9.1f} ESS/s, compile {m['compile_s']:.1f}s",
                    flush=True,
                )
            else:
                print(f"{contender:>18} {n:5d} chains: {m['status']} {m.get('error')}", flush=True)
    result = {
        "name": name,
        "model": model,
        "contenders": args.contenders,
        "settings": {"num_warmup": warmup, "num_samples": draws},
        "points": points,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, default=float))
    path.with_suffix(".md").write_text(markdown(result))
    plot(result, path.with_suffix(".png"))
    print(f"wrote {path} and its .md and .png")
    return 0


def devices_main(args) -> int:
    """The devices axis: ratios against one forced CPU device (bench/scaling_devices.py)."""
    from bench import scaling_devices

    chains = (args.chains or [4])[0]
    warmup = args.warmup if args.warmup is not None else (100 if args.quick else 300)
    draws = args.draws or (100 if args.quick else 300)
    parts = tuple(args.device_parts or scaling_devices.PARTS)
    points = scaling_devices.study(
        args.devices, args.rows, chains, warmup, draws, parts, args.device_concurrent
    )
    name = "scaling-devices-" + (args.name or dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(points, indent=1))
    path.with_suffix(".md").write_text(scaling_devices.markdown(points, chains, warmup, draws))
    print(f"wrote {path} and its .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
