"""The NumPyro versions of the 36 posteriordb posteriors (bench/pdb_numpyro) define the
same log density as pplx's (tests/posteriordb), up to a constant.

Oracle: pplx's ``logdensity(z)`` at random unconstrained points z ~ U(-2, 2)^d (how both
libraries start their chains) and minus NumPyro's potential at the same per-site
unconstrained values (``unflatten(z)``: both use the same bijections). The difference
must be one constant across the points (priors written as a flat site plus a factor in
one library and as a normalised family in the other differ by a normaliser), to 1e-8
of the densities' size: a wrong prior, likelihood or Jacobian changes it from point to
point by far more. No sampling.
"""

import jax
import numpy as np
import pytest

from tests.posteriordb import ODE_POSTERIORS, REGISTRY, bound_model

pytest.importorskip("numpyro")

NUM_POINTS = 3
RTOL = 1e-8
# the ODE models compile a diffrax solve in both libraries (tens of seconds)
CASES = [pytest.param(n, marks=pytest.mark.slow) if n in ODE_POSTERIORS else n for n in REGISTRY]


def _densities(posterior, raw):
    from bench.pdb_numpyro import potential_fn

    m = bound_model(posterior, raw)
    # NumPyro's own mixture broadcasts ranks implicitly (its code, not the model's)
    allow = jax.numpy_rank_promotion("allow")
    with allow:
        potential = jax.jit(potential_fn(posterior, raw))
    logdensity = jax.jit(lambda z: m.logdensity(z))
    rows = []
    for i in range(NUM_POINTS):
        z = jax.random.uniform(jax.random.key(i), (m.num_dims,), minval=-2.0, maxval=2.0)
        with allow:
            minus_lp = float(potential(m.unflatten(z)))
        rows.append((float(logdensity(z)), -minus_lp))
    return np.array(rows)


@pytest.mark.parametrize("posterior", CASES)
def test_same_density_up_to_a_constant(posterior, posteriordb):
    if posterior in ODE_POSTERIORS:
        pytest.importorskip("diffrax")
    rows = _densities(posterior, posteriordb.data(posterior))
    assert np.all(np.isfinite(rows)), rows
    offsets = rows[:, 0] - rows[:, 1]
    scale = max(1.0, float(np.max(np.abs(rows))))
    assert np.ptp(offsets) <= RTOL * scale, (offsets, rows)


def test_every_posterior_has_a_numpyro_model():
    from bench.pdb_numpyro import MODELS

    assert sorted(MODELS) == sorted(REGISTRY)
