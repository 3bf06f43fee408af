"""The figures and numbers of docs/until_many_sbc.md's SBC section.

Runs, each with key 0: NUTS SBC of the normal mean at 1000 simulations; the
deliberately wrong fit of tests/test_sbc.py (NUTS on a log density missing its
log-Jacobian) at 200 simulations; ADVI's SBC of the normal mean and of the normal scale
at 1000 simulations (reported, not asserted). Writes docs/images/sbc_*.png and
bench/results/sbc-figures.json.

Usage: ``python -m bench.sbc_figures``
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np

matplotlib.use("Agg")

import pplx  # noqa: E402
from bench.common import REPO_ROOT, RESULTS_DIR  # noqa: E402
from bench.sbc_models import bound_models  # noqa: E402
from tests.test_sbc import _nuts_without_jacobian, normal_scale  # noqa: E402

IMAGES = REPO_ROOT / "docs" / "images"


def _row(res) -> dict:
    return {
        "num_simulations": res.num_simulations,
        "wall_s": round(res.info["wall_time"], 1),
        "all_passed": res.all_passed,
        "failed": res.failed,
        "level_per_test": res.level,
        "chi2_pvalue": dict(zip(res.names, np.round(res.chi2_pvalue, 4).tolist(), strict=True)),
        "band_inside": dict(zip(res.names, res.band_inside.tolist(), strict=True)),
        "median_ess_kept": float(np.nanmedian(res.ess)) if np.isfinite(res.ess).any() else None,
    }


def main() -> None:
    jax.config.update("jax_enable_x64", True)
    IMAGES.mkdir(exist_ok=True)
    key, out = jax.random.key(0), {}
    good = pplx.sbc(bound_models()["normal_mean"], key, 1000, num_warmup=300, num_samples=495)
    out["normal_mean_nuts"] = _row(good)
    good.plot().savefig(IMAGES / "sbc_normal_mean.png", dpi=90)
    wrong = pplx.sbc(normal_scale(jnp.zeros(2)), key, 200, fit=_nuts_without_jacobian)
    out["no_jacobian_nuts"] = _row(wrong)
    wrong.plot().savefig(IMAGES / "sbc_no_jacobian.png", dpi=90)
    advi = {"num_steps": 5000}
    for name, model in [
        ("normal_mean_advi", bound_models()["normal_mean"]),
        ("normal_scale_advi", normal_scale(jnp.zeros(2))),
    ]:
        out[name] = _row(pplx.sbc(model, key, 1000, fit="advi", fit_options=advi))
    print(json.dumps(out, indent=2))
    (RESULTS_DIR / "sbc-figures.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
