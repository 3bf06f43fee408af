"""A log density that is NaN inside the support: the model computes something undefined
(the log or square root of a negative intermediate, 0/0, inf - inf) at parameter values
that every site's support allows. NUTS treats a NaN energy as a divergence and the start
search as a failed candidate, so without this check such a model reads as difficult
geometry or a bad start; here it is named as what it is, with the sites whose log
density is NaN.
"""

from __future__ import annotations

import jax
import numpy as np

from pplx.model import Model
from pplx.runtime.keys import as_key

#: Perturbation scales (unconstrained units) of the probe points around the chains.
SCALES = (0.1, 0.5, 1.0, 2.0)

_UNDEFINED = (
    "a NaN log density means the model computes something undefined at values inside "
    "every support (the log or sqrt of a negative intermediate, 0/0, inf - inf): guard "
    "that computation (jnp.where, jnp.log1p, jax.nn.softplus) or give the parameter a "
    "prior that keeps it valid"
)


def not_finite_message(model: Model, lps: dict[str, float], where: str) -> str:
    """The error text for a start whose log density is not finite: NaN sites are named
    as such (inside the support), -inf ones as outside a support.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("a", dist.Normal(0.0, 1.0))
        >>> not_finite_message(m(), {"a": float("nan")}, "z")[:60]
        'model m: the log density is NaN at z (inside the support of '
    """
    nan = [k for k, v in lps.items() if np.isnan(v)]
    minus_inf = {k: v for k, v in lps.items() if not np.isfinite(v) and not np.isnan(v)}
    name = model.fn.__name__
    if nan:
        text = (
            f"model {name}: the log density is NaN at {where} (inside the support of "
            f"every latent site: each is mapped into its support), at site(s) {nan}: "
            f"{_UNDEFINED}."
        )
        if minus_inf:
            text += f" Sites with a -inf log density there: {sorted(minus_inf)}."
        return text
    listing = ", ".join(f"{k}: {v}" for k, v in minus_inf.items()) or "(gradient is not finite)"
    return (
        f"model {name}: the log density is not finite at {where}. Sites with a "
        f"non-finite log density: {listing}. Check the data against each site's support, "
        "or pass init={site: value} with values inside the support."
    )


def nan_sites_near(model: Model, positions: jax.Array, key: jax.Array, num_points: int = 64):
    """Per site, how many of ``num_points`` points near ``positions`` (``(chains, d)``
    unconstrained; Gaussian steps of each scale in :data:`SCALES`) have a NaN log
    density there. The points are made with NumPy (seeded from ``key``) and the log
    densities by one small vmapped program: a probe after a run compiles that program
    and nothing else (random draws in JAX would compile their own, ~0.4 s on a CPU).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     x = pplx.sample("x", dist.Normal(0.0, 1.0))
        ...     pplx.factor("bad", jnp.log(x))  # NaN wherever x < 0
        >>> found, total = nan_sites_near(m(), jnp.zeros((2, 1)), jax.random.key(0))
        >>> list(found), 0 < found["bad"] < total
        (['bad'], True)
    """
    seed = np.asarray(jax.random.key_data(as_key(key))).astype(np.uint64)
    rng = np.random.default_rng(seed.tolist())
    positions = np.atleast_2d(np.asarray(positions))
    chains, d = positions.shape
    eps = rng.standard_normal((num_points, d)).astype(positions.dtype)
    scales = np.resize(np.asarray(SCALES, positions.dtype), (num_points,))
    points = positions[np.arange(num_points) % chains] + scales[:, None] * eps
    lps = jax.jit(jax.vmap(model.point_logps))(points)
    counts = {name: int(np.isnan(np.asarray(v)).sum()) for name, v in lps.items()}
    return {name: c for name, c in counts.items() if c}, num_points


def nan_divergence_warning(model: Model, positions: jax.Array, key: jax.Array) -> str | None:
    """The warning text when divergent transitions may be NaN log densities inside the
    support near where the chains ended, or None when no probe point is NaN."""
    found, total = nan_sites_near(model, positions, key)
    if not found:
        return None
    listing = ", ".join(f"{k} ({c} of {total})" for k, c in found.items())
    return (
        f"model {model.fn.__name__}: the log density is NaN at points inside the support "
        f"near where the chains are, at site(s) {listing}. NUTS counts a NaN as a "
        f"divergence, so the divergences may not be geometry: {_UNDEFINED}."
    )
