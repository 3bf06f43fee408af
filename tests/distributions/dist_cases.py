"""The distribution table: one row per family (and parametrisation).

Each row gives the constructor, scalar and batched parameters, an oracle for the log
density (``scipy.stats`` or a hand-written formula), and capability columns that say
which generic checks apply. Tests iterate over this table; no test branches on the
family's name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy import special as sps
from scipy import stats

import pplx.distributions as dist


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    make: Callable
    params: dict
    batched: dict
    oracle: Callable  # (params as numpy, x as numpy) -> log density, broadcasting
    discrete: bool = False
    event_ndim: int = 0
    moments: bool = True  # mean and variance finite and implemented
    outside: object = None  # a value outside the support, or None when none exists
    grad_params: tuple = ()  # parameters to check against finite differences
    value_grad: bool = True  # check d log_prob / d value (continuous, unconstrained event)
    rtol: float = 1e-7
    batch_shape: tuple | None = None  # of the batched row; None: broadcast of the params

    def __str__(self):
        return self.id


def loop_oracle(fn, event_ndim, param_event_ndims):
    """Oracle for scipy functions without batching: loop over the broadcast batch."""

    def oracle(params, x):
        names = list(params)
        arrays = [np.asarray(params[k], float) for k in names]
        batches = [np.shape(params[k])[: np.ndim(params[k]) - param_event_ndims[k]] for k in names]
        x = np.asarray(x)
        batch = np.broadcast_shapes(x.shape[: x.ndim - event_ndim], *batches)
        out = np.empty(batch)
        for idx in np.ndindex(*batch):
            args = {}
            for a, k, b in zip(arrays, names, batches, strict=True):
                full = np.broadcast_to(a, batch + a.shape[len(b) :])
                args[k] = full[idx]
            xf = np.broadcast_to(x, batch + x.shape[x.ndim - event_ndim :])
            out[idx] = fn(xf[idx], **args)
        return out

    return oracle


def _categorical_oracle(params, x):
    p = np.asarray(params["probs"], float)
    p = p / p.sum(-1, keepdims=True)
    x = np.asarray(x).astype(int)
    batch = np.broadcast_shapes(x.shape, p.shape[:-1])
    p = np.broadcast_to(p, batch + p.shape[-1:])
    x = np.broadcast_to(x, batch)
    return np.log(np.take_along_axis(p, x[..., None], -1)[..., 0])


def _mvn(x, loc, cov):
    return stats.multivariate_normal(loc, cov).logpdf(x)


_COV = np.array([[2.0, 0.6, 0.2], [0.6, 1.0, -0.3], [0.2, -0.3, 1.5]])
_CHOL = np.linalg.cholesky(_COV)
_LOCS = np.array([[0.0, 1.0, -1.0], [0.5, 0.2, 2.0]])

CASES = [
    Case(
        "Normal",
        dist.Normal,
        dict(loc=0.3, scale=1.7),
        dict(loc=np.array([0.0, 1.0, -2.0]), scale=np.array([[0.5], [2.0]])),
        lambda p, x: stats.norm.logpdf(x, p["loc"], p["scale"]),
        grad_params=("loc", "scale"),
    ),
    Case(
        "HalfNormal",
        dist.HalfNormal,
        dict(scale=1.3),
        dict(scale=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.halfnorm.logpdf(x, scale=p["scale"]),
        outside=-0.5,
        grad_params=("scale",),
    ),
    Case(
        "Cauchy",
        dist.Cauchy,
        dict(loc=-0.4, scale=0.8),
        dict(loc=np.array([0.0, 1.0]), scale=np.array([[0.5], [2.0], [1.0]])),
        lambda p, x: stats.cauchy.logpdf(x, p["loc"], p["scale"]),
        moments=False,
        grad_params=("loc", "scale"),
    ),
    Case(
        "HalfCauchy",
        dist.HalfCauchy,
        dict(scale=1.3),
        dict(scale=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.halfcauchy.logpdf(x, scale=p["scale"]),
        moments=False,
        outside=-1.0,
        grad_params=("scale",),
    ),
    Case(
        "StudentT",
        dist.StudentT,
        dict(df=9.0, loc=0.5, scale=2.0),
        dict(df=np.array([6.0, 12.0]), loc=np.array([[0.0], [1.0]]), scale=1.5),
        lambda p, x: stats.t.logpdf(x, p["df"], p["loc"], p["scale"]),
        grad_params=("df", "loc", "scale"),
    ),
    Case(
        "Exponential",
        dist.Exponential,
        dict(rate=2.5),
        dict(rate=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.expon.logpdf(x, scale=1 / p["rate"]),
        outside=-0.1,
        grad_params=("rate",),
    ),
    Case(
        "Gamma",
        dist.Gamma,
        dict(concentration=2.5, rate=1.5),
        dict(concentration=np.array([0.5, 1.0, 3.0]), rate=np.array([[1.0], [2.0]])),
        lambda p, x: stats.gamma.logpdf(x, p["concentration"], scale=1 / p["rate"]),
        outside=-1.0,
        grad_params=("concentration", "rate"),
    ),
    Case(
        "Beta",
        dist.Beta,
        dict(concentration1=2.0, concentration0=3.5),
        dict(concentration1=np.array([0.8, 2.0, 5.0]), concentration0=np.array([[1.5], [4.0]])),
        lambda p, x: stats.beta.logpdf(x, p["concentration1"], p["concentration0"]),
        outside=1.5,
        grad_params=("concentration1", "concentration0"),
    ),
    Case(
        "LogNormal",
        dist.LogNormal,
        dict(loc=0.2, scale=0.5),
        dict(loc=np.array([0.0, 1.0, -1.0]), scale=np.array([[0.3], [0.8]])),
        lambda p, x: stats.lognorm.logpdf(x, p["scale"], scale=np.exp(p["loc"])),
        outside=-2.0,
        grad_params=("loc", "scale"),
    ),
    Case(
        "Uniform",
        dist.Uniform,
        dict(low=-1.0, high=2.5),
        dict(low=np.array([0.0, 1.0, -2.0]), high=np.array([[3.0], [5.0]])),
        lambda p, x: stats.uniform.logpdf(x, p["low"], p["high"] - p["low"]),
        outside=10.0,
        grad_params=("low", "high"),
    ),
    Case(
        "Bernoulli-probs",
        lambda probs: dist.Bernoulli(probs=probs),
        dict(probs=0.3),
        dict(probs=np.array([0.1, 0.5, 0.9])),
        lambda p, x: stats.bernoulli.logpmf(x, p["probs"]),
        discrete=True,
        outside=2,
        grad_params=("probs",),
    ),
    Case(
        "Bernoulli-logits",
        lambda logits: dist.Bernoulli(logits=logits),
        dict(logits=-0.7),
        dict(logits=np.array([-2.0, 0.0, 1.5])),
        lambda p, x: stats.bernoulli.logpmf(x, sps.expit(p["logits"])),
        discrete=True,
        outside=0.5,
        grad_params=("logits",),
    ),
    Case(
        "Binomial-probs",
        lambda total_count, probs: dist.Binomial(total_count, probs=probs),
        dict(total_count=12.0, probs=0.35),
        dict(total_count=np.array([[5.0], [20.0]]), probs=np.array([0.1, 0.5, 0.9])),
        lambda p, x: stats.binom.logpmf(x, p["total_count"], p["probs"]),
        discrete=True,
        outside=13,
        grad_params=("probs",),
    ),
    Case(
        "Binomial-logits",
        lambda total_count, logits: dist.Binomial(total_count, logits=logits),
        dict(total_count=7.0, logits=0.4),
        dict(total_count=np.array([3.0, 8.0]), logits=np.array([[-1.0], [2.0]])),
        lambda p, x: stats.binom.logpmf(x, p["total_count"], sps.expit(p["logits"])),
        discrete=True,
        outside=-1,
        grad_params=("logits",),
    ),
    Case(
        "Poisson",
        dist.Poisson,
        dict(rate=3.5),
        dict(rate=np.array([0.5, 2.0, 10.0])),
        lambda p, x: stats.poisson.logpmf(x, p["rate"]),
        discrete=True,
        outside=1.5,
        grad_params=("rate",),
    ),
    Case(
        "Categorical",
        lambda probs: dist.Categorical(probs=probs),
        dict(probs=np.array([0.2, 0.5, 0.3])),
        dict(probs=np.array([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]])),
        _categorical_oracle,
        discrete=True,
        batch_shape=(2,),
        outside=3,
        grad_params=("probs",),
    ),
    Case(
        "Dirichlet",
        dist.Dirichlet,
        dict(concentration=np.array([1.5, 2.0, 4.0])),
        dict(concentration=np.array([[0.7, 1.0, 2.0], [3.0, 5.0, 1.5]])),
        loop_oracle(
            lambda x, concentration: stats.dirichlet.logpdf(x, concentration),
            1,
            {"concentration": 1},
        ),
        event_ndim=1,
        batch_shape=(2,),
        outside=np.array([0.5, 0.6, -0.1]),
        grad_params=("concentration",),
        value_grad=False,
    ),
    Case(
        "MultivariateNormal-cov",
        lambda loc, covariance_matrix: dist.MultivariateNormal(loc, covariance_matrix),
        dict(loc=np.array([0.5, -1.0, 2.0]), covariance_matrix=_COV),
        dict(loc=_LOCS, covariance_matrix=_COV),
        loop_oracle(
            lambda x, loc, covariance_matrix: _mvn(x, loc, covariance_matrix),
            1,
            {"loc": 1, "covariance_matrix": 2},
        ),
        event_ndim=1,
        batch_shape=(2,),
        grad_params=("loc",),
    ),
    Case(
        "MultivariateNormal-tril",
        lambda loc, scale_tril: dist.MultivariateNormal(loc, scale_tril=scale_tril),
        dict(loc=np.array([0.5, -1.0, 2.0]), scale_tril=_CHOL),
        dict(loc=_LOCS, scale_tril=np.stack([_CHOL, 2 * _CHOL])),
        loop_oracle(
            lambda x, loc, scale_tril: _mvn(x, loc, scale_tril @ scale_tril.T),
            1,
            {"loc": 1, "scale_tril": 2},
        ),
        event_ndim=1,
        batch_shape=(2,),
        grad_params=("loc", "scale_tril"),
    ),
    Case(
        "MultivariateNormal-prec",
        lambda loc, precision_matrix: dist.MultivariateNormal(
            loc, precision_matrix=precision_matrix
        ),
        dict(loc=np.array([0.5, -1.0, 2.0]), precision_matrix=np.linalg.inv(_COV)),
        dict(loc=_LOCS, precision_matrix=np.linalg.inv(_COV)),
        loop_oracle(
            lambda x, loc, precision_matrix: _mvn(x, loc, np.linalg.inv(precision_matrix)),
            1,
            {"loc": 1, "precision_matrix": 2},
        ),
        event_ndim=1,
        batch_shape=(2,),
        grad_params=("loc",),
    ),
]
