"""``logp`` and ``logcdf``: densities of a bare distribution, as PyMC's ``pm.logp``."""

import jax
import jax.numpy as jnp


def logp(dist, value) -> jax.Array:
    """Elementwise log density of a bare distribution at ``value``.

    Example:
        >>> import pplx, pplx.distributions as dist
        >>> round(float(pplx.logp(dist.Normal(0.0, 1.0), 0.0)), 4)
        -0.9189
    """
    return dist.log_prob(jnp.asarray(value))


def logcdf(dist, value) -> jax.Array:
    """Log of the cumulative distribution function of a bare distribution at ``value``.

    Available for the families that define ``cdf`` (see docs/distributions.md).

    Example:
        >>> import pplx, pplx.distributions as dist
        >>> round(float(pplx.logcdf(dist.Normal(0.0, 1.0), 0.0)), 4)
        -0.6931
    """
    return jnp.log(dist.cdf(jnp.asarray(value)))
