"""Hurdles, ``NormalMixture``, ``CustomDist``, ``TransformedDistribution``: the generic
table checks (``test_dist_families``) over ``COMBINATOR_CASES``, plus total-mass checks
by summation or ``scipy.integrate.quad`` for these and for ``Mixture``, ``Truncated``
and ``Censored``, validation errors, and ``CustomDist`` as a model site."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dist_cases_combinators import COMBINATOR_CASES
from scipy import integrate, stats
from test_dist_families import NUM_DRAWS, _check_density, _check_draws, _check_shapes, _sample

import pplx
import pplx.distributions as dist
from pplx.distributions import constraints
from pplx.distributions.bijectors import Exp
from pplx.distributions.combinators.custom import CustomDist
from pplx.distributions.combinators.hurdle import (
    Hurdle,
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
    _zt_inverse_cdf,
    _zt_resample,
)
from pplx.distributions.combinators.mixtures import NormalMixture
from pplx.distributions.combinators.transformed import TransformedDistribution


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in COMBINATOR_CASES])
def test_family(case):
    d = case.make(**case.batched)
    draws = np.asarray(_sample(d, jax.random.key(0), (NUM_DRAWS,)))
    _check_shapes(case, draws)
    _check_draws(case, draws)
    _check_density(case, draws[:5])


# ------------------------------------------------------------------------ total mass


def _density_fn(d):
    """A host function ``x -> exp(log_prob(x))`` compiled once, for ``quad``."""
    fn = jax.jit(lambda x: jnp.exp(d.log_prob(x)))
    return lambda x: float(fn(jnp.asarray(x, float)))


def test_discrete_hurdle_sums_to_one():
    hurdles = [
        HurdlePoisson(0.3, 4.0),
        HurdleNegativeBinomial(0.6, 3.0, 0.8),
        Hurdle(0.45, dist.Binomial(6, probs=0.3)),
    ]
    k = jnp.arange(201)
    pmfs = jax.jit(lambda ds: [jnp.exp(d.log_prob(k)) for d in ds])(hurdles)
    for d, pmf in zip(hurdles, pmfs, strict=True):
        np.testing.assert_allclose(np.sum(pmf), 1.0, rtol=1e-10, err_msg=type(d).__name__)
        np.testing.assert_allclose(pmf[0], 1.0 - float(d.psi), rtol=1e-12)


@pytest.mark.parametrize(
    "d", [HurdleGamma(0.35, 2.5, 1.5), HurdleLogNormal(0.8, 0.2, 0.7)], ids=["Gamma", "LogNormal"]
)
def test_continuous_hurdle_integrates_to_psi(d):
    psi = float(d.psi)
    mass, _ = integrate.quad(_density_fn(d), 0.0, np.inf, epsabs=1e-11, epsrel=1e-11)
    np.testing.assert_allclose(mass, psi, rtol=1e-8)
    np.testing.assert_allclose(float(jnp.exp(d.log_prob(0.0))), 1.0 - psi, rtol=1e-12)
    draws = np.asarray(d.sample(jax.random.key(1), (20_000,)))
    assert abs((draws == 0).mean() - (1 - psi)) < 5 * np.sqrt(psi * (1 - psi) / draws.size)


@pytest.mark.parametrize(
    "d",
    [
        dist.Mixture(np.array([0.2, 0.8]), [dist.Normal(-1.0, 0.5), dist.StudentT(4.0, 2.0, 1.5)]),
        dist.Mixture(np.array([0.6, 0.4]), dist.Gamma(np.array([2.0, 7.0]), 1.5)),
        NormalMixture(np.array([0.2, 0.3, 0.5]), np.array([-3.0, 0.0, 4.0]), np.array([1, 2, 0.5])),
        TransformedDistribution(dist.Gamma(2.5, 1.5), Exp()),
    ],
    ids=["Mixture-list", "Mixture-gamma", "NormalMixture", "Transformed-Gamma-Exp"],
)
def test_density_integrates_to_one(d):
    mass, _ = integrate.quad(_density_fn(d), -np.inf, np.inf, epsabs=1e-11, limit=200)
    np.testing.assert_allclose(mass, 1.0, rtol=1e-8)


def test_truncated_mass_within_bounds():
    d = dist.Truncated(dist.Normal(0.5, 1.5), low=-1.0, high=4.0)
    mass, _ = integrate.quad(_density_fn(d), -1.0, 4.0, epsabs=1e-12)
    np.testing.assert_allclose(mass, 1.0, rtol=1e-10)
    assert np.all(np.isneginf(np.asarray(d.log_prob(jnp.array([-1.01, 4.01])))))
    # A discrete base: the renormalised mass on {2, ..., 7} sums to one.
    p = dist.Truncated(dist.Poisson(3.0), low=2, high=7)
    pmf = np.exp(np.asarray(p.log_prob(jnp.arange(0, 12))))
    np.testing.assert_allclose(pmf.sum(), 1.0, rtol=1e-12)
    assert np.all(pmf[[0, 1, 8, 9, 10, 11]] == 0)


def test_censored_mass_at_bounds_is_base_tails():
    low, high = -0.5, 1.0
    d = dist.Censored(dist.Normal(0.5, 1.2), low=low, high=high)
    at_low = float(jnp.exp(d.log_prob(low)))
    at_high = float(jnp.exp(d.log_prob(high)))
    np.testing.assert_allclose(at_low, stats.norm.cdf(low, 0.5, 1.2), rtol=1e-12)
    np.testing.assert_allclose(at_high, stats.norm.sf(high, 0.5, 1.2), rtol=1e-12)
    inside, _ = integrate.quad(_density_fn(d), low, high, epsabs=1e-12)
    np.testing.assert_allclose(inside + at_low + at_high, 1.0, rtol=1e-10)
    draws = np.asarray(d.sample(jax.random.key(0), (20_000,)))
    se = np.sqrt(at_low * (1 - at_low) / draws.size)
    assert abs((draws == low).mean() - at_low) < 5 * se


@pytest.mark.parametrize("sampler", [_zt_inverse_cdf, _zt_resample], ids=["icdf", "resample"])
def test_generic_zero_truncated_samplers(sampler):
    """The paths for discrete bases without a dedicated sampler, against the pmf."""
    draws = np.asarray(sampler(dist.Poisson(0.8), jax.random.key(3), (20_000,), ()))
    k = np.arange(1, 6)
    want = stats.poisson.pmf(k, 0.8) / -np.expm1(-0.8)
    got = np.array([(draws == i).mean() for i in k])
    assert draws.min() >= 1
    assert np.all(np.abs(got - want) < 5 * np.sqrt(want * (1 - want) / draws.size))


# -------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: HurdlePoisson(1.5, 2.0), "HurdlePoisson: psi must be in"),
        (lambda: HurdleNegativeBinomial(-0.1, 2.0, 1.0), "HurdleNegativeBinomial: psi"),
        (lambda: HurdleNegativeBinomial(0.5, 2.0, 0.0), "HurdleNegativeBinomial: alpha"),
        (lambda: HurdleGamma(0.5, -1.0, 1.0), "HurdleGamma: alpha must be positive"),
        (lambda: HurdleLogNormal(0.5, 0.0, -1.0), "HurdleLogNormal: sigma must be positive"),
        (lambda: Hurdle(0.5, dist.Normal(0.0, 1.0)), "Hurdle: the base's support"),
        (lambda: Hurdle(2.0, dist.Poisson(1.0)), "Hurdle: psi must be in"),
        (lambda: NormalMixture(np.full(2, 0.5), np.zeros(2), -1.0), "NormalMixture: sigma"),
        (lambda: NormalMixture(np.ones(2), np.zeros(2), 1.0), "NormalMixture: w must sum to 1"),
        (lambda: NormalMixture(np.array([-0.5, 1.5]), np.zeros(2), 1.0), "NormalMixture: w"),
        (lambda: NormalMixture(np.ones(2), np.zeros(2)), "exactly one of sigma or tau"),
        (lambda: TransformedDistribution(dist.Poisson(1.0), Exp()), "must be continuous"),
        (
            lambda: CustomDist(lambda x: x, support=constraints.nonnegative_integer),
            "make them agree",
        ),
        (
            lambda: CustomDist(lambda x: -jnp.sum(x**2), batch_shape=(3,)).log_prob(jnp.zeros(3)),
            "logp_fn returned shape",
        ),
    ],
)
def test_invalid_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_custom_dist_without_sampler_says_what_to_pass():
    d = CustomDist(lambda x: -0.5 * x**2)
    with pytest.raises(NotImplementedError, match="pass sample_fn="):
        d.sample(jax.random.key(0))


def test_traced_parameters_are_not_validated():
    """Under jit nothing is checked on the host, even for invalid values."""

    @jax.jit
    def run(psi, mu, sigma):
        return (
            HurdlePoisson(psi, mu).log_prob(2)
            + HurdleNegativeBinomial(psi, mu, sigma).log_prob(2)
            + HurdleGamma(psi, mu, sigma).log_prob(1.0)
            + HurdleLogNormal(psi, mu, sigma).log_prob(1.0)
            + NormalMixture(jnp.stack([psi, psi]), jnp.stack([mu, mu]), sigma).log_prob(0.0)
        )

    run(1.5, 2.0, -1.0)  # no exception
    keys = jax.random.split(jax.random.key(0), 3)
    draws = jax.vmap(lambda k, psi: HurdleLogNormal(psi, 0.0, 1.0).sample(k, (4,)))(
        keys, jnp.array([0.1, 0.5, 0.9])
    )
    assert draws.shape == (3, 4)


def test_normal_mixture_precision_form():
    w, mu = np.array([0.3, 0.7]), np.array([-1.0, 2.0])
    x = jnp.array([-1.0, 0.0, 2.5])
    by_tau = NormalMixture(w, mu, tau=np.array([4.0, 0.25]))
    by_sigma = NormalMixture(w, mu, np.array([0.5, 2.0]))
    np.testing.assert_allclose(by_tau.log_prob(x), by_sigma.log_prob(x), rtol=1e-12)
    np.testing.assert_allclose(by_tau.variance, by_sigma.variance, rtol=1e-12)


def test_transformed_exp_matches_lognormal():
    loc, scale = np.array([0.0, 1.0, -0.5]), 0.7
    t = TransformedDistribution(dist.Normal(loc, scale), Exp())
    x = jnp.array([0.3, 1.0, 4.0])
    np.testing.assert_allclose(t.log_prob(x), dist.LogNormal(loc, scale).log_prob(x), rtol=1e-12)
    assert t.support.name == "positive" and t.batch_shape == (3,)


# ------------------------------------------------------------------ CustomDist in a model


def _normal_logp(x, loc, scale):
    x, loc, scale = jnp.broadcast_arrays(x, loc, scale)
    return -0.5 * ((x - loc) / scale) ** 2 - jnp.log(scale) - 0.5 * np.log(2 * np.pi)


def _halfnormal_logp(x, scale):
    return 0.5 * np.log(2 / np.pi) - jnp.log(scale) - 0.5 * (x / scale) ** 2


@pplx.model
def custom_model(y=None):
    loc = pplx.sample("loc", dist.Normal(0.0, 2.0))
    scale = pplx.sample(
        "scale", CustomDist(_halfnormal_logp, params=(1.5,), support=constraints.positive)
    )
    with pplx.plate("obs", 4):
        pplx.sample("y", CustomDist(_normal_logp, params=(loc, scale)), obs=y)


def test_custom_dist_in_a_model():
    y = np.array([0.3, -1.2, 2.0, 0.7])
    m = custom_model(y=y)
    assert [s.name for s in m.free_vars] == ["loc", "scale"]
    assert m.named_vars["scale"].support == "positive"
    for seed in range(3):
        loc, log_scale = np.random.default_rng(seed).normal(size=2)
        scale = np.exp(log_scale)
        want = stats.norm.logpdf(loc, 0, 2) + stats.halfnorm.logpdf(scale, scale=1.5)
        want += stats.norm.logpdf(y, loc, scale).sum() + log_scale
        got = m.logdensity(jnp.array([loc, log_scale]))
        np.testing.assert_allclose(got, want, rtol=1e-10)
    grad = m.dlogp(jnp.array([0.1, -0.2]))
    assert bool(jnp.all(jnp.isfinite(grad)))


def test_censored_discrete_base_has_an_integer_support():
    d = dist.Censored(dist.Poisson(3.0), 1.0, 6.0)
    assert d.is_discrete and d.support.is_discrete
    assert bool(d.support.check(jnp.asarray(4.0))) and not bool(d.support.check(4.5))
    assert float(d.log_prob(4.5)) == -np.inf
    assert not dist.Censored(dist.Normal(0.0, 1.0), -1.0, 1.0).support.is_discrete
