"""Simulation-based calibration: bands, tests, a passing and a failing SBC, bad settings.

Oracles: the band's coverage is checked by exact enumeration on tiny cases and by Monte
Carlo on uniform ranks; chi-square against scipy.stats; a correct NUTS passes and NUTS
on a log density missing its log-Jacobian (for a positive parameter) fails.
"""

import itertools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

import pplx
import pplx.distributions as dist
from pplx.diagnostics import calibration as cal
from pplx.diagnostics.sbc_result import summarize_ranks
from pplx.infer.chains import run_chains


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


@pplx.model
def normal_scale(y):
    sigma = pplx.sample("sigma", dist.LogNormal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(0.0, sigma), obs=y)


# ----- the band ------------------------------------------------------------------------
def _coverage_by_enumeration(n, k, lower, upper):
    """P(all ECDF counts in the band) summing over every sequence of n cells in k."""
    inside = 0
    for cells in itertools.product(range(k), repeat=n):
        counts = np.cumsum(np.bincount(cells, minlength=k))[:-1]
        inside += np.all((counts >= lower) & (counts <= upper))
    return inside / k**n


@pytest.mark.parametrize("n, k", [(3, 3), (4, 4), (5, 3)])
def test_band_coverage_equals_enumeration(n, k):
    rng = np.random.default_rng(n * k)
    for _ in range(5):
        lower = rng.integers(0, 2, size=k - 1)
        upper = np.maximum(lower, n - rng.integers(0, 2, size=k - 1))
        exact = cal.band_coverage(n, k, lower, upper)
        assert exact == pytest.approx(_coverage_by_enumeration(n, k, lower, upper), abs=1e-12)


@pytest.mark.parametrize("n, k, alpha", [(100, 100, 0.05), (1000, 100, 0.05), (200, 20, 0.01)])
def test_band_covers_uniform_ranks_at_the_nominal_level(n, k, alpha):
    band = cal.ecdf_band(n, k, alpha)
    # the optimiser lands within the discreteness of the band, on the safe side
    assert 1 - alpha <= band.coverage < 1 - alpha + 0.01
    trials = 4000
    ranks = np.random.default_rng(1).integers(0, k, size=(n, trials))
    covered = cal.inside_band(ranks, k - 1, band).mean()
    # binomial sd of the Monte Carlo coverage: sqrt(.05 * .95 / 4000) = 0.0034; 4 sd
    assert abs(covered - band.coverage) < 4 * np.sqrt(alpha * (1 - alpha) / trials)
    # the pointwise band at the same level covers far less: the simultaneous one is wider
    low, high = cal._pointwise_band(n, k, alpha)
    assert cal.band_coverage(n, k, low, high) < 1 - 3 * alpha
    assert band.gamma < alpha


def test_simulated_and_optimised_bands_agree():
    exact = cal.ecdf_band(500, 50, 0.05)
    simulated = cal.ecdf_band(500, 50, 0.05, method="simulate", num_trials=20000)
    # gamma's simulation error: a quantile at 0.05 of 20000 draws, a few percent
    assert simulated.gamma == pytest.approx(exact.gamma, rel=0.2)
    assert simulated.coverage == pytest.approx(0.95, abs=0.01)


@pytest.mark.parametrize("x, dof", [(3.84, 1), (0.3, 10), (30.0, 19), (150.0, 19), (19.0, 19)])
def test_chi2_sf_matches_scipy(x, dof):
    assert cal.chi2_sf(x, dof) == pytest.approx(st.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_rank_chi_square_matches_scipy():
    ranks = np.random.default_rng(2).integers(0, 100, size=(300, 3))
    stat, p = cal.rank_chi_square(ranks, 99, 20)
    for j in range(3):
        ref = st.chisquare(np.bincount(ranks[:, j] // 5, minlength=20))
        assert stat[j] == pytest.approx(ref.statistic) and p[j] == pytest.approx(ref.pvalue)


def test_verdict_is_bonferroni_over_scalars_and_tests():
    rng = np.random.default_rng(3)
    res = summarize_ranks(["a", "b", "c"], rng.integers(0, 100, (400, 3)), 99, alpha=0.05)
    assert res.level == pytest.approx(0.05 / 6)
    assert res.band.alpha == pytest.approx(res.level) and res.all_passed
    skewed = np.column_stack([rng.integers(0, 100, 400), rng.integers(20, 100, 400)])
    bad = summarize_ranks(["a", "b"], skewed, 99)
    assert bad.failed == ["b"] and not bad.band_inside[1]


def test_plot_draws_histogram_and_ecdf_difference():
    import matplotlib

    matplotlib.use("Agg")
    res = summarize_ranks(["a", "b"], np.random.default_rng(4).integers(0, 100, (200, 2)), 99)
    fig = res.plot()
    assert len(fig.axes) == 4
    with pytest.raises(ValueError, match="no scalars"):
        res.plot(["zzz"])
    import matplotlib.pyplot as plt

    plt.close(fig)


# ----- SBC runs ------------------------------------------------------------------------
def test_normal_mean_100_simulations_pass():
    res = pplx.sbc(normal_mean(jnp.zeros(5)), jax.random.key(0), 100, num_samples=500)
    assert res.ranks.shape == (100, 1) and res.names == ["mu"]
    assert res.ranks.min() >= 0 and res.ranks.max() <= 99
    assert res.all_passed, res.table()
    # thinning 500 -> 99 keeps near-independent draws: ESS close to L in most fits
    assert np.median(res.ess) > 0.5 * 99
    assert res.info["num_divergent"].shape == (100,)


def test_advi_fit_runs_in_the_same_program_shape():
    res = pplx.sbc(
        normal_mean(jnp.zeros(5)), jax.random.key(1), 20, fit="advi", fit_options={"num_steps": 500}
    )
    assert res.ranks.shape == (20, 1) and res.info["fit"] == "advi"
    assert res.info["num_steps"].shape == (20,) and np.all(res.info["num_steps"] <= 500)


def test_batches_equal_one_vmap_over_all_simulations():
    m, key = normal_mean(jnp.zeros(5)), jax.random.key(2)
    settings = dict(num_warmup=100, num_samples=99)
    whole = pplx.sbc(m, key, 12, **settings)
    batched = pplx.sbc(m, key, 12, batch_size=5, **settings)  # 5 + 5 + 2
    np.testing.assert_array_equal(whole.ranks, batched.ranks)
    np.testing.assert_allclose(whole.ess, batched.ess, rtol=1e-6)


def _nuts_without_jacobian(model, key):
    """A deliberately wrong fit: NUTS on the log density without log|J| of exp."""
    init_key, run_key = jax.random.split(key)
    z0 = jax.random.uniform(init_key, (1, model.num_dims), minval=-2.0, maxval=2.0)
    out = run_chains(
        lambda z: model.logdensity(z, jacobian=False),
        run_key,
        z0,
        num_warmup=200,
        num_samples=99,
        thinning=5,
    )
    return jax.vmap(model.constrain)(out.positions.reshape(-1, model.num_dims))


def test_missing_jacobian_fails_and_the_correct_fit_passes():
    m = normal_scale(jnp.zeros(2))
    # the missing factor sigma moves the fit's mass towards small sigma: with 2
    # observations the shift is ~0.4 posterior sd, p ~ 1e-9 at 200 simulations
    wrong = pplx.sbc(m, jax.random.key(0), 200, fit=_nuts_without_jacobian)
    assert not wrong.all_passed and wrong.failed == ["sigma"]
    assert np.mean(wrong.ranks) > 55  # the truth sits high among too-small draws
    right = pplx.sbc(m, jax.random.key(0), 200, num_warmup=200, num_samples=495)
    assert right.all_passed, right.table()


@pplx.model
def no_data():
    pplx.sample("x", dist.Normal(0.0, 1.0))


def _with_missing_value():
    with warnings.catch_warnings():  # binding may warn that the NaN will be imputed
        warnings.simplefilter("ignore")
        return normal_mean(jnp.array([0.0, jnp.nan]))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: pplx.sbc(m, jax.random.key(0), 0), ValueError, "at least 1"),
        (lambda m: pplx.sbc(m, jax.random.key(0), 10.0), TypeError, "must be an int"),
        (lambda m: pplx.sbc(no_data(), jax.random.key(0), 10), ValueError, "no observed"),
        (lambda m: pplx.sbc(m, jax.random.key(0), 10, num_samples=50), ValueError, "thinning"),
        (lambda m: pplx.sbc(m, jax.random.key(0), 10, num_ranks=0), ValueError, "num_ranks"),
        (lambda m: pplx.sbc(m, jax.random.key(0), 10, fit="gibbs"), ValueError, "fit must"),
        (lambda m: pplx.sbc(m, jax.random.key(0), 10, batch_size=0), ValueError, "batch_size"),
        (
            lambda m: pplx.sbc(_with_missing_value(), jax.random.key(0), 10),
            ValueError,
            "missing values",
        ),
        (
            lambda m: pplx.sbc(
                m, jax.random.key(0), 10, fit=lambda mm, k: {}, fit_options={"a": 1}
            ),
            ValueError,
            "fit_options",
        ),
    ],
)
def test_bad_settings_raise_before_compiling(call, error, match):
    with pytest.raises(error, match=match):
        call(normal_mean(jnp.zeros(3)))


def test_a_fit_returning_too_few_draws_names_the_site():
    few = lambda model, key: {"mu": jnp.zeros((10,))}
    with pytest.raises(ValueError, match="thinning impossible.*'mu'"):
        pplx.sbc(normal_mean(jnp.zeros(3)), jax.random.key(0), 4, fit=few)


# ----- slow: five models at 1000 simulations (make test-all) ----------------------------
SLOW_MODELS = [
    "normal_mean",
    "eight_schools_noncentered",
    "logistic_regression",
    "hierarchical_poisson",
    "dirichlet_categorical",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_MODELS)
def test_five_models_pass_sbc_at_1000_simulations(name):
    from bench.sbc_models import bound_models

    # 300 warmup + 495 draws thinned by 5 to L = 99: ESS of the kept draws near L
    # eight schools in batches of 50: vmapped NUTS waits for the batch's longest
    # trajectory, and HalfCauchy(5) draws of tau make some very long (measured: 73 CPU s
    # in batches of 50; all 1000 in one vmap did not finish in 40 minutes on loaded cores)
    batch = 50 if name == "eight_schools_noncentered" else None
    res = pplx.sbc(
        bound_models()[name],
        jax.random.key(0),
        1000,
        num_warmup=300,
        num_samples=495,
        batch_size=batch,
    )
    assert res.num_simulations == 1000
    assert res.all_passed, res.table()
    assert np.nanmedian(res.ess) > 0.6 * 99
    # divergent fits are rare (measured: hierarchical Poisson 5.1%, eight schools 1.6%)
    assert np.mean(res.info["num_divergent"] > 0) < 0.1
