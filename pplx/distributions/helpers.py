"""Numerical helpers shared by the family files: parameter broadcasting, the standard normal
log density, uniform draws, log-differences of normal cdfs.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def expand_to(shape, *params):
    """Broadcast parameters to a full sample shape."""
    return tuple(jnp.broadcast_to(p, shape) for p in params)


def std_normal_log_prob(z):
    return -0.5 * z**2 - HALF_LOG_2PI


def open_uniform(key, shape, dtype):
    """Uniform draws in the open interval (0, 1)."""
    tiny = jnp.finfo(dtype).tiny
    return jax.random.uniform(key, shape, dtype, minval=tiny, maxval=1.0)


def log_diff_ndtr(a, b):
    """``log(Phi(b) - Phi(a))`` for ``a < b``, accurate in both tails."""
    flip = a > 0
    lo = jnp.where(flip, -b, a)
    hi = jnp.where(flip, -a, b)
    hi_inf = jnp.isinf(hi)
    log_hi = jnp.where(hi_inf, 0.0, jss.log_ndtr(jnp.where(hi_inf, 0.0, hi)))
    # An infinite lower end contributes Phi(-inf) = 0; keep it out of the gradient.
    lo_inf = jnp.isinf(lo)
    log_lo = jss.log_ndtr(jnp.where(lo_inf, 0.0, lo))
    ratio = jnp.where(lo_inf, 0.0, jnp.exp(log_lo - log_hi))
    return log_hi + jnp.log1p(-ratio)
