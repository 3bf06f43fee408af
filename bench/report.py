"""Tables and a plot from a benchmark's JSON.

    python -m bench.report bench/results/<name>.json

Writes ``<name>.md`` and ``<name>.png`` beside the JSON. Each metric is first reduced to
its median over seeds per (model, contender); a ratio compares pplx with one contender
on one model, oriented so that > 1 always means pplx is better; the summary row is the
geometric mean of the ratios over the models where both ran.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from bench.common import short_name

BASELINE = "pplx"

#: (key, title, higher_is_better)
RATIOS = (
    ("ess_per_s", "min bulk ESS per second of total wall time", True),
    ("ess_per_1k_grad", "min bulk ESS per 1000 gradient evaluations", True),
    ("total_wall_s", "total wall time (import + compile + warmup + sampling)", False),
    ("compile_s", "compile time", False),
)

#: (key, header, format) for the per-run table
COLUMNS = (
    ("total_wall_s", "wall s", "{:.1f}"),
    ("compile_s", "compile s", "{:.1f}"),
    ("sampling_s", "sampling s", "{:.2f}"),
    ("min_ess_bulk", "min ESS bulk", "{:.0f}"),
    ("min_ess_tail", "min ESS tail", "{:.0f}"),
    ("ess_per_s", "ESS/s", "{:.2f}"),
    ("ess_per_1k_grad", "ESS/1k grad", "{:.1f}"),
    ("grad_evals_sampling", "grads (sampling)", "{:.0f}"),
    ("grad_cost_loop_s", "grad µs (loop)", "{:.1f}", 1e6),
    ("grad_cost_s", "grad µs (call)", "{:.1f}", 1e6),
    ("overhead_loop", "overhead (loop)", "{:.2f}"),
    ("overhead", "overhead (call)", "{:.2f}"),
    ("max_rhat", "max R-hat", "{:.3f}"),
    ("divergences", "div", "{:.0f}"),
    ("step_size", "step size", "{:.3f}"),
    ("max_mean_err", "mean err", "{:.2f}"),
    ("rerun_s", "rerun s", "{:.2f}"),
    ("rerun_compile_s", "rerun compile s", "{:.2f}"),
)


def _median(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else None


def aggregate(runs: list[dict]) -> dict[tuple[str, str], dict]:
    """(model, contender) -> metric -> median over the seeds that ran."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["model"], r["contender"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        ok = [r for r in rs if r.get("status") == "ok"]
        agg = {"n_ok": len(ok), "n_runs": len(rs)}
        agg["failures"] = [r.get("status", "?") for r in rs if r.get("status") != "ok"]
        for col in COLUMNS:
            agg[col[0]] = _median([r.get(col[0]) for r in ok])
        out[key] = agg
    return out


def suspicious(a: dict) -> bool:
    """A posterior mean further from the reference than sampling error explains.

    With n effective draws a mean is off by about 1/sqrt(n) reference sds; more than
    4/sqrt(min ESS) on the worst of a dozen scalars is unlikely for a correct sampler.
    """
    err, ess = a.get("max_mean_err"), a.get("min_ess_bulk")
    return err is not None and ess is not None and ess > 0 and err > 4.0 / math.sqrt(ess)


def ratio(agg, model, contender, key, higher_is_better):
    a = agg.get((model, BASELINE), {}).get(key)
    b = agg.get((model, contender), {}).get(key)
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a / b if higher_is_better else b / a


def geomean(values):
    values = [v for v in values if v is not None]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def ratio_tables(result, agg):
    models = result["models"]
    others = [c for c in result["contenders"] if c != BASELINE]
    tables = {}
    for key, _, better in RATIOS:
        rows = {m: {c: ratio(agg, m, c, key, better) for c in others} for m in models}
        rows["geometric mean"] = {c: geomean([rows[m][c] for m in models]) for c in others}
        tables[key] = rows
    return others, tables


def _fmt(v, fmt="{:.2f}", scale=1.0):
    return "n/a" if v is None else fmt.format(v * scale)


XLA_LOOP_LINES = {
    "pplx": "each library as its users get it: pplx's workers compile small CPU loops into "
    "single kernels (the XLA option `pplx` sets at import), the other contenders' do not",
    "all": "every contender's workers run with XLA's small-while-loop option (as `pplx` "
    "sets it at import)",
    "none": "no worker runs with XLA's small-while-loop option (pplx's import told not to set it)",
}


def _xla_loop_line(mode: str) -> str:
    return f"XLA CPU loops (`--xla-cpu-loops {mode}`): {XLA_LOOP_LINES[mode]}."


def markdown(result, agg) -> str:
    s = result["settings"]
    lines = [
        f"# pplx benchmark: {result['name']}",
        "",
        f"{len(result['models'])} posteriordb models; contenders "
        f"{', '.join(result['contenders'])}; "
        f"{result['seeds']} seed(s); {s['num_chains']} chains, {s['num_warmup']} warmup, "
        f"{s['num_samples']} draws, target accept {s['target_accept']}, diagonal mass matrix, "
        f"max tree depth {s['max_tree_depth']}; float64; each run in a fresh process. "
        f"Elapsed {result['elapsed_s'] / 60:.1f} min.",
        "",
    ]
    lines += [_xla_loop_line(result.get("xla_cpu_loops", "none")), ""]
    versions = next((r["versions"] for r in result["runs"] if r.get("versions")), None)
    if versions:
        lines += ["Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), ""]
    others, tables = ratio_tables(result, agg)
    lines += ["## pplx / contender ratios (> 1: pplx is better)", ""]
    for key, title, better in RATIOS:
        how = "pplx / contender" if better else "contender / pplx"
        lines += [f"### {title} ({how})", ""]
        lines.append("| model | " + " | ".join(others) + " |")
        lines.append("|---" * (len(others) + 1) + "|")
        for model, row in tables[key].items():
            label = f"**{model}**" if model == "geometric mean" else short_name(model)
            lines.append(f"| {label} | " + " | ".join(_fmt(row[c]) for c in others) + " |")
        lines.append("")
    lines += ["## Per model and contender (median over seeds)", ""]
    header = ["model", "contender", "ok"] + [c[1] for c in COLUMNS]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---" * len(header) + "|")
    for model in result["models"]:
        for contender in result["contenders"]:
            a = agg.get((model, contender))
            if a is None:
                continue
            cells = [short_name(model), contender, f"{a['n_ok']}/{a['n_runs']}"]
            for col in COLUMNS:
                scale = col[3] if len(col) > 3 else 1.0
                cells.append(_fmt(a[col[0]], col[2], scale))
            if suspicious(a):
                cells[-1] += " (!)"
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += _density_lines(result.get("densities"))
    failures = [r for r in result["runs"] if r.get("status") != "ok"]
    if failures:
        lines += ["## Failed runs", ""]
        for r in failures:
            err = (r.get("error") or "").replace("\n", " ")[:300]
            lines.append(
                f"- {short_name(r['model'])} / {r['contender']} / seed {r['seed']}: "
                f"{r.get('status')}: {err}"
            )
        lines.append("")
    lines += [
        "Mean err: max over the reference scalars of |mean - reference mean| / reference sd;",
        "(!) marks a value above 4 / sqrt(min ESS bulk), more than sampling error explains.",
        "Overhead: sampling time / (gradient evaluations x cost of one gradient); (loop) uses",
        "the cost inside a compiled loop, (call) the cost of one jitted call. Rerun: a second",
        "run in the same process with new data of the same shape and a new key (pplx only);",
        "rerun compile s: compilation it needed (0: the program was reused). See",
        "docs/benchmarks.md.",
        "",
    ]
    return "\n".join(lines)


def _density_lines(densities):
    if densities is None:
        return ["Density cross-check: not run.", ""]
    lines = ["## Density cross-check (same unconstrained points)", ""]
    lines += ["| model | agree | max abs diff |", "|---|---|---|"]
    for row in densities:
        diffs = []
        for p in row["points"]:
            vals = [p[k] for k in ("pplx", "numpyro", "blackjax") if p[k] is not None]
            diffs.append(max(vals) - min(vals))
        note = "" if not row.get("pplx") else f" (pplx: {row['pplx'][:80]})"
        lines.append(
            f"| {short_name(row['model'])} | {'yes' if row['ok'] else 'NO'}{note} | "
            f"{max(diffs):.1e} |"
        )
    lines.append("")
    return lines


def plot(result, agg, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    others, tables = ratio_tables(result, agg)
    labels = [short_name(m) for m in result["models"]] + ["geo. mean"]
    keys = list(result["models"]) + ["geometric mean"]
    fig, axes = plt.subplots(len(RATIOS), 1, figsize=(max(8, 0.8 * len(labels) + 3), 11))
    width = 0.8 / max(len(others), 1)
    x = np.arange(len(labels))
    for ax, (key, title, better) in zip(np.atleast_1d(axes), RATIOS, strict=True):
        for i, c in enumerate(others):
            vals = [tables[key][m][c] for m in keys]
            heights = [v if v is not None else np.nan for v in vals]
            ax.bar(x + (i - (len(others) - 1) / 2) * width, heights, width, label=c)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
        ax.tick_params(axis="y", which="both", labelsize=7)
        ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
        how = "pplx / contender" if better else "contender / pplx"
        ax.set_title(f"{title}: {how} (> 1: pplx better)", fontsize=9)
        ax.grid(axis="y", which="both", alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(f"pplx benchmark {result['name']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(json_path) -> tuple[Path, Path]:
    json_path = Path(json_path)
    result = json.loads(json_path.read_text())
    agg = aggregate(result["runs"])
    md = json_path.with_suffix(".md")
    md.write_text(markdown(result, agg))
    png = json_path.with_suffix(".png")
    plot(result, agg, png)
    return md, png


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    md, png = write_report(argv[0])
    print(f"wrote {md} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
