"""Warmup schemes side by side, from the run records of one ``bench.run`` folder.

    python -m bench.adaptation_table bench/results/fisher-vs-nutpie [--ref nutpie]

Per model and contender (means over the seeds found; divergences and R-hat misses
summed): min bulk ESS per 1000 gradient evaluations with warmup included, min bulk ESS
per second of total wall time, warmup gradients, divergences and R-hat misses (max R-hat
over the reference scalars > 1.01); then each contender's ratio to ``--ref`` per model
and their geometric mean. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

RHAT_MISS = 1.01


def load(folder: Path) -> dict[tuple[str, str], list[dict]]:
    runs = defaultdict(list)
    for path in sorted(folder.glob("*__*__*.json")):
        r = json.loads(path.read_text())
        if r.get("status") == "ok":
            model, contender, _ = path.stem.split("__")
            runs[model, contender].append(r)
    return runs


def summary(records: list[dict]) -> dict:
    mean = lambda key: sum(r[key] for r in records) / len(records)
    return {
        "seeds": len(records),
        "ess_1k_total": mean("ess_per_1k_grad_total"),
        "ess_s": mean("ess_per_s"),
        "warmup_grads": mean("grad_evals_warmup"),
        "divergences": sum(r["divergences"] for r in records),
        "rhat_misses": sum((r["max_rhat"] or 0.0) > RHAT_MISS for r in records),
    }


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def table(runs, ref: str) -> str:
    models = list(dict.fromkeys(m for m, _ in runs))
    contenders = list(dict.fromkeys(c for _, c in runs))
    stats = {key: summary(v) for key, v in runs.items()}
    lines = [
        "| model | contender | seeds | min ESS / 1k grads (warmup incl.) | ESS/s (total wall) "
        "| warmup grads | divergences | R-hat misses |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        for c in contenders:
            s = stats.get((m, c))
            if s:
                lines.append(
                    f"| {m} | {c} | {s['seeds']} | {s['ess_1k_total']:.2f} | {s['ess_s']:.1f} "
                    f"| {s['warmup_grads']:.0f} | {s['divergences']} | {s['rhat_misses']} |"
                )
    for key, label in (("ess_1k_total", "min ESS / 1k grads, warmup incl."), ("ess_s", "ESS/s")):
        others = [c for c in contenders if c != ref]
        lines += ["", f"{label}: contender / {ref}", ""]
        lines += ["| model | " + " | ".join(others) + " |", "|---" * (len(others) + 1) + "|"]
        ratios = defaultdict(list)
        for m in models:
            if (m, ref) not in stats:
                continue
            row = []
            for c in others:
                if (m, c) in stats:
                    r = stats[m, c][key] / stats[m, ref][key]
                    ratios[c].append(r)
                    row.append(f"{r:.2f}")
                else:
                    row.append("n/a")
            lines.append(f"| {m} | " + " | ".join(row) + " |")
        geo = [f"**{_geomean(ratios[c]):.2f}**" for c in others]
        lines.append("| **geometric mean** | " + " | ".join(geo) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--ref", default="nutpie")
    args = p.parse_args(argv)
    print(table(load(args.folder), args.ref))


if __name__ == "__main__":
    main()
