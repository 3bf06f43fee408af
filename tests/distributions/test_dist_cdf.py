"""``cdf`` and ``icdf`` against scipy (or a hand formula), icdf(cdf(x)) == x, the
values outside the support, floor semantics for discrete families, finite gradients."""

from __future__ import annotations

import functools
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import pplx.distributions as dist


class Row(NamedTuple):
    name: str
    dist: dist.Distribution
    oracle: object  # a frozen scipy distribution, or a cdf function
    x: np.ndarray  # points inside the support
    has_icdf: bool
    below: tuple = ()  # points below the support: cdf 0
    above: tuple = ()  # points at or above the top of the support: cdf 1
    rtol: float = 1e-9
    param_grad: bool = True  # False where betainc sees a parameter as a or b


def _f(*xs):
    return np.array(xs, dtype=float)


X = _f(-1.5, 0.2, 0.7, 2.5)
POS = abs(X)
UNIT = abs(X) / 3
COUNTS = _f(0.0, 1.0, 3.0, 7.0)
BELOW0 = (-2.0, -0.5)
CAT_PROBS = np.array([0.1, 0.2, 0.3, 0.4])
CUTS = np.array([-1.0, 0.5, 2.0])


def _table(values, probs):
    return stats.rv_discrete(values=(np.asarray(values), np.asarray(probs)))


def _ordinal_oracle(link, eta=0.4):
    inner = link(CUTS - eta)
    return _table(np.arange(4), np.diff(np.concatenate([[0.0], inner, [1.0]])))


def _zero_inflated(gate, base):
    return lambda x: np.where(x < 0, 0.0, gate + (1 - gate) * base.cdf(x))


def _disc_weibull(q, beta):
    return lambda x: np.where(x < 0, 0.0, 1 - q ** ((np.floor(x) + 1) ** beta))


def _half_t(df, scale):
    return lambda x: 2 * stats.t(df).cdf(x / scale) - 1


def _logit_normal(loc, scale):
    return lambda x: stats.norm(loc, scale).cdf(special.logit(x))


def _kumaraswamy(a, b):
    return lambda x: 1 - (1 - x**a) ** b


def _truncnorm(loc, scale, low, high):
    return stats.truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale)


# fmt: off
CONTINUOUS = [
    Row("Normal", dist.Normal(0.3, 1.7), stats.norm(0.3, 1.7), X, True),
    Row("HalfNormal", dist.HalfNormal(1.3), stats.halfnorm(scale=1.3), POS, True, BELOW0),
    Row("Cauchy", dist.Cauchy(-0.4, 0.8), stats.cauchy(-0.4, 0.8), X, True),
    Row("HalfCauchy", dist.HalfCauchy(1.3), stats.halfcauchy(scale=1.3), POS, True, BELOW0),
    Row("StudentT", dist.StudentT(4.5, 0.3, 1.7), stats.t(4.5, 0.3, 1.7),
        _f(-40.0, -1.5, 0.2, 0.3, 0.7, 2.5, 40.0), False, param_grad=False),
    Row("StudentT-df<1", dist.StudentT(0.7, 0.3, 1.7), stats.t(0.7, 0.3, 1.7),
        _f(-300.0, -1.5, 0.3, 2.5, 300.0), False, param_grad=False),
    Row("HalfStudentT", dist.HalfStudentT(3.0, 1.3), _half_t(3.0, 1.3),
        _f(0.2, 0.7, 1.5, 2.5, 30.0), False, BELOW0, param_grad=False),
    Row("Exponential", dist.Exponential(2.5), stats.expon(scale=0.4), POS, True, BELOW0),
    Row("Gamma", dist.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5), POS, False, BELOW0),
    Row("Gamma-a<1", dist.Gamma(0.4, 1.5), stats.gamma(0.4, scale=1 / 1.5), POS, False, BELOW0),
    Row("Beta", dist.Beta(2.0, 3.5), stats.beta(2.0, 3.5), UNIT, False, BELOW0, (1.0, 1.5),
        param_grad=False),
    Row("LogNormal", dist.LogNormal(0.2, 0.5), stats.lognorm(0.5, scale=np.exp(0.2)), POS, True,
        (-1.0, 0.0)),
    Row("Uniform", dist.Uniform(-2.0, 3.0), stats.uniform(-2.0, 5.0), X, True, (-3.0, -2.0),
        (3.0, 4.0)),
    Row("Laplace", dist.Laplace(0.3, 0.8), stats.laplace(0.3, 0.8), X, True),
    Row("Logistic", dist.Logistic(0.3, 0.8), stats.logistic(0.3, 0.8), X, True),
    Row("Gumbel", dist.Gumbel(0.3, 0.8), stats.gumbel_r(0.3, 0.8), X, True),
    Row("Moyal", dist.Moyal(0.3, 0.8), stats.moyal(0.3, 0.8), X, True),
    Row("Weibull", dist.Weibull(1.5, 2.0), stats.weibull_min(2.0, scale=1.5), POS, True, BELOW0),
    Row("Weibull-k<1", dist.Weibull(1.5, 0.6), stats.weibull_min(0.6, scale=1.5), POS, True,
        BELOW0),
    Row("TruncatedNormal", dist.TruncatedNormal(0.3, 1.7, -1.0, 2.6),
        _truncnorm(0.3, 1.7, -1.0, 2.6), _f(-0.9, 0.2, 0.7, 2.5), True, (-1.5, -1.0),
        (2.6, 3.0)),
    Row("TruncatedNormal-tail", dist.TruncatedNormal(0.0, 1.0, low=2.0),
        _truncnorm(0.0, 1.0, 2.0, np.inf), _f(2.1, 3.0, 5.0), True, (1.0, 2.0)),
    Row("TruncatedNormal-upper", dist.TruncatedNormal(0.3, 1.7, high=0.5),
        _truncnorm(0.3, 1.7, -np.inf, 0.5), _f(-3.0, -1.5, 0.2), True, (), (0.5, 2.0)),
    Row("LogitNormal", dist.LogitNormal(0.2, 0.8), _logit_normal(0.2, 0.8),
        _f(0.05, 0.3, 0.6, 0.95), True, (-0.1, 0.0), (1.0, 1.5)),
    Row("AsymmetricLaplace", dist.AsymmetricLaplace(0.3, 0.8, 1.7),
        stats.laplace_asymmetric(1.7, 0.3, 0.8), _f(-30.0, -1.5, 0.2, 0.7, 2.5, 8.0), True),
    Row("AsymmetricLaplace-k<1", dist.AsymmetricLaplace(0.3, 0.8, 0.6),
        stats.laplace_asymmetric(0.6, 0.3, 0.8), X, True),
    Row("SkewNormal", dist.SkewNormal(0.3, 1.7, 2.5), stats.skewnorm(2.5, 0.3, 1.7), X, False),
    Row("SkewNormal-neg", dist.SkewNormal(0.3, 1.7, -1.5), stats.skewnorm(-1.5, 0.3, 1.7), X,
        False),
    Row("ExGaussian", dist.ExGaussian(0.3, 0.8, 1.5), stats.exponnorm(1.5 / 0.8, 0.3, 0.8),
        _f(-6.0, -1.5, 0.2, 0.7, 2.5, 20.0), False),
    # v = scale/nu = 40: exp(v^2/2 - u v) alone overflows in the textbook formula.
    Row("ExGaussian-narrow-exp", dist.ExGaussian(0.3, 4.0, 0.1),
        stats.exponnorm(0.1 / 4.0, 0.3, 4.0), _f(-12.0, -1.5, 0.7, 9.0), False),
    Row("InverseGamma", dist.InverseGamma(2.5, 1.5), stats.invgamma(2.5, scale=1.5),
        _f(0.05, 0.2, 0.7, 2.5, 40.0), False, BELOW0 + (0.0,)),
    Row("ChiSquared", dist.ChiSquared(3.5), stats.chi2(3.5), POS, False, BELOW0 + (0.0,)),
    Row("Pareto", dist.Pareto(1.2, 2.5), stats.pareto(2.5, scale=1.2), _f(1.3, 2.0, 5.0, 40.0),
        True, (-1.0, 0.5, 1.2)),
    Row("Kumaraswamy", dist.Kumaraswamy(2.0, 3.5), _kumaraswamy(2.0, 3.5), UNIT, True,
        BELOW0 + (0.0,), (1.0, 1.5)),
    Row("Triangular", dist.Triangular(-1.0, 0.5, 3.0), stats.triang(1.5 / 4, -1.0, 4.0),
        _f(-0.9, 0.2, 0.7, 2.5), True, (-1.5, -1.0), (3.0, 4.0)),
    Row("Triangular-mode-at-low", dist.Triangular(0.0, 0.0, 2.0), stats.triang(0.0, 0.0, 2.0),
        _f(0.1, 1.0, 1.9), True, (-1.0, 0.0), (2.0, 3.0)),
    Row("Wald", dist.Wald(1.5, 2.0), stats.invgauss(1.5 / 2.0, scale=2.0), POS, False,
        BELOW0 + (0.0,)),
    # 2 lam / mu = 1600: exp(2 lam / mu) alone overflows.
    Row("Wald-large-lam", dist.Wald(0.5, 400.0), stats.invgauss(0.5 / 400.0, scale=400.0),
        _f(0.4, 0.5, 0.6), False, BELOW0),
]

DISCRETE = [
    Row("Poisson", dist.Poisson(3.5), stats.poisson(3.5), COUNTS, False, BELOW0),
    Row("Bernoulli", dist.Bernoulli(probs=0.3), stats.bernoulli(0.3), _f(0, 1), True, BELOW0,
        (1.0, 2.5)),
    Row("Bernoulli-logits", dist.Bernoulli(logits=-0.4),
        stats.bernoulli(special.expit(-0.4)), _f(0, 1), True, BELOW0, (1.0, 2.5)),
    Row("Binomial", dist.Binomial(10, probs=0.35), stats.binom(10, 0.35), _f(0, 3, 7, 9), False,
        BELOW0, (10.0, 12.5)),
    Row("Binomial-logits", dist.Binomial(10, logits=0.7), stats.binom(10, special.expit(0.7)),
        _f(0, 3, 7, 9), False, BELOW0, (10.0, 12.5)),
    # pplx counts failures before the first success; scipy counts trials.
    Row("Geometric", dist.Geometric(probs=0.3), stats.geom(0.3, loc=-1), COUNTS, True, BELOW0),
    Row("NegativeBinomial", dist.NegativeBinomial(2.5, probs=0.4), stats.nbinom(2.5, 0.6),
        COUNTS, False, BELOW0, param_grad=False),
    Row("NegativeBinomial2", dist.NegativeBinomial2(3.0, 2.0), stats.nbinom(2.0, 2.0 / 5.0),
        COUNTS, False, BELOW0, param_grad=False),
    Row("DiscreteUniform", dist.DiscreteUniform(-2, 5), stats.randint(-2, 6), _f(-2, 0, 3, 4),
        True, (-3.0, -2.5), (5.0, 7.5)),
    Row("Categorical", dist.Categorical(probs=CAT_PROBS), _table(range(4), CAT_PROBS),
        _f(0, 1, 2), True, BELOW0, (3.0, 4.5)),
    Row("OrderedLogistic", dist.OrderedLogistic(0.4, CUTS), _ordinal_oracle(special.expit),
        _f(0, 1, 2), True, BELOW0, (3.0, 4.5)),
    Row("OrderedProbit", dist.OrderedProbit(0.4, CUTS), _ordinal_oracle(stats.norm.cdf),
        _f(0, 1, 2), True, BELOW0, (3.0, 4.5)),
    Row("ZeroInflatedPoisson", dist.ZeroInflatedPoisson(0.3, 2.5),
        _zero_inflated(0.3, stats.poisson(2.5)), COUNTS, False, BELOW0),
    Row("ZeroInflatedNegativeBinomial", dist.ZeroInflatedNegativeBinomial(0.3, 3.0, 2.0),
        _zero_inflated(0.3, stats.nbinom(2.0, 0.4)), COUNTS, False, BELOW0, param_grad=False),
    Row("ZeroInflatedBinomial", dist.ZeroInflatedBinomial(0.3, 10, 0.35),
        _zero_inflated(0.3, stats.binom(10, 0.35)), _f(0, 3, 7, 9), False, BELOW0, (10.0, 11.5)),
    Row("DiscreteWeibull", dist.DiscreteWeibull(0.6, 1.3), _disc_weibull(0.6, 1.3), COUNTS,
        True, BELOW0),
    # Support {3, ..., 6}.
    Row("HyperGeometric", dist.HyperGeometric(10, 7, 6), stats.hypergeom(10, 7, 6), _f(3, 4, 5),
        True, (2.0, 2.5), (6.0, 8.5)),
]
# fmt: on

ROWS = CONTINUOUS + DISCRETE
BY_NAME = {r.name: r for r in ROWS}
Q = _f(0.01, 0.3, 0.5, 0.9, 0.99)
assert len(BY_NAME) == len(ROWS)


@functools.cache
def _results(name):
    """Everything the tests below check for one row, from a single compiled call."""
    row = BY_NAME[name]
    discrete = row.dist.is_discrete
    points = np.concatenate([row.x, _f(*row.below), _f(*row.above)])

    def run(d):
        out = {"cdf": d.cdf(row.x), "below": d.cdf(_f(*row.below))}
        out["above"] = d.cdf(_f(*row.above))
        if row.has_icdf:
            out["back"], out["ppf"] = d.icdf(out["cdf"]), d.icdf(Q)
        if discrete:
            out["half"], out["ints"] = d.cdf(row.x + 0.5), d.cdf(row.x.astype(int))
        if discrete and row.has_icdf:
            out["steps"] = d.icdf(jnp.nextafter(d.cdf(row.x - 1.0), 1.0))
            out["nan"] = d.icdf(_f(-0.1, 1.5))
        out["grad_x"] = jax.grad(lambda x: jnp.sum(d.cdf(x)))(points)
        out["density"] = jnp.exp(d.log_prob(row.x))
        if row.param_grad:
            out["grad_params"] = jax.tree_util.tree_leaves(
                eqx.filter_grad(lambda d: jnp.sum(d.cdf(points)))(d)
            )
        return out

    return jax.tree_util.tree_map(np.asarray, eqx.filter_jit(run)(row.dist))


def _params(rows):
    return [pytest.param(r, id=r.name) for r in rows]


def _oracle_cdf(row, x):
    return getattr(row.oracle, "cdf", row.oracle)(x)


@pytest.mark.parametrize("row", _params(ROWS))
def test_cdf_matches_oracle(row):
    got = _results(row.name)["cdf"]
    np.testing.assert_allclose(got, _oracle_cdf(row, row.x), rtol=row.rtol, atol=1e-12)


@pytest.mark.parametrize("row", _params([r for r in ROWS if r.has_icdf]))
def test_icdf_inverts_cdf(row):
    back = _results(row.name)["back"]
    if row.dist.is_discrete:
        np.testing.assert_array_equal(back, row.x)
    else:
        np.testing.assert_allclose(back, row.x, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    "row", _params([r for r in ROWS if r.has_icdf and hasattr(r.oracle, "ppf")])
)
def test_icdf_matches_ppf(row):
    got = _results(row.name)["ppf"]
    if row.dist.is_discrete:
        np.testing.assert_array_equal(got, row.oracle.ppf(Q))
    else:
        np.testing.assert_allclose(got, row.oracle.ppf(Q), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("row", _params([r for r in ROWS if r.below or r.above]))
def test_cdf_outside_support(row):
    res = _results(row.name)
    np.testing.assert_array_equal(res["below"], np.zeros(len(row.below)))
    np.testing.assert_array_equal(res["above"], np.ones(len(row.above)))


@pytest.mark.parametrize("row", _params(DISCRETE))
def test_discrete_cdf_floors(row):
    # cdf(x) = P(X <= floor(x)), for float and integer inputs alike.
    res = _results(row.name)
    np.testing.assert_array_equal(res["half"], res["cdf"])
    np.testing.assert_array_equal(res["ints"], res["cdf"])


@pytest.mark.parametrize("row", _params([r for r in DISCRETE if r.has_icdf]))
def test_discrete_icdf_steps(row):
    # Just above cdf(k - 1) the answer is already k; outside [0, 1] it is NaN.
    res = _results(row.name)
    np.testing.assert_array_equal(res["steps"], row.x)
    assert np.isnan(res["nan"]).all()


@pytest.mark.parametrize("row", _params(CONTINUOUS))
def test_cdf_derivative_is_density(row):
    res = _results(row.name)
    np.testing.assert_allclose(res["grad_x"][: len(row.x)], res["density"], rtol=1e-8)


@pytest.mark.parametrize("row", _params(ROWS))
def test_cdf_gradients_finite(row):
    # In the value everywhere (inside, below and above the support), and in the
    # parameters where betainc does not see them as its shape arguments.
    res = _results(row.name)
    assert np.isfinite(res["grad_x"]).all()
    for leaf in res.get("grad_params", []):
        assert np.isfinite(leaf).all()


def test_icdf_grad_truncated_normal():
    # Sampling a truncated normal by inversion: finite gradients in loc and scale.
    def f(loc, scale):
        return jnp.sum(dist.TruncatedNormal(loc, scale, low=0.0).icdf(_f(0.1, 0.5, 0.9)))

    grads = jax.jit(jax.grad(f, argnums=(0, 1)))(0.3, 1.2)
    assert np.isfinite(grads).all()


def test_expanded_passes_cdf_and_icdf_through():
    d = dist.Normal(0.3, 1.7).expand((2, 3))
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(d.cdf(x), np.broadcast_to(stats.norm(0.3, 1.7).cdf(x), (2, 3)))
    np.testing.assert_allclose(d.icdf(d.cdf(x)), np.broadcast_to(x, (2, 3)), atol=1e-12)
