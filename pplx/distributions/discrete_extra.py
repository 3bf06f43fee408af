"""More discrete families: negative binomials, zero inflation, ordinal regression."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    betaln,
    check_param,
    check_positive,
    probs_logits,
    promote,
)
from pplx.distributions.continuous import expand_to
from pplx.distributions.discrete import (
    Binomial,
    Categorical,
    Poisson,
    _check_count,
    int_dtype,
    log_binomial_coef,
)

__all__ = [
    "NegativeBinomial",
    "NegativeBinomial2",
    "Geometric",
    "BetaBinomial",
    "DiscreteUniform",
    "ZeroInflatedPoisson",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedBinomial",
    "OrderedLogistic",
    "OrderedProbit",
]


def _gamma_poisson_sample(key, shape, concentration, rate):
    """Poisson(Gamma(concentration, rate)) draws, as integers."""
    k1, k2 = jax.random.split(key)
    lam = jax.random.gamma(k1, concentration, shape, concentration.dtype) / rate
    return jax.random.poisson(k2, lam, shape).astype(int_dtype())


def _nb_log_prob(k, r, log_p, log_1mp):
    """``log C(k+r-1, k) + r log(1-p) + k log(p)`` with p the per-trial 'success' prob."""
    coef = jss.gammaln(k + r) - jss.gammaln(r) - jss.gammaln(k + 1.0)
    return coef + r * log_1mp + jnp.where(k == 0, 0.0, k * log_p)


class NegativeBinomial(Distribution):
    """Number of successes before ``total_count`` failures, success prob ``probs``.

    Example:
        >>> from pplx.distributions import NegativeBinomial
        >>> round(float(NegativeBinomial(2.0, probs=0.5).log_prob(0)), 4)
        -1.3863
    """

    total_count: jax.Array
    probs: jax.Array
    logits: jax.Array

    is_discrete = True

    def __init__(self, total_count, probs=None, logits=None):
        self.probs, self.logits, _, (self.total_count,) = probs_logits(
            "NegativeBinomial", probs, logits, total_count
        )
        check_positive("NegativeBinomial", total_count=self.total_count)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, r, logits = bcast(as_float(value), self.total_count, self.logits)
        log_p, log_1mp = jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
        return _nb_log_prob(value, r, log_p, log_1mp)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        r, logits = expand_to(shape, self.total_count, self.logits)
        return _gamma_poisson_sample(key, shape, r, jnp.exp(-logits))

    @property
    def mean(self):
        return self.total_count * jnp.exp(self.logits)

    @property
    def variance(self):
        return self.mean / (1.0 - self.probs)


class NegativeBinomial2(Distribution):
    """Negative binomial by ``mean`` and ``concentration`` (variance mean + mean^2/conc).

    Example:
        >>> from pplx.distributions import NegativeBinomial2
        >>> round(float(NegativeBinomial2(1.0, 1.0).log_prob(0)), 4)
        -0.6931
    """

    mean_: jax.Array
    concentration: jax.Array

    is_discrete = True

    def __init__(self, mean, concentration):
        self.mean_, self.concentration = promote(mean, concentration)
        check_param(
            "NegativeBinomial2", "mean", self.mean_, lambda m: m >= 0, "must be nonnegative"
        )
        check_positive("NegativeBinomial2", concentration=self.concentration)

    @property
    def batch_shape(self):
        return self.mean_.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, mu, phi = bcast(as_float(value), self.mean_, self.concentration)
        log_total = jnp.log(mu + phi)
        log_p = jnp.where(value == 0, 0.0, jnp.log(jnp.where(value == 0, 1.0, mu)) - log_total)
        return _nb_log_prob(value, phi, log_p, jnp.log(phi) - log_total)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        mu, phi = expand_to(shape, self.mean_, self.concentration)
        return _gamma_poisson_sample(key, shape, phi, phi / mu)

    @property
    def mean(self):
        return self.mean_

    @property
    def variance(self):
        return self.mean_ + self.mean_**2 / self.concentration


class Geometric(Distribution):
    """Number of failures before the first success, success prob ``probs``.

    Example:
        >>> from pplx.distributions import Geometric
        >>> round(float(Geometric(probs=0.5).log_prob(1)), 4)
        -1.3863
    """

    probs: jax.Array
    logits: jax.Array

    is_discrete = True

    def __init__(self, probs=None, logits=None):
        self.probs, self.logits, _, _ = probs_logits("Geometric", probs, logits)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, logits = bcast(as_float(value), self.logits)
        return jax.nn.log_sigmoid(logits) + value * jax.nn.log_sigmoid(-logits)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (logits,) = expand_to(shape, self.logits)
        u = jax.random.uniform(key, shape, logits.dtype, minval=jnp.finfo(logits.dtype).tiny)
        return jnp.floor(jnp.log(u) / jax.nn.log_sigmoid(-logits)).astype(int_dtype())

    @property
    def mean(self):
        return (1.0 - self.probs) / self.probs

    @property
    def variance(self):
        return (1.0 - self.probs) / self.probs**2


class BetaBinomial(Distribution):
    """Binomial(total_count, p) with ``p ~ Beta(concentration1, concentration0)``.

    Example:
        >>> from pplx.distributions import BetaBinomial
        >>> round(float(BetaBinomial(1.0, 1.0, 2).log_prob(1)), 4)
        -1.0986
    """

    concentration1: jax.Array
    concentration0: jax.Array
    total_count: jax.Array

    is_discrete = True

    def __init__(self, concentration1, concentration0, total_count=1):
        self.concentration1, self.concentration0, self.total_count = promote(
            concentration1, concentration0, total_count
        )
        check_positive(
            "BetaBinomial",
            concentration1=self.concentration1,
            concentration0=self.concentration0,
        )
        _check_count("BetaBinomial", "total_count", self.total_count)

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def _log_prob(self, value):
        k, a, b, n = bcast(
            as_float(value), self.concentration1, self.concentration0, self.total_count
        )
        return log_binomial_coef(n, k) + betaln(k + a, n - k + b) - betaln(a, b)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b, n = expand_to(shape, self.concentration1, self.concentration0, self.total_count)
        k1, k2 = jax.random.split(key)
        p = jax.random.beta(k1, a, b, shape, a.dtype)
        return jax.random.binomial(k2, n, p, shape, a.dtype).astype(int_dtype())

    @property
    def mean(self):
        a, b = self.concentration1, self.concentration0
        return self.total_count * a / (a + b)

    @property
    def variance(self):
        a, b, n = self.concentration1, self.concentration0, self.total_count
        return n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1.0))


class DiscreteUniform(Distribution):
    """Uniform over the integers ``low, ..., high`` (inclusive).

    Example:
        >>> from pplx.distributions import DiscreteUniform
        >>> round(float(DiscreteUniform(0, 3).log_prob(2)), 4)
        -1.3863
    """

    low: jax.Array
    high: jax.Array

    is_discrete = True

    def __init__(self, low=0, high=1):
        self.low, self.high = promote(low, high)
        check_param("DiscreteUniform", "high", self.high, self.high >= self.low, "must be >= low")

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        return constraints.integer_interval(self.low, self.high)

    def _log_prob(self, value):
        value, low, high = bcast(as_float(value), self.low, self.high)
        return -jnp.log(high - low + 1.0)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        low, high = expand_to(shape, self.low, self.high)
        u = jax.random.uniform(key, shape, low.dtype)
        return jnp.minimum(low + jnp.floor(u * (high - low + 1.0)), high).astype(int_dtype())

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        return ((self.high - self.low + 1.0) ** 2 - 1.0) / 12.0


class _ZeroInflated(Distribution):
    """A count distribution mixed with a point mass at zero of weight ``gate``."""

    gate: jax.Array
    base: Distribution

    is_discrete = True

    @property
    def batch_shape(self):
        return self.gate.shape

    @property
    def support(self):
        return self.base.support

    def _log_prob(self, value):
        base_lp = self.base.log_prob(value)
        value, gate, base_lp = bcast(as_float(value), self.gate, base_lp)
        zero = jnp.logaddexp(jnp.log(gate), jnp.log1p(-gate) + base_lp)
        return jnp.where(value == 0, zero, jnp.log1p(-gate) + base_lp)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k1, k2 = jax.random.split(key)
        draws = self.base.sample(k2, sample_shape)
        (gate,) = expand_to(shape, self.gate)
        return jnp.where(jax.random.uniform(k1, shape, gate.dtype) < gate, 0, draws)

    @property
    def mean(self):
        return (1.0 - self.gate) * self.base.mean

    @property
    def variance(self):
        m, v = self.base.mean, self.base.variance
        return (1.0 - self.gate) * (v + m**2) - self.mean**2


def _gate(name, gate, *others):
    gate, *others = promote(gate, *others)
    check_param(name, "gate", gate, lambda g: (g >= 0) & (g <= 1), "must be in [0, 1]")
    return gate, others


class ZeroInflatedPoisson(_ZeroInflated):
    """Zero with probability ``gate``, else Poisson(rate).

    Example:
        >>> from pplx.distributions import ZeroInflatedPoisson
        >>> round(float(ZeroInflatedPoisson(0.5, 1.0).log_prob(1)), 4)
        -1.6931
    """

    def __init__(self, gate, rate):
        self.gate, (rate,) = _gate("ZeroInflatedPoisson", gate, rate)
        self.base = Poisson(rate)


class ZeroInflatedNegativeBinomial(_ZeroInflated):
    """Zero with probability ``gate``, else NegativeBinomial2(mean, concentration).

    Example:
        >>> from pplx.distributions import ZeroInflatedNegativeBinomial
        >>> round(float(ZeroInflatedNegativeBinomial(0.5, 1.0, 1.0).log_prob(0)), 4)
        -0.2877
    """

    def __init__(self, gate, mean, concentration):
        self.gate, (mean, conc) = _gate("ZeroInflatedNegativeBinomial", gate, mean, concentration)
        self.base = NegativeBinomial2(mean, conc)


class ZeroInflatedBinomial(_ZeroInflated):
    """Zero with probability ``gate``, else Binomial(total_count, probs).

    Example:
        >>> from pplx.distributions import ZeroInflatedBinomial
        >>> round(float(ZeroInflatedBinomial(0.5, 2, 0.5).log_prob(2)), 4)
        -2.0794
    """

    def __init__(self, gate, total_count, probs):
        self.gate, (n, p) = _gate("ZeroInflatedBinomial", gate, total_count, probs)
        self.base = Binomial(n, probs=p)


class _Ordinal(Distribution):
    """Ordinal regression: ``P(y <= k) = F(cutpoints[k] - predictor)``."""

    predictor: jax.Array
    cutpoints: jax.Array

    is_discrete = True

    def __init__(self, predictor, cutpoints):
        name = type(self).__name__
        predictor, cutpoints = as_float(predictor), as_float(cutpoints)
        if cutpoints.ndim == 0:
            raise ValueError(f"{name}: cutpoints must have at least one dimension")
        check_param(
            name,
            "cutpoints",
            cutpoints,
            jnp.all(cutpoints[..., 1:] > cutpoints[..., :-1], axis=-1),
            "must be strictly increasing",
        )
        batch = jnp.broadcast_shapes(predictor.shape, cutpoints.shape[:-1])
        dtype = jnp.result_type(predictor, cutpoints)
        self.predictor = jnp.broadcast_to(predictor, batch).astype(dtype)
        self.cutpoints = jnp.broadcast_to(cutpoints, batch + cutpoints.shape[-1:]).astype(dtype)

    def _categorical(self):
        shifted = self.cutpoints - self.predictor[..., None]
        cdf = self._link_cdf(shifted)
        ones = jnp.ones(cdf.shape[:-1] + (1,), cdf.dtype)
        cdf = jnp.concatenate([0.0 * ones, cdf, ones], axis=-1)
        probs = jnp.clip(cdf[..., 1:] - cdf[..., :-1], 0.0, 1.0)
        return Categorical(probs=probs)

    @property
    def batch_shape(self):
        return self.predictor.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.cutpoints.shape[-1])

    def _log_prob(self, value):
        return self._categorical()._log_prob(value)

    def sample(self, key, sample_shape=()):
        return self._categorical().sample(key, sample_shape)

    @property
    def probs(self):
        return self._categorical().probs

    @property
    def mean(self):
        return self._categorical().mean

    @property
    def variance(self):
        return self._categorical().variance


class OrderedLogistic(_Ordinal):
    """Ordinal outcome in ``{0, ..., K}`` with logistic link and K ordered cutpoints.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import OrderedLogistic
        >>> round(float(OrderedLogistic(0.0, jnp.array([0.0])).log_prob(0)), 4)
        -0.6931
    """

    def _link_cdf(self, x):
        return jax.nn.sigmoid(x)


class OrderedProbit(_Ordinal):
    """Ordinal outcome in ``{0, ..., K}`` with probit link and K ordered cutpoints.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import OrderedProbit
        >>> round(float(OrderedProbit(0.0, jnp.array([0.0])).log_prob(1)), 4)
        -0.6931
    """

    def _link_cdf(self, x):
        return jss.ndtr(x)
