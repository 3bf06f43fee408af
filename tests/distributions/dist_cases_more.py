"""Rows of the distribution table: LKJ, combinators, bounded and multivariate families
(see ``dist_cases.py``; split from ``dist_cases_extra.py`` to keep files short)."""

from __future__ import annotations

import numpy as np
from dist_cases import _CHOL, _LOCS, Case, loop_oracle
from dist_cases_extra import _LOC3, _truncnorm
from scipy import special as sps
from scipy import stats

import pplx.distributions as dist

MORE_CASES = []


def _lkj_norm(n, eta):
    total = 0.0
    for k in range(1, n):
        b = eta + 0.5 * (n - k - 1)
        total += (2 * eta - 2 + n - k) * (n - k) * np.log(2) + (n - k) * sps.betaln(b, b)
    return total


def _lkj_cholesky(x, concentration):
    n = x.shape[-1]
    expo = n - np.arange(n) - 1 + 2 * concentration - 2
    return np.sum(expo * np.log(np.diagonal(x))) - _lkj_norm(n, concentration)


def _lkj_corr(x, concentration):
    n = x.shape[-1]
    return (concentration - 1) * np.linalg.slogdet(x)[1] - _lkj_norm(n, concentration)


MORE_CASES += [
    Case(
        "MvStudentT",
        lambda df, loc, scale_tril: dist.MvStudentT(df, loc, scale_tril=scale_tril),
        dict(df=7.0, loc=np.array([0.5, -1.0, 2.0]), scale_tril=_CHOL),
        dict(df=np.array([6.0, 12.0]), loc=_LOCS, scale_tril=_CHOL),
        loop_oracle(
            lambda x, df, loc, scale_tril: stats.multivariate_t(
                loc, scale_tril @ scale_tril.T, df=df
            ).logpdf(x),
            1,
            {"df": 0, "loc": 1, "scale_tril": 2},
        ),
        event_ndim=1,
        batch_shape=(2,),
        grad_params=("df", "loc", "scale_tril"),
    ),
    Case(
        "Multinomial",
        lambda total_count, probs: dist.Multinomial(total_count, probs=probs),
        dict(total_count=10.0, probs=np.array([0.2, 0.5, 0.3])),
        dict(total_count=np.array([4.0, 12.0]), probs=np.array([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]])),
        loop_oracle(
            lambda x, total_count, probs: stats.multinomial.logpmf(x, total_count, probs),
            1,
            {"total_count": 0, "probs": 1},
        ),
        discrete=True,
        event_ndim=1,
        batch_shape=(2,),
        outside=np.array([1, 1, 1]),
        grad_params=("probs",),
    ),
    Case(
        "LKJCholesky",
        lambda concentration: dist.LKJCholesky(3, concentration),
        dict(concentration=1.5),
        dict(concentration=np.array([0.5, 1.0, 4.0])),
        loop_oracle(_lkj_cholesky, 2, {"concentration": 0}),
        event_ndim=2,
        moments=False,
        outside=np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]),
        grad_params=("concentration",),
        value_grad=False,
    ),
    Case(
        "LKJCorr",
        lambda concentration: dist.LKJCorr(3, concentration),
        dict(concentration=1.5),
        dict(concentration=np.array([0.5, 1.0, 4.0])),
        loop_oracle(_lkj_corr, 2, {"concentration": 0}),
        event_ndim=2,
        moments=False,
        outside=np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.9], [0.0, 0.9, 1.0]]),
        grad_params=("concentration",),
        value_grad=False,
    ),
]


def _mixture_oracle(p, x):
    w = np.asarray(p["weights"], float)
    locs = np.asarray(p["locs"], float)
    comps = stats.norm.logpdf(np.asarray(x)[..., None], locs, p["scale"])
    return sps.logsumexp(comps + np.log(w / w.sum(-1, keepdims=True)), axis=-1)


def _censored_oracle(p, x):
    low, high = p["low"], p["high"]
    inside = stats.norm.logpdf(x, p["loc"], 1.0)
    out = np.where(x <= low, stats.norm.logcdf(low, p["loc"], 1.0), inside)
    out = np.where(x >= high, stats.norm.logsf(high, p["loc"], 1.0), out)
    return np.where((x < low) | (x > high), -np.inf, out)


MORE_CASES += [
    Case(
        "Mixture-same-family",
        lambda weights, locs, scale: dist.Mixture(weights, dist.Normal(locs, scale)),
        dict(weights=np.array([0.3, 0.7]), locs=np.array([-2.0, 1.0]), scale=0.8),
        dict(
            weights=np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]]),
            locs=np.array([-2.0, 1.0]),
            scale=np.array([[0.5], [1.0], [2.0]]),
        ),
        _mixture_oracle,
        batch_shape=(3,),
        grad_params=("weights", "locs", "scale"),
    ),
    Case(
        "Mixture-list",
        lambda weights, locs, scale: dist.Mixture(
            weights, [dist.Normal(locs[..., 0], scale), dist.Normal(locs[..., 1], scale)]
        ),
        dict(weights=np.array([0.3, 0.7]), locs=np.array([-2.0, 1.0]), scale=0.8),
        dict(
            weights=np.array([0.4, 0.6]),
            locs=np.array([[-2.0, 1.0], [0.0, 3.0]]),
            scale=np.array([[0.5], [2.0]]),
        ),
        lambda p, x: _mixture_oracle(dict(p, scale=np.asarray(p["scale"])[..., None]), x),
        batch_shape=(2, 2),
        grad_params=("locs", "scale"),
    ),
    Case(
        "Truncated-Normal",
        lambda loc, low, high: dist.Truncated(dist.Normal(loc, 1.5), low, high),
        dict(loc=0.5, low=-1.0, high=4.0),
        dict(loc=_LOC3, low=np.array([[-np.inf], [0.0]]), high=3.0),
        lambda p, x: _truncnorm(dict(p, scale=1.5), x),
        outside=-2.0,
        moments=False,
        grad_params=("loc", "high"),
    ),
    Case(
        "Censored-Normal",
        lambda loc, low, high: dist.Censored(dist.Normal(loc, 1.0), low, high),
        dict(loc=0.5, low=-0.5, high=1.0),
        dict(loc=_LOC3, low=np.array([[-1.0], [0.0]]), high=1.5),
        _censored_oracle,
        outside=-2.0,
        moments=False,
        # Draws sit exactly on the bounds, where log_prob jumps: no FD in the bounds.
        grad_params=("loc",),
        value_grad=False,
    ),
]


def _triangular(p, x):
    lo, c, hi = p["low"], p["mode"], p["high"]
    return stats.triang.logpdf(x, (c - lo) / (hi - lo), lo, hi - lo)


MORE_CASES += [
    Case(
        "Wald",
        dist.Wald,
        dict(mean=1.5, lam=3.0),
        dict(mean=np.array([0.5, 1.0, 3.0]), lam=np.array([[2.0], [20.0]])),
        lambda p, x: stats.invgauss.logpdf(x, p["mean"] / p["lam"], scale=p["lam"]),
        outside=-1.0,
        grad_params=("mean", "lam"),
    ),
    Case(
        "Triangular",
        dist.Triangular,
        dict(low=-1.0, mode=0.5, high=2.0),
        dict(low=np.array([-1.0, 0.0, 1.0]), mode=np.array([[1.5], [2.0]]), high=3.0),
        _triangular,
        outside=5.0,
        grad_params=("low", "mode", "high"),
    ),
    Case(
        "Rice",
        dist.Rice,
        dict(nu=1.5, sigma=0.8),
        dict(nu=np.array([0.0, 1.0, 5.0]), sigma=np.array([[0.5], [2.0]])),
        lambda p, x: stats.rice.logpdf(x, p["nu"] / p["sigma"], scale=p["sigma"]),
        outside=-1.0,
        grad_params=("sigma",),
    ),
    Case(
        "VonMises",
        dist.VonMises,
        dict(loc=0.5, concentration=2.0),
        dict(loc=np.array([0.0, 1.0, -2.0]), concentration=np.array([[0.5], [10.0]])),
        lambda p, x: stats.vonmises.logpdf(x, p["concentration"], p["loc"]),
        moments=False,
        outside=4.0,
        grad_params=("loc", "concentration"),
    ),
]


def _zero_sum(p, x):
    sigma = np.asarray(p["sigma"], float)
    x = np.asarray(x)
    n = x.shape[-1]
    sq = np.sum(x**2, -1)
    return -0.5 * sq / sigma**2 - 0.5 * (n - 1) * np.log(2 * np.pi * sigma**2)


_W = np.array([[1.0, 0.2], [0.5, -1.0], [0.0, 0.3]])
_D = np.array([0.5, 1.0, 2.0])

MORE_CASES += [
    Case(
        "LowRankMultivariateNormal",
        dist.LowRankMultivariateNormal,
        dict(loc=np.array([0.5, -1.0, 2.0]), cov_factor=_W, cov_diag=_D),
        dict(loc=_LOCS, cov_factor=_W, cov_diag=np.stack([_D, 2 * _D])),
        loop_oracle(
            lambda x, loc, cov_factor, cov_diag: stats.multivariate_normal(
                loc, cov_factor @ cov_factor.T + np.diag(cov_diag)
            ).logpdf(x),
            1,
            {"loc": 1, "cov_factor": 2, "cov_diag": 1},
        ),
        event_ndim=1,
        batch_shape=(2,),
        grad_params=("loc", "cov_factor", "cov_diag"),
    ),
    Case(
        "ZeroSumNormal",
        lambda sigma: dist.ZeroSumNormal(sigma, (4,)),
        dict(sigma=1.5),
        dict(sigma=np.array([0.5, 1.0, 3.0])),
        _zero_sum,
        event_ndim=1,
        outside=np.array([1.0, 0.0, 0.0, 0.0]),
        grad_params=("sigma",),
        value_grad=False,
    ),
    Case(
        "DirichletMultinomial",
        lambda concentration, total_count: dist.DirichletMultinomial(concentration, total_count),
        dict(concentration=np.array([1.5, 2.0, 4.0]), total_count=10.0),
        dict(concentration=np.array([[0.7, 1.0, 2.0], [3.0, 5.0, 1.5]]), total_count=6.0),
        loop_oracle(
            lambda x, concentration, total_count: stats.dirichlet_multinomial.logpmf(
                x, concentration, int(total_count)
            ),
            1,
            {"concentration": 1, "total_count": 0},
        ),
        discrete=True,
        event_ndim=1,
        batch_shape=(2,),
        outside=np.array([1, 1, 1]),
        grad_params=("concentration",),
    ),
]


def _discrete_weibull(p, x):
    q, beta = p["q"], p["beta"]
    return np.log(q ** (x**beta) - q ** ((x + 1.0) ** beta))


MORE_CASES += [
    Case(
        "HyperGeometric",
        dist.HyperGeometric,
        dict(N=20.0, k=7.0, n=5.0),
        dict(N=np.array([[10.0], [30.0]]), k=np.array([2.0, 5.0, 9.0]), n=6.0),
        lambda p, x: stats.hypergeom.logpmf(x, p["N"], p["k"], p["n"]),
        discrete=True,
        outside=6,
    ),
    Case(
        "DiscreteWeibull",
        dist.DiscreteWeibull,
        dict(q=0.7, beta=1.3),
        dict(q=np.array([0.3, 0.7, 0.9]), beta=np.array([[0.8], [2.0]])),
        _discrete_weibull,
        discrete=True,
        moments=False,
        outside=-1,
        grad_params=("q", "beta"),
    ),
]
