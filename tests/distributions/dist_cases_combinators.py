"""Rows of the distribution table for hurdles, ``NormalMixture``, ``CustomDist`` and
``TransformedDistribution`` (see ``dist_cases.py``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from dist_cases import Case
from scipy import special as sps
from scipy import stats

from pplx.distributions import Binomial, Gamma, Geometric, Normal, constraints
from pplx.distributions.bijectors import Affine, Exp, IntervalBijector
from pplx.distributions.combinators.custom import CustomDist
from pplx.distributions.combinators.hurdle import (
    Hurdle,
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
)
from pplx.distributions.combinators.mixtures import NormalMixture
from pplx.distributions.combinators.transformed import TransformedDistribution

_PSI3 = np.array([0.2, 0.5, 0.9])
_COL2 = np.array([[0.3], [4.0]])


# ---------------------------------------------------------------------------- hurdles


def _hurdle_discrete(logpmf):
    """Oracle ``log(1-psi)`` at 0, else ``log psi + log p(x) - log(1 - p(0))``."""

    def oracle(p, x):
        x = np.asarray(x)
        rest = {k: v for k, v in p.items() if k != "psi"}
        log_norm = np.log(-np.expm1(logpmf(np.zeros_like(x), **rest)))
        nonzero = np.log(p["psi"]) + logpmf(x, **rest) - log_norm
        return np.where(x == 0, np.log1p(-p["psi"]), nonzero)

    return oracle


def _hurdle_continuous(logpdf):
    def oracle(p, x):
        x = np.asarray(x, float)
        rest = {k: v for k, v in p.items() if k != "psi"}
        nonzero = np.log(p["psi"]) + logpdf(np.where(x > 0, x, 1.0), **rest)
        return np.where(x == 0, np.log1p(-p["psi"]), nonzero)

    return oracle


def _nb_logpmf(x, mu, alpha):
    return stats.nbinom.logpmf(x, alpha, alpha / (mu + alpha))


HURDLE_CASES = [
    Case(
        "HurdlePoisson",
        HurdlePoisson,
        dict(psi=0.7, mu=2.5),
        dict(psi=_PSI3, mu=_COL2),
        _hurdle_discrete(lambda x, mu: stats.poisson.logpmf(x, mu)),
        discrete=True,
        outside=-1,
        grad_params=("psi", "mu"),
    ),
    Case(
        "HurdleNegativeBinomial",
        HurdleNegativeBinomial,
        dict(psi=0.6, mu=3.0, alpha=0.8),
        dict(psi=_PSI3, mu=_COL2, alpha=np.array([0.5, 2.0, 10.0])),
        _hurdle_discrete(_nb_logpmf),
        discrete=True,
        outside=-1,
        grad_params=("psi", "mu", "alpha"),
    ),
    Case(
        "Hurdle-Binomial",
        lambda psi, probs: Hurdle(psi, Binomial(6, probs=probs)),
        dict(psi=0.4, probs=0.3),
        dict(psi=_PSI3, probs=np.array([[0.1], [0.6]])),
        _hurdle_discrete(lambda x, probs: stats.binom.logpmf(x, 6, probs)),
        discrete=True,
        outside=7,
        grad_params=("psi", "probs"),
    ),
    Case(
        "Hurdle-Geometric",
        lambda psi, probs: Hurdle(psi, Geometric(probs=probs)),
        dict(psi=0.4, probs=0.3),
        dict(psi=_PSI3, probs=np.array([[0.1], [0.8]])),
        _hurdle_discrete(lambda x, probs: stats.geom.logpmf(x + 1, probs)),
        discrete=True,
        outside=-1,
        grad_params=("psi", "probs"),
    ),
    Case(
        "HurdleGamma",
        HurdleGamma,
        dict(psi=0.35, alpha=2.5, beta=1.5),
        dict(psi=_PSI3, alpha=np.array([[0.7], [3.0]]), beta=2.0),
        _hurdle_continuous(lambda x, alpha, beta: stats.gamma.logpdf(x, alpha, scale=1 / beta)),
        outside=-1.0,
        grad_params=("psi", "alpha", "beta"),
        value_grad=False,  # draws sit on the point mass at 0, where log_prob jumps
    ),
    Case(
        "HurdleLogNormal",
        HurdleLogNormal,
        dict(psi=0.8, mu=0.2, sigma=0.7),
        dict(psi=_PSI3, mu=np.array([[-1.0], [0.5]]), sigma=0.6),
        _hurdle_continuous(lambda x, mu, sigma: stats.lognorm.logpdf(x, sigma, scale=np.exp(mu))),
        outside=-1.0,
        grad_params=("psi", "mu", "sigma"),
        value_grad=False,
    ),
]


# --------------------------------------------------------------------- NormalMixture


def _normal_mixture(p, x):
    w = np.asarray(p["w"], float)
    comps = stats.norm.logpdf(np.asarray(x)[..., None], p["mu"], p["sigma"])
    return sps.logsumexp(comps + np.log(w / w.sum(-1, keepdims=True)), axis=-1)


MIXTURE_CASES = [
    Case(
        "NormalMixture",
        NormalMixture,
        dict(w=np.array([0.3, 0.7]), mu=np.array([-2.0, 1.0]), sigma=0.8),
        dict(
            w=np.array([[0.3, 0.7], [0.5, 0.5], [0.9, 0.1]]),
            mu=np.array([-2.0, 1.0]),
            sigma=np.array([[0.5], [1.0], [2.0]]),
        ),
        _normal_mixture,
        batch_shape=(3,),
        grad_params=("w", "mu", "sigma"),
    ),
]


# ------------------------------------------------------------------------ CustomDist


def _normal_logp(x, loc, scale):
    return jax.scipy.stats.norm.logpdf(*jnp.broadcast_arrays(x, loc, scale))


def _normal_sample(key, sample_shape, loc, scale):
    shape = sample_shape + jnp.broadcast_shapes(jnp.shape(loc), jnp.shape(scale))
    loc, scale = jnp.broadcast_to(loc, shape), jnp.broadcast_to(scale, shape)
    return loc + scale * jax.random.normal(key, shape)


def _custom_normal(loc, scale):
    batch = jnp.broadcast_shapes(jnp.shape(loc), jnp.shape(scale))
    return CustomDist(_normal_logp, _normal_sample, params=(loc, scale), batch_shape=batch)


def _exp_logp(x, rate):
    x, rate = jnp.broadcast_arrays(x, rate)
    return jnp.log(rate) - rate * x


def _exp_sample(key, sample_shape, rate):
    rate = jnp.broadcast_to(rate, sample_shape + jnp.shape(rate))
    return jax.random.exponential(key, rate.shape) / rate


def _custom_exponential(rate):
    return CustomDist(
        _exp_logp,
        _exp_sample,
        params=rate,
        batch_shape=jnp.shape(rate),
        support=constraints.positive,
    )


CUSTOM_CASES = [
    Case(
        "CustomDist-Normal",
        _custom_normal,
        dict(loc=0.3, scale=1.7),
        dict(loc=np.array([0.0, 1.0, -2.0]), scale=np.array([[0.5], [2.0]])),
        lambda p, x: stats.norm.logpdf(x, p["loc"], p["scale"]),
        moments=False,
        grad_params=("loc", "scale"),
    ),
    Case(
        "CustomDist-Exponential",
        _custom_exponential,
        dict(rate=2.5),
        dict(rate=np.array([0.5, 1.0, 3.0])),
        lambda p, x: stats.expon.logpdf(x, scale=1 / p["rate"]),
        moments=False,
        outside=-0.1,
        grad_params=("rate",),
    ),
]


# ------------------------------------------------------------ TransformedDistribution


def _logitnormal(p, x):
    logit = np.log(x) - np.log1p(-x)
    return stats.norm.logpdf(logit, 2 * p["loc"], 2 * p["scale"]) - np.log(x) - np.log1p(-x)


def _exp_gamma(p, y):
    log_y = np.log(y)
    return stats.gamma.logpdf(log_y, p["concentration"], scale=1 / p["rate"]) - log_y


def _lognormal_vector(p, y):
    lp = stats.lognorm.logpdf(y, p["scale"], scale=np.exp(p["loc"]))
    return lp.sum(-1)


TRANSFORMED_CASES = [
    Case(
        "Transformed-Normal-Exp",
        lambda loc, scale: TransformedDistribution(Normal(loc, scale), Exp()),
        dict(loc=0.2, scale=0.7),
        dict(loc=np.array([0.0, 1.0, -1.0]), scale=np.array([[0.5], [1.2]])),
        lambda p, x: stats.lognorm.logpdf(x, p["scale"], scale=np.exp(p["loc"])),
        moments=False,
        outside=-1.0,
        grad_params=("loc", "scale"),
    ),
    Case(
        # The bijector's parameters broadcast the base into a larger batch.
        "Transformed-Normal-Affine",
        lambda loc, scale, shift, mult: TransformedDistribution(
            Normal(loc, scale), Affine(shift, mult)
        ),
        dict(loc=0.5, scale=1.5, shift=-1.0, mult=2.0),
        dict(loc=np.array([0.0, 1.0, -2.0]), scale=0.7, shift=np.array([[0.0], [3.0]]), mult=-1.5),
        lambda p, x: stats.norm.logpdf(
            x, p["shift"] + p["mult"] * p["loc"], np.abs(p["mult"]) * p["scale"]
        ),
        moments=False,
        grad_params=("loc", "scale", "shift", "mult"),
        batch_shape=(2, 3),
    ),
    Case(
        "Transformed-Gamma-Exp",
        lambda concentration, rate: TransformedDistribution(Gamma(concentration, rate), Exp()),
        dict(concentration=2.5, rate=1.5),
        dict(concentration=np.array([0.8, 2.0, 5.0]), rate=np.array([[1.0], [3.0]])),
        _exp_gamma,
        moments=False,
        outside=-0.5,
        grad_params=("concentration", "rate"),
    ),
    Case(
        "Transformed-logit-normal-chain",
        lambda loc, scale: TransformedDistribution(
            Normal(loc, scale), [Affine(0.0, 2.0), IntervalBijector(0.0, 1.0)]
        ),
        dict(loc=0.3, scale=0.8),
        dict(loc=np.array([0.0, 1.0, -1.0]), scale=np.array([[0.5], [1.5]])),
        _logitnormal,
        moments=False,
        outside=1.5,
        grad_params=("loc", "scale"),
    ),
    Case(
        # An elementwise bijector on a vector event: log|J| is summed over the event.
        "Transformed-vector-Exp",
        lambda loc, scale: TransformedDistribution(Normal(loc, scale).to_event(1), Exp()),
        dict(loc=np.array([0.0, 0.5, -0.5]), scale=0.6),
        dict(loc=np.array([[0.0, 0.5, -0.5], [1.0, 0.0, 0.2]]), scale=np.array([0.5, 1.0, 0.8])),
        _lognormal_vector,
        event_ndim=1,
        moments=False,
        outside=np.array([1.0, -1.0, 2.0]),
        grad_params=("loc", "scale"),
        batch_shape=(2,),
    ),
]

COMBINATOR_CASES = HURDLE_CASES + MIXTURE_CASES + CUSTOM_CASES + TRANSFORMED_CASES
