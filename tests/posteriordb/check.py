"""Compare draws with posteriordb reference draws, scalar by scalar.

The rule (the issue's): for every reference scalar, |mean - ref_mean| / ref_sd < 0.1 and
the sd within 10% of the reference's. Each row also carries the Monte Carlo standard
errors (ours from the draws' ESS) so that a reader can see the rule is meaningful.
"""

from __future__ import annotations

import numpy as np

from pplx import diagnostics

MEAN_TOL = 0.1  # in reference sds
SD_TOL = 0.1  # relative


def stan_scalars(draws: dict) -> dict[str, np.ndarray]:
    """``name -> (chain, draw, *shape)`` split into Stan's 1-based scalar names."""
    out = {}
    for name, value in draws.items():
        value = np.asarray(value)
        for idx in np.ndindex(*value.shape[2:]):
            key = f"{name}[{','.join(str(i + 1) for i in idx)}]" if idx else name
            out[key] = value[(slice(None), slice(None)) + idx]
    return out


def compare(draws: dict, reference: dict) -> list[dict]:
    """One row per reference scalar: deviation in ref sds, sd ratio, MCSEs, ESS, R-hat."""
    ours = stan_scalars(draws)
    missing = sorted(set(reference) - set(ours))
    if missing:
        raise KeyError(f"draws lack reference scalars {missing}")
    rows = []
    for name, ref in reference.items():
        x = ours[name]
        ref_mean, ref_sd = float(ref.mean()), float(ref.std(ddof=1))
        rows.append(
            {
                "name": name,
                "dev": abs(float(x.mean()) - ref_mean) / ref_sd,
                "sd_ratio": float(x.std(ddof=1)) / ref_sd,
                "mcse_mean": float(diagnostics.mcse_mean(x)) / ref_sd,
                "mcse_sd": float(diagnostics.mcse_sd(x)) / ref_sd,
                "ess": float(diagnostics.ess_bulk(x)),
                "rhat": float(diagnostics.split_rhat(x)),
            }
        )
    return rows


def summarise(rows: list[dict]) -> dict:
    """Worst deviation, worst sd ratio (farthest from 1), the largest MCSE, min ESS, pass."""
    worst_dev = max(rows, key=lambda r: r["dev"])
    worst_sd = max(rows, key=lambda r: abs(r["sd_ratio"] - 1.0))
    ok = all(r["dev"] < MEAN_TOL and abs(r["sd_ratio"] - 1.0) < SD_TOL for r in rows)
    return {
        "passed": bool(ok),
        "worst_dev": worst_dev["dev"],
        "worst_dev_name": worst_dev["name"],
        "worst_sd_ratio": worst_sd["sd_ratio"],
        "worst_sd_name": worst_sd["name"],
        "max_mcse_mean": max(r["mcse_mean"] for r in rows),
        "min_ess": min(r["ess"] for r in rows),
        "max_rhat": max(r["rhat"] for r in rows),
    }
