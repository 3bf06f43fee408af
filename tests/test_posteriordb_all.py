"""Every shared posteriordb posterior as a pplx model (tests/posteriordb/), against its
reference draws.

The rule (issue 18): every reference scalar has |mean - ref| / ref_sd < 0.1 and sd within
10% of the reference's. With 4 x 1000 draws (ESS in the thousands on these posteriors)
the Monte Carlo error of a mean is ~0.02 ref sds and of an sd ~1-2%, so the rule fails
a model mistake of a tenth of a posterior sd but not by chance; the minimum ESS is
checked too, so a short stuck run cannot pass by luck. The fast subset (make test) runs
the cheapest regressions with 4 x 500 draws; the others are ``slow`` (make test-all).
"""

import importlib.util
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp
from scipy import stats

import pplx
from tests.posteriordb import ODE_POSTERIORS, REGISTRY, bound_model, hmm
from tests.posteriordb.check import MEAN_TOL, SD_TOL, compare

HAS_DIFFRAX = importlib.util.find_spec("diffrax") is not None
FAST = ["kidiq-kidscore_momhs", "mesquite-logmesquite_logvolume", "kidiq-kidscore_momiq"]
# docs/correctness.md explains it: the sd of a Cauchy-like tail from 4,000 draws
KNOWN = {
    "one_comp_mm_elim_abs-one_comp_mm_elim_abs": "sd of the heavy-tailed K_m, V_m: 0.6x",
}
SLOW = [
    pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=False)) if n in KNOWN else n
    for n in sorted(REGISTRY)
    if n not in FAST
]
# binding compiles the log density once: seconds, but ~40 s through an ODE solver
BIND = [pytest.param(n, marks=pytest.mark.slow) if n in ODE_POSTERIORS else n for n in REGISTRY]


def _skip_without_diffrax(posterior):
    if posterior in ODE_POSTERIORS and not HAS_DIFFRAX:
        pytest.skip("needs diffrax (the ode extra: pip install 'pplx[ode]')")


def _check(posterior, posteriordb, num_draws, min_ess):
    _skip_without_diffrax(posterior)
    model = bound_model(posterior, posteriordb.data(posterior))
    result = pplx.nuts(
        model,
        jax.random.key(20241),
        num_warmup=num_draws,
        num_samples=num_draws,
        num_chains=4,
        progress_bar=False,
        return_inferencedata=False,
        **REGISTRY[posterior].settings,
    )
    for row in compare(result.draws, posteriordb.reference(posterior)):
        assert row["dev"] < MEAN_TOL, row
        assert abs(row["sd_ratio"] - 1.0) < SD_TOL, row
        assert row["ess"] > min_ess, row
    assert np.mean(result.stats["diverging"]) < 0.01


def test_registry_covers_every_shared_posterior(posteriordb):
    assert sorted(REGISTRY) == posteriordb.names()
    assert len(REGISTRY) == 36


@pytest.mark.parametrize("posterior", BIND)
def test_model_binds_with_the_reference_names(posterior, posteriordb):
    """Every reference scalar is a site (or deterministic) of the model; logp is finite."""
    _skip_without_diffrax(posterior)
    model = bound_model(posterior, posteriordb.data(posterior))
    point = model.initial_point()
    assert np.isfinite(float(model.logp(point)))
    names = {k.split("[")[0] for k in posteriordb.reference(posterior)}
    sites = {s.name for s in (*model.free_vars, *model.deterministics)}
    assert names <= sites


def test_flat_regression_logp_is_the_normal_likelihood(posteriordb):
    """Flat priors: logp without the Jacobian is scipy's normal log likelihood."""
    posterior = "mesquite-logmesquite_logvas"
    data = REGISTRY[posterior].prepare(posteriordb.data(posterior))
    model = bound_model(posterior, posteriordb.data(posterior))
    beta, sigma = np.linspace(-1.0, 1.0, 7), 0.7
    expected = stats.norm(data["X"] @ beta, sigma).logpdf(data["y"]).sum()
    got = model.logp({"beta": jnp.asarray(beta), "sigma": jnp.asarray(sigma)}, jacobian=False)
    np.testing.assert_allclose(float(got), expected, rtol=1e-10)


def test_forward_algorithm_is_exact_enumeration():
    """The HMM forward recursion equals the sum over all K^N state paths."""
    rng = np.random.default_rng(0)
    n, k = 6, 3
    log_emit = rng.normal(size=(n, k))
    trans = rng.dirichlet(np.ones(k), size=k)
    paths = []
    for z in itertools.product(range(k), repeat=n):
        lp = log_emit[0, z[0]] + sum(
            np.log(trans[z[t - 1], z[t]]) + log_emit[t, z[t]] for t in range(1, n)
        )
        paths.append(lp)
    expected = float(logsumexp(jnp.asarray(paths)))
    got = float(hmm.forward_logp(jnp.asarray(log_emit), jnp.log(jnp.asarray(trans))))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # checked by the rule
@pytest.mark.parametrize("posterior", FAST)
def test_matches_reference_fast(posterior, posteriordb):
    _check(posterior, posteriordb, num_draws=500, min_ess=400)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # checked by the rule
@pytest.mark.parametrize("posterior", SLOW)
def test_matches_reference(posterior, posteriordb):
    _check(posterior, posteriordb, num_draws=REGISTRY[posterior].num_draws, min_ess=400)
