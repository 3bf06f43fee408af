"""Shared, light helpers for the benchmark: paths, the model list, settings, data.

This module imports only the standard library and NumPy at import time, so the parent
process of ``bench.run`` stays light and each worker pays for its own imports.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from functools import cache
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

#: The posteriors of the benchmark, in report order (cheap first, diamonds last).
MODELS: tuple[str, ...] = (
    "eight_schools-eight_schools_noncentered",
    "kidiq-kidscore_momhsiq",
    "earnings-logearn_interaction",
    "nes2000-nes",
    "sblrc-blr",
    "arK-arK",
    "garch-garch11",
    "gp_pois_regr-gp_pois_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix",
    "hmm_example-hmm_example",
    "diamonds-diamonds",
)

#: A subset for ``--quick`` (3 models x 4 contenders, 20-50 s a run on 2 cores, compile
#: dominated): a hierarchy with a deterministic, flat priors on a regression, and a
#: recursion in ``lax.scan`` with a parameter-dependent bound. (hmm_example, the next
#: cheapest to cover simplexes, compiles for 35-75 s per run on a loaded 2-core machine.)
QUICK_MODELS: tuple[str, ...] = (
    "eight_schools-eight_schools_noncentered",
    "kidiq-kidscore_momhsiq",
    "garch-garch11",
)

#: The contenders of a default run.
CONTENDERS: tuple[str, ...] = (
    "pplx",
    "numpyro_sequential",
    "numpyro_vectorized",
    "blackjax",
)
#: Also available with ``--contenders``: pplx with an explicit chain method instead of
#: its default ``"auto"`` (on a CPU, 4 chains run one after another).
#: nutpie on the PyMC models (``bench.models_pymc``; ``pip install -e ".[bench-nutpie]"``),
#: at its default warmup and at ``--warmup`` (1000): skipped with a message when PyMC or
#: nutpie is not installed, and on the models that have no PyMC version yet.
NUTPIE_CONTENDERS: tuple[str, ...] = ("nutpie", "nutpie_1000")
#: pplx with nutpie's warmup (``adaptation="fisher"``): at nutpie's default warmup length
#: (400) and at ``--warmup``.
FISHER_CONTENDERS: tuple[str, ...] = ("pplx_fisher", "pplx_fisher_full")
#: nutpie's default number of warmup transitions (``nutpie.sample(tune=None)``).
NUTPIE_DEFAULT_WARMUP = 400
EXTRA_CONTENDERS: tuple[str, ...] = (
    ("pplx_vectorized", "pplx_sequential") + NUTPIE_CONTENDERS + FISHER_CONTENDERS
)

SHORT_NAMES = {
    "eight_schools-eight_schools_noncentered": "eight_schools",
    "kidiq-kidscore_momhsiq": "kidiq",
    "earnings-logearn_interaction": "earnings",
    "nes2000-nes": "nes2000",
    "sblrc-blr": "sblrc",
    "arK-arK": "arK",
    "garch-garch11": "garch11",
    "gp_pois_regr-gp_pois_regr": "gp_pois_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix": "gauss_mix",
    "hmm_example-hmm_example": "hmm_example",
    "diamonds-diamonds": "diamonds",
}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sampler settings shared by every contender."""

    num_chains: int = 4
    num_warmup: int = 1000
    num_samples: int = 1000
    target_accept: float = 0.8
    max_tree_depth: int = 10


FULL = Settings()
QUICK = Settings(num_chains=4, num_warmup=500, num_samples=500)


def short_name(posterior: str) -> str:
    return SHORT_NAMES.get(posterior, posterior)


def resolve_model(name: str) -> str:
    """Accept a full posterior name or its short name."""
    if name in MODELS:
        return name
    for full, short in SHORT_NAMES.items():
        if name == short:
            return full
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(SHORT_NAMES.values())}")


def posteriordb_dir() -> Path:
    """``$PPLX_POSTERIORDB``, else ``<repo root>/../shared/posteriordb``."""
    env = os.environ.get("PPLX_POSTERIORDB")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "posteriordb"


@cache
def posteriordb():
    """The posteriordb loader module (``posteriordb.py`` beside the data)."""
    path = posteriordb_dir() / "posteriordb.py"
    if not path.exists():
        raise SystemExit(
            f"posteriordb not found at {path}; set PPLX_POSTERIORDB to the folder "
            "holding posteriordb.py, posteriors/, data/ and reference/"
        )
    spec = importlib.util.spec_from_file_location("_pplx_bench_posteriordb", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def reference_stats(posterior: str) -> dict[str, tuple[float, float]]:
    return posteriordb().reference_stats(posterior)


def flatten_draws(draws: dict[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    """Split ``name -> (chain, draw, *shape)`` into Stan scalar names ``theta[1]`` etc.

    Only the scalars listed in ``names`` (the reference's) are kept, so that every
    contender is judged on the same quantities.
    """
    pdb = posteriordb()
    out = {}
    for name, value in draws.items():
        value = np.asarray(value)
        shape = value.shape[2:]
        for index in np.ndindex(*shape):
            scalar = pdb.flatten_name(name, index)
            if scalar in names:
                out[scalar] = value[(slice(None), slice(None), *index)]
    missing = [n for n in names if n not in out]
    if missing:
        raise KeyError(f"draws lack reference scalars {missing}")
    return {n: out[n] for n in names}


@cache
def _prepared(posterior: str) -> dict[str, np.ndarray]:
    raw = posteriordb().data(posterior)
    return PREPARE[posterior](raw)


def model_data(posterior: str) -> dict[str, np.ndarray]:
    """The data every implementation of ``posterior`` takes, as float64/int64 NumPy.

    Derived quantities (lag matrices, centred predictors, dummies) are computed here
    once, so the three implementations see identical inputs.
    """
    return dict(_prepared(posterior))


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _eight_schools(d):
    return {"y": _f(d["y"]), "sigma": _f(d["sigma"])}


def _kidiq(d):
    return {"kid_score": _f(d["kid_score"]), "mom_hs": _f(d["mom_hs"]), "mom_iq": _f(d["mom_iq"])}


def _earnings(d):
    return {"log_earn": np.log(_f(d["earn"])), "height": _f(d["height"]), "male": _f(d["male"])}


def _nes(d):
    age = np.asarray(d["age_discrete"])
    x = np.stack(
        [
            _f(d["real_ideo"]),
            _f(d["race_adj"]),
            _f(age == 2),
            _f(age == 3),
            _f(age == 4),
            _f(d["educ1"]),
            _f(d["gender"]),
            _f(d["income"]),
        ],
        axis=1,
    )
    return {"x": x, "partyid7": _f(d["partyid7"])}


def _sblrc(d):
    return {"X": _f(d["X"]), "y": _f(d["y"])}


def _ark(d):
    y = _f(d["y"])
    k = int(d["K"])
    t = y.shape[0]
    # lags[i, j] = y[(i + k) - (j + 1)]: row i predicts y[i + k] from its k predecessors.
    lags = np.stack([y[k - 1 - j : t - 1 - j] for j in range(k)], axis=1)
    return {"lags": lags, "y_obs": y[k:]}


def _garch(d):
    return {"y": _f(d["y"]), "sigma1": _f(d["sigma1"])}


def _gp_pois_regr(d):
    return {"x": _f(d["x"]), "k": np.asarray(d["k"], dtype=np.int64)}


def _gauss_mix(d):
    return {"y": _f(d["y"])}


def _diamonds(d):
    x = _f(d["X"])[:, 1:]
    return {"Xc": x - x.mean(axis=0), "Y": _f(d["Y"])}


def _hmm(d):
    return {"y": _f(d["y"])}


PREPARE = {
    "eight_schools-eight_schools_noncentered": _eight_schools,
    "kidiq-kidscore_momhsiq": _kidiq,
    "earnings-logearn_interaction": _earnings,
    "nes2000-nes": _nes,
    "sblrc-blr": _sblrc,
    "arK-arK": _ark,
    "garch-garch11": _garch,
    "gp_pois_regr-gp_pois_regr": _gp_pois_regr,
    "low_dim_gauss_mix-low_dim_gauss_mix": _gauss_mix,
    "diamonds-diamonds": _diamonds,
    "hmm_example-hmm_example": _hmm,
}
