"""More rows of the distribution table (see ``dist_cases.py``)."""

from __future__ import annotations

import numpy as np
from dist_cases import Case, _categorical_oracle
from scipy import special as sps
from scipy import stats

import pplx.distributions as dist

EXTRA_CASES = []


def _logitnormal(p, x):
    logit = np.log(x) - np.log1p(-x)
    return stats.norm.logpdf(logit, p["loc"], p["scale"]) - np.log(x) - np.log1p(-x)


def _kumaraswamy(p, x):
    a, b = p["concentration1"], p["concentration0"]
    return np.log(a) + np.log(b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-(x**a))


def _truncnorm(p, x):
    a = (p["low"] - p["loc"]) / p["scale"]
    b = (p["high"] - p["loc"]) / p["scale"]
    return stats.truncnorm.logpdf(x, a, b, p["loc"], p["scale"])


_LOC3 = np.array([0.0, 1.0, -2.0])
_SCALE2 = np.array([[0.5], [2.0]])

EXTRA_CASES += [
    Case(
        "TruncatedNormal",
        dist.TruncatedNormal,
        dict(loc=0.5, scale=1.5, low=-1.0, high=4.0),
        dict(loc=_LOC3, scale=_SCALE2, low=np.array([-np.inf, 0.0, 1.0]), high=3.0),
        _truncnorm,
        outside=-2.0,
        grad_params=("loc", "scale", "high"),
    ),
    Case(
        "TruncatedNormal-tail",
        dist.TruncatedNormal,
        dict(loc=0.0, scale=1.0, low=6.0, high=np.inf),
        dict(loc=_LOC3, scale=_SCALE2, low=5.0, high=np.inf),
        _truncnorm,
        outside=4.0,
        grad_params=("loc", "scale", "low"),
        rtol=1e-6,
    ),
    Case(
        "LogitNormal",
        dist.LogitNormal,
        dict(loc=0.3, scale=0.8),
        dict(loc=_LOC3, scale=_SCALE2),
        _logitnormal,
        moments=False,
        outside=1.2,
        grad_params=("loc", "scale"),
    ),
    Case(
        "Laplace",
        dist.Laplace,
        dict(loc=0.3, scale=0.8),
        dict(loc=_LOC3, scale=_SCALE2),
        lambda p, x: stats.laplace.logpdf(x, p["loc"], p["scale"]),
        grad_params=("loc", "scale"),
    ),
    Case(
        "Logistic",
        dist.Logistic,
        dict(loc=0.3, scale=0.8),
        dict(loc=_LOC3, scale=_SCALE2),
        lambda p, x: stats.logistic.logpdf(x, p["loc"], p["scale"]),
        grad_params=("loc", "scale"),
    ),
    Case(
        "Gumbel",
        dist.Gumbel,
        dict(loc=0.3, scale=0.8),
        dict(loc=_LOC3, scale=_SCALE2),
        lambda p, x: stats.gumbel_r.logpdf(x, p["loc"], p["scale"]),
        grad_params=("loc", "scale"),
    ),
    Case(
        "Moyal",
        dist.Moyal,
        dict(loc=0.3, scale=0.8),
        dict(loc=_LOC3, scale=_SCALE2),
        lambda p, x: stats.moyal.logpdf(x, p["loc"], p["scale"]),
        grad_params=("loc", "scale"),
    ),
    Case(
        "InverseGamma",
        dist.InverseGamma,
        dict(concentration=6.0, rate=2.0),
        dict(concentration=np.array([5.0, 7.0, 9.0]), rate=np.array([[1.0], [3.0]])),
        lambda p, x: stats.invgamma.logpdf(x, p["concentration"], scale=p["rate"]),
        outside=-1.0,
        grad_params=("concentration", "rate"),
    ),
    Case(
        "Weibull",
        dist.Weibull,
        dict(scale=1.5, concentration=2.0),
        dict(scale=np.array([0.5, 1.0, 3.0]), concentration=np.array([[0.8], [3.0]])),
        lambda p, x: stats.weibull_min.logpdf(x, p["concentration"], scale=p["scale"]),
        outside=-1.0,
        grad_params=("scale", "concentration"),
    ),
    Case(
        "Pareto",
        dist.Pareto,
        dict(scale=1.0, alpha=6.0),
        dict(scale=np.array([0.5, 1.0, 3.0]), alpha=np.array([[5.0], [8.0]])),
        lambda p, x: stats.pareto.logpdf(x, p["alpha"], scale=p["scale"]),
        outside=0.5,
        grad_params=("alpha",),
    ),
    Case(
        "ChiSquared",
        dist.ChiSquared,
        dict(df=3.0),
        dict(df=np.array([1.5, 4.0, 10.0])),
        lambda p, x: stats.chi2.logpdf(x, p["df"]),
        outside=-1.0,
        grad_params=("df",),
    ),
    Case(
        "HalfStudentT",
        dist.HalfStudentT,
        dict(df=7.0, scale=1.5),
        dict(df=np.array([6.0, 12.0]), scale=np.array([[0.5], [2.0]])),
        lambda p, x: np.log(2) + stats.t.logpdf(x, p["df"], scale=p["scale"]),
        outside=-1.0,
        grad_params=("df", "scale"),
    ),
    Case(
        "Kumaraswamy",
        dist.Kumaraswamy,
        dict(concentration1=2.0, concentration0=3.0),
        dict(concentration1=np.array([0.8, 2.0, 5.0]), concentration0=np.array([[1.5], [4.0]])),
        _kumaraswamy,
        outside=1.5,
        grad_params=("concentration1", "concentration0"),
    ),
    Case(
        "SkewNormal",
        dist.SkewNormal,
        dict(loc=0.3, scale=0.8, alpha=2.0),
        dict(loc=_LOC3, scale=_SCALE2, alpha=np.array([-3.0, 0.0, 1.0])),
        lambda p, x: stats.skewnorm.logpdf(x, p["alpha"], p["loc"], p["scale"]),
        grad_params=("loc", "scale", "alpha"),
    ),
    Case(
        "AsymmetricLaplace",
        dist.AsymmetricLaplace,
        dict(loc=0.3, scale=0.8, asymmetry=2.0),
        dict(loc=_LOC3, scale=_SCALE2, asymmetry=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.laplace_asymmetric.logpdf(x, p["asymmetry"], p["loc"], p["scale"]),
        grad_params=("loc", "scale", "asymmetry"),
    ),
    Case(
        "ExGaussian",
        dist.ExGaussian,
        dict(loc=0.3, scale=0.8, nu=2.0),
        dict(loc=_LOC3, scale=_SCALE2, nu=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.exponnorm.logpdf(x, p["nu"] / p["scale"], p["loc"], p["scale"]),
        grad_params=("loc", "scale", "nu"),
    ),
]


def _zero_inflated(base_logpmf):
    def oracle(p, x):
        g = p["gate"]
        base = base_logpmf(p, x)
        zero = np.logaddexp(np.log(g), np.log1p(-g) + base)
        return np.where(x == 0, zero, np.log1p(-g) + base)

    return oracle


def _nb2(p, x):
    mu, phi = p["mean"], p["concentration"]
    return stats.nbinom.logpmf(x, phi, phi / (mu + phi))


def _ordinal(cdf):
    def oracle(p, x):
        eta = np.asarray(p["predictor"], float)
        c = np.asarray(p["cutpoints"], float)
        batch = np.broadcast_shapes(eta.shape, c.shape[:-1])
        eta = np.broadcast_to(eta, batch)
        c = np.broadcast_to(c, batch + c.shape[-1:])
        f = cdf(c - eta[..., None])
        f = np.concatenate([np.zeros(batch + (1,)), f, np.ones(batch + (1,))], -1)
        probs = np.diff(f, axis=-1)
        return _categorical_oracle({"probs": probs}, x)

    return oracle


_CUTS = np.array([-1.0, 0.5, 2.0])

EXTRA_CASES += [
    Case(
        "NegativeBinomial",
        lambda total_count, probs: dist.NegativeBinomial(total_count, probs=probs),
        dict(total_count=3.0, probs=0.4),
        dict(total_count=np.array([[2.0], [7.5]]), probs=np.array([0.2, 0.5, 0.7])),
        lambda p, x: stats.nbinom.logpmf(x, p["total_count"], 1 - p["probs"]),
        discrete=True,
        outside=-1,
        grad_params=("total_count", "probs"),
    ),
    Case(
        "NegativeBinomial2",
        dist.NegativeBinomial2,
        dict(mean=3.0, concentration=2.0),
        dict(mean=np.array([0.5, 4.0, 10.0]), concentration=np.array([[1.0], [20.0]])),
        _nb2,
        discrete=True,
        outside=0.5,
        grad_params=("mean", "concentration"),
    ),
    Case(
        "Geometric",
        lambda probs: dist.Geometric(probs=probs),
        dict(probs=0.3),
        dict(probs=np.array([0.2, 0.5, 0.9])),
        lambda p, x: stats.geom.logpmf(x + 1, p["probs"]),
        discrete=True,
        outside=-2,
        grad_params=("probs",),
    ),
    Case(
        "BetaBinomial",
        dist.BetaBinomial,
        dict(concentration1=2.0, concentration0=3.0, total_count=10.0),
        dict(
            concentration1=np.array([0.5, 2.0, 5.0]),
            concentration0=np.array([[1.5], [4.0]]),
            total_count=np.array([4.0, 10.0, 20.0]),
        ),
        lambda p, x: stats.betabinom.logpmf(
            x, p["total_count"], p["concentration1"], p["concentration0"]
        ),
        discrete=True,
        outside=11,
        grad_params=("concentration1", "concentration0"),
    ),
    Case(
        "DiscreteUniform",
        dist.DiscreteUniform,
        dict(low=-2.0, high=5.0),
        dict(low=np.array([0.0, 1.0, -3.0]), high=np.array([[4.0], [9.0]])),
        lambda p, x: stats.randint.logpmf(x, p["low"], p["high"] + 1),
        discrete=True,
        outside=6,
    ),
    Case(
        "ZeroInflatedPoisson",
        dist.ZeroInflatedPoisson,
        dict(gate=0.3, rate=2.5),
        dict(gate=np.array([0.1, 0.5, 0.8]), rate=np.array([[1.0], [6.0]])),
        _zero_inflated(lambda p, x: stats.poisson.logpmf(x, p["rate"])),
        discrete=True,
        outside=-1,
        grad_params=("gate", "rate"),
    ),
    Case(
        "ZeroInflatedNegativeBinomial",
        dist.ZeroInflatedNegativeBinomial,
        dict(gate=0.3, mean=2.5, concentration=2.0),
        dict(gate=np.array([0.1, 0.5, 0.8]), mean=np.array([[1.0], [6.0]]), concentration=3.0),
        _zero_inflated(_nb2),
        discrete=True,
        outside=-1,
        grad_params=("gate", "mean", "concentration"),
    ),
    Case(
        "ZeroInflatedBinomial",
        dist.ZeroInflatedBinomial,
        dict(gate=0.3, total_count=8.0, probs=0.4),
        dict(gate=np.array([0.1, 0.5, 0.8]), total_count=np.array([[3.0], [12.0]]), probs=0.6),
        _zero_inflated(lambda p, x: stats.binom.logpmf(x, p["total_count"], p["probs"])),
        discrete=True,
        outside=13,
        grad_params=("gate", "probs"),
    ),
    Case(
        "OrderedLogistic",
        dist.OrderedLogistic,
        dict(predictor=0.3, cutpoints=_CUTS),
        dict(predictor=np.array([-1.0, 0.0, 2.0]), cutpoints=_CUTS),
        _ordinal(sps.expit),
        discrete=True,
        outside=4,
        grad_params=("predictor", "cutpoints"),
        batch_shape=(3,),
    ),
    Case(
        "OrderedProbit",
        dist.OrderedProbit,
        dict(predictor=0.3, cutpoints=_CUTS),
        dict(predictor=np.array([-1.0, 0.0, 2.0]), cutpoints=np.stack([_CUTS, _CUTS + 1, _CUTS])),
        _ordinal(stats.norm.cdf),
        discrete=True,
        outside=-1,
        grad_params=("predictor", "cutpoints"),
        batch_shape=(3,),
    ),
]
