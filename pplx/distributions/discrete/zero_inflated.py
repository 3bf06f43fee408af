"""Count families with extra zeros: a point mass at zero mixed with a count family."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_param,
    promote,
)
from pplx.distributions.discrete.counts import NegativeBinomial2, Poisson
from pplx.distributions.discrete.finite import Binomial
from pplx.distributions.helpers import expand_to


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

    def cdf(self, value):
        base_cdf = self.base.cdf(value)
        k, gate, base_cdf = bcast(jnp.floor(as_float(value)), self.gate, base_cdf)
        return jnp.where(k < 0, 0.0, gate + (1.0 - gate) * base_cdf)


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
