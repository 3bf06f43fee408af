"""ADVI restarts: several fits of one model from different starts, run as chains are.

Restart 0 is the single fit :func:`pplx.vi.advi` makes (its key, its ``init``); restart
``r >= 1`` draws its key as ``fold_in(key, r)`` and starts its mean at a random point of
unconstrained space with a finite log density (uniform in ``(-2, 2)``, as NUTS chains
start). A restart's fit depends on nothing else, so the restarts can run batched, in
sequence or split over devices (``chain_method``, the same vocabulary and machinery as
MCMC chains: :func:`pplx.infer.devices.map_chains`) and give the same fits.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.infer.chains import over_chains
from pplx.infer.devices import checked_chain_method, map_chains
from pplx.infer.vi.advi import Approximation, _check_count, fit_approximation, prepare_fit
from pplx.kernels.initialize import find_initial_position
from pplx.model import Model
from pplx.runtime.jit import filter_jit

#: A restart's random start is drawn from ``fold_in(its key, this)``.
_START_STREAM = 0x57A27


def restart_inputs(model: Model, key: jax.Array, position: jax.Array, num_restarts: int):
    """Each restart's key ``(R,)`` and starting mean ``(R, d)`` (see the module doc).

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> keys, starts = restart_inputs(m(), jax.random.key(0), jnp.zeros(1), 3)
        >>> keys.shape, starts.shape, float(starts[0, 0])
        ((3,), (3, 1), 0.0)
    """
    others = jax.vmap(lambda r: jax.random.fold_in(key, r))(jnp.arange(1, num_restarts))
    found, _ = jax.vmap(
        lambda k: find_initial_position(
            model.logdensity, jax.random.fold_in(k, _START_STREAM), model.num_dims
        )
    )(others)
    return jnp.concatenate([key[None], others]), jnp.concatenate([position[None], found])


def _fit_all(model, key, position, *, num_restarts, chain_method, **settings):
    """The restarts' fitted arrays, restart axis first (pure)."""
    keys, starts = restart_inputs(model, key, position, num_restarts)

    def run_group(inputs):
        def one(k, z):
            a = fit_approximation(model, k, z, **settings)
            return a.mean, a.scale, a.elbo_trace, a.num_steps, a.converged

        return over_chains(one)(*inputs)

    return map_chains(run_group, (keys, starts), chain_method)


_fit_all_compiled = filter_jit(_fit_all)


def advi_restarts(
    model: Model,
    key: jax.Array,
    *,
    num_restarts: int,
    chain_method: str = "auto",
    num_steps: int = 10000,
    method: str = "meanfield",
    optimizer=None,
    num_elbo_samples: int = 1,
    init: dict | None = None,
    init_scale: float = 0.1,
    tol: float = 1e-4,
    convergence: str | None = "elbo",
    check_every: int = 100,
) -> list[Approximation]:
    """``num_restarts`` ADVI fits of ``model``, one :class:`Approximation` each.

    Restart 0 equals ``pplx.vi.advi(model, key, ...)`` with the same settings; the
    others start from random points (module doc). ``chain_method`` runs them as MCMC
    chains run (``"parallel"``: split over the devices, ``num_restarts`` a multiple of
    their number). Other arguments as in :func:`pplx.vi.advi`; one compiled program.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(3.0, 1.0))
        >>> fits = advi_restarts(m(), jax.random.key(0), num_restarts=2, num_steps=2000)
        >>> [bool(abs(f.mean[0] - 3.0) < 0.3) for f in fits]
        [True, True]
    """
    _check_count("num_restarts", num_restarts)
    chain_method = checked_chain_method(chain_method, num_restarts, what="num_restarts")
    position, settings = prepare_fit(
        model,
        num_steps=num_steps,
        method=method,
        optimizer=optimizer,
        num_elbo_samples=num_elbo_samples,
        init=init,
        init_scale=init_scale,
        tol=tol,
        convergence=convergence,
        check_every=check_every,
    )
    arrays = _fit_all_compiled(
        model,
        key,
        position,
        num_restarts=num_restarts,
        chain_method=chain_method,
        **settings,
    )
    return [
        Approximation(model, *(a[r] for a in arrays), method=method) for r in range(num_restarts)
    ]


def best_restart(fits: list[Approximation]) -> Approximation:
    """The fit with the highest :attr:`Approximation.elbo` (a NaN ELBO never wins).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(3.0, 1.0))
        >>> fits = advi_restarts(m(), jax.random.key(0), num_restarts=2, num_steps=300)
        >>> bool(best_restart(fits).elbo == max(f.elbo for f in fits))
        True
    """
    elbos = jnp.stack([f.elbo for f in fits])
    best = jnp.argmax(jnp.where(jnp.isnan(elbos), -jnp.inf, elbos))
    pick = lambda field: jnp.stack([getattr(f, field) for f in fits])[best]
    fields = ("mean", "scale", "elbo_trace", "num_steps", "converged")
    return Approximation(fits[0].model, *(pick(f) for f in fields), method=fits[0].method)
