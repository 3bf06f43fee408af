"""NumPyro versions of all 36 shared posteriordb posteriors, one module per model family.

``MODELS[posterior]`` is a NumPyro model function taking the keyword data that pplx's
``tests.posteriordb.REGISTRY[posterior].prepare`` makes, so both libraries sample the
same arrays; site names are the Stan program's (the reference's scalar names). Models
the benchmark already has are ``bench.models_numpyro``'s, not second copies.

Example:
    >>> from bench.pdb_numpyro import MODELS
    >>> len(MODELS)
    36
"""

from __future__ import annotations

from bench import models_numpyro as bench_models
from bench.pdb_numpyro import hmm, ode, regression

_BENCH = {
    "eight_schools-eight_schools_noncentered": bench_models.eight_schools,
    "gp_pois_regr-gp_pois_regr": bench_models.gp_pois_regr,
    "low_dim_gauss_mix-low_dim_gauss_mix": bench_models.gauss_mix,
    "arK-arK": bench_models.ark,
    "garch-garch11": bench_models.garch,
    "hmm_example-hmm_example": bench_models.hmm_example,
    "sblrc-blr": bench_models.sblrc,
    "diamonds-diamonds": bench_models.diamonds,
}


def _families() -> dict:
    out = {
        "bball_drive_event_0-hmm_drive_0": hmm.hmm_drive_0,
        "bball_drive_event_1-hmm_drive_1": hmm.hmm_drive_1,
        "hudson_lynx_hare-lotka_volterra": ode.lotka_volterra,
        "one_comp_mm_elim_abs-one_comp_mm_elim_abs": ode.one_comp_mm_elim_abs,
        "kilpisjarvi_mod-kilpisjarvi": regression.kilpisjarvi,
    }
    for name in ("momhs", "momiq", "momhsiq"):
        out[f"kidiq-kidscore_{name}"] = regression.cauchy_sigma_regression
    for kind in ("c", "c2", "z"):
        out[f"kidiq_with_mom_work-kidscore_interaction_{kind}"] = regression.flat_regression
    for kind in ("height", "height_male", "interaction", "interaction_z", "logheight_male"):
        out[f"earnings-logearn_{kind}"] = regression.flat_regression
    for kind in ("logmesquite", "logva", "logvas", "logvash", "logvolume"):
        name = "logmesquite" if kind == "logmesquite" else f"logmesquite_{kind}"
        out[f"mesquite-{name}"] = regression.flat_regression
    for year in (1972, 1976, 1984, 1988, 1992, 1996, 2000):
        out[f"nes{year}-nes"] = regression.flat_regression
    return out


MODELS: dict = {**_BENCH, **_families()}


def model_and_data(posterior: str, raw_data: dict):
    """(NumPyro model function, its keyword data as jnp arrays) for ``posterior``."""
    import jax.numpy as jnp

    from tests.posteriordb import REGISTRY

    prepared = REGISTRY[posterior].prepare(raw_data)
    return MODELS[posterior], {k: jnp.asarray(v) for k, v in prepared.items()}


def potential_fn(posterior: str, raw_data: dict):
    """NumPyro's potential (minus the log density) on ``site -> unconstrained value``."""
    import jax
    import numpyro
    from numpyro.infer.util import initialize_model

    model, data = model_and_data(posterior, raw_data)
    # the trace that finds the sites may hit a failed ODE solve (NaN means), which
    # validation would raise on; the potential itself is evaluated where asked
    with numpyro.validation_enabled(False):
        info = initialize_model(jax.random.key(0), model, model_kwargs=data)
    return info.potential_fn
