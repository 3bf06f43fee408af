"""All 36 shared posteriordb posteriors as pplx models, one module per model family.

``REGISTRY[posterior] = Entry(builder, prepare, settings)``: ``prepare(raw_data)`` turns
the posteriordb data (a dict of NumPy arrays) into the builder's keyword arguments
(predictors computed as in the Stan program's ``transformed data``), ``builder(**data)``
is the bound pplx model, ``settings`` are the NUTS options the correctness check uses
for it (a dense mass matrix where the posterior is strongly correlated) and
``num_draws`` its warmup and draws per chain.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax.numpy as jnp

from tests.posteriordb import hmm, misc, ode, regression, timeseries

R = regression


class Entry(NamedTuple):
    builder: Any
    prepare: Any
    settings: dict = {}
    num_draws: int = 1000  # warmup and draws per chain of the correctness check


DENSE = {"dense_mass": True}

REGISTRY: dict[str, Entry] = {
    "eight_schools-eight_schools_noncentered": Entry(
        misc.eight_schools_noncentered, misc.eight_schools_data
    ),
    "gp_pois_regr-gp_pois_regr": Entry(misc.gp_pois_regr, misc.gp_data),
    "low_dim_gauss_mix-low_dim_gauss_mix": Entry(misc.low_dim_gauss_mix, misc.gauss_mix_data),
    "arK-arK": Entry(timeseries.ark, timeseries.ark_data),
    "garch-garch11": Entry(timeseries.garch11, timeseries.garch_data),
    "hmm_example-hmm_example": Entry(hmm.hmm_example, hmm.hmm_example_data),
    "bball_drive_event_0-hmm_drive_0": Entry(
        hmm.hmm_drive_0, partial(hmm.drive_data, normal=False)
    ),
    "bball_drive_event_1-hmm_drive_1": Entry(hmm.hmm_drive_1, partial(hmm.drive_data, normal=True)),
    "hudson_lynx_hare-lotka_volterra": Entry(ode.lotka_volterra, ode.lotka_volterra_data),
    "one_comp_mm_elim_abs-one_comp_mm_elim_abs": Entry(ode.one_comp_mm_elim_abs, ode.one_comp_data),
    "sblrc-blr": Entry(R.blr, R.sblrc),
    "kilpisjarvi_mod-kilpisjarvi": Entry(R.kilpisjarvi, R.kilpisjarvi_data, DENSE),
    "diamonds-diamonds": Entry(R.diamonds, R.diamonds_data, DENSE),
}
for _name, _cols in {
    "momhs": ("mom_hs",),
    "momiq": ("mom_iq",),
    "momhsiq": ("mom_hs", "mom_iq"),
}.items():
    REGISTRY[f"kidiq-kidscore_{_name}"] = Entry(
        R.cauchy_sigma_regression, partial(R.kidiq, predictors=_cols), DENSE
    )
for _kind in ("c", "c2", "z"):
    REGISTRY[f"kidiq_with_mom_work-kidscore_interaction_{_kind}"] = Entry(
        R.flat_regression, partial(R.kidiq_interaction, kind=_kind), DENSE
    )
for _kind in ("height", "height_male", "interaction", "interaction_z", "logheight_male"):
    REGISTRY[f"earnings-logearn_{_kind}"] = Entry(
        R.flat_regression, partial(R.earnings, kind=_kind), DENSE
    )
for _kind in ("logmesquite", "logva", "logvas", "logvash", "logvolume"):
    _name = "logmesquite" if _kind == "logmesquite" else f"logmesquite_{_kind}"
    REGISTRY[f"mesquite-{_name}"] = Entry(R.flat_regression, partial(R.mesquite, kind=_kind), DENSE)
for _year in (1972, 1976, 1984, 1988, 1992, 1996, 2000):
    REGISTRY[f"nes{_year}-nes"] = Entry(R.flat_regression, R.nes, DENSE)

#: Posteriors that need diffrax (the ``ode`` extra).
ODE_POSTERIORS = ("hudson_lynx_hare-lotka_volterra", "one_comp_mm_elim_abs-one_comp_mm_elim_abs")


def bound_model(posterior: str, raw_data: dict):
    """The pplx model of ``posterior`` bound to its prepared data (jnp arrays)."""
    entry = REGISTRY[posterior]
    data = {k: jnp.asarray(v) for k, v in entry.prepare(raw_data).items()}
    return entry.builder(**data)
