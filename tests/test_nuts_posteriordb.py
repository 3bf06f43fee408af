"""NUTS against posteriordb reference draws: means and sds within Monte Carlo error.

Tolerance: |ours - reference| <= Z * sqrt(mcse_ours^2 + mcse_reference^2), with our MCSE
from the draws' ESS and the reference's from its 10,000 near-independent draws.
"""

import jax
import numpy as np
import pytest

import pplx
from pplx import diagnostics
from tests.posteriordb import bound_model

Z = 4.5
POSTERIORS = ["eight_schools-eight_schools_noncentered", "kidiq-kidscore_momhsiq", "arK-arK"]


def _scalars(draws: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, value in draws.items():
        value = np.asarray(value)
        if name == "theta_trans":
            continue
        if value.ndim == 2:
            out[name] = value
        for idx in np.ndindex(*value.shape[2:]):
            stan = f"{name}[{','.join(str(i + 1) for i in idx)}]"
            out[stan] = value[(slice(None), slice(None)) + idx]
    return out


def assert_matches_reference(draws: dict, ref: dict) -> None:
    """Every reference scalar's mean and sd within Z combined Monte Carlo errors."""
    ours = _scalars(draws)
    assert set(ref) <= set(ours), f"missing {set(ref) - set(ours)}"
    n_ref = ref[next(iter(ref))].size
    for name, ref_draws in ref.items():
        x = ours[name]
        ref_mean, ref_sd = ref_draws.mean(), ref_draws.std(ddof=1)
        tol_mean = Z * np.hypot(diagnostics.mcse_mean(x), ref_sd / np.sqrt(n_ref))
        tol_sd = Z * np.hypot(diagnostics.mcse_sd(x), ref_sd / np.sqrt(2 * n_ref))
        assert abs(x.mean() - ref_mean) < tol_mean, (name, x.mean(), ref_mean, tol_mean)
        assert abs(x.std(ddof=1) - ref_sd) < tol_sd, (name, x.std(ddof=1), ref_sd, tol_sd)
        assert diagnostics.split_rhat(x) < 1.01, name


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # checked below
@pytest.mark.parametrize("posterior", POSTERIORS)
def test_nuts_matches_reference(posterior, posteriordb):
    model = bound_model(posterior, posteriordb.data(posterior))
    result = pplx.nuts(
        model,
        jax.random.key(2024),
        num_warmup=1000,
        num_samples=1000,
        num_chains=4,
        progress_bar=False,
        return_inferencedata=False,
    )
    assert_matches_reference(result.draws, posteriordb.reference(posterior))
    assert result.stats["diverging"].mean() < 0.01


# The other posteriordb models, written once for the benchmark (bench/models_pplx.py).
SLOW_POSTERIORS = [
    "garch-garch11",
    "gp_pois_regr-gp_pois_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix",
    "hmm_example-hmm_example",
    "earnings-logearn_interaction",
    "nes2000-nes",
    "sblrc-blr",
]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # checked below
@pytest.mark.parametrize("posterior", SLOW_POSTERIORS)
def test_nuts_matches_reference_slow(posterior, posteriordb):
    from bench.models_pplx import bound_model

    result = pplx.nuts(
        bound_model(posterior),
        jax.random.key(7),
        num_warmup=1000,
        num_samples=1000,
        num_chains=4,
        progress_bar=False,
        return_inferencedata=False,
    )
    assert_matches_reference(result.draws, posteriordb.reference(posterior))
    assert result.stats["diverging"].mean() < 0.01
