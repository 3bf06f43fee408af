"""Ordinal regression: ordered categories {0..K-1} from a latent value and cutpoints."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import Distribution, as_float, check_param
from pplx.distributions.discrete.finite import Categorical, table_cdf, table_icdf


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

    def _inner_cdf(self):
        return self._link_cdf(self.cutpoints - self.predictor[..., None])

    def cdf(self, value):
        return table_cdf(self._inner_cdf(), value)

    def icdf(self, q):
        return table_icdf(self._inner_cdf(), q)


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
