"""The posterior mode and what is built on it or near it: MAP, Laplace, Pathfinder,
and NUTS starting points (see :mod:`pplx.vi`)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.infer.vi.advi import Approximation, _check_count, _check_model, advi
from pplx.kernels.initialize import find_initial_position
from pplx.kernels.optimize import maximize
from pplx.kernels.pathfinder import pathfinder as _pathfinder
from pplx.model import Model
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key

if TYPE_CHECKING:  # optax loads when first used (import pplx stays light)
    import optax


# ----- MAP and Laplace -----------------------------------------------------------------
class MAPResult(eqx.Module):
    """A mode: constrained ``values`` (deterministics included), the unconstrained
    ``position``, the log density there, steps taken and whether the optimiser converged.

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(1.0, 2.0))
        >>> res = pplx.vi.find_map(m())
        >>> round(float(res.values["x"]), 4), res.position.shape, bool(res.converged)
        (1.0, (1,), True)
        >>> round(float(res.logdensity), 4)  # -log(2) - log(2 pi) / 2
        -1.6121
    """

    values: dict
    position: jax.Array
    logdensity: jax.Array
    num_steps: jax.Array
    converged: jax.Array


def _mode(model: Model, init, optimizer, max_steps, jacobian, gtol):
    position = model.flatten(init) if init is not None else jnp.zeros((model.num_dims,))
    return _maximize(
        model, position, optimizer=optimizer, max_steps=max_steps, jacobian=jacobian, gtol=gtol
    )


@filter_jit
def _maximize(model, position, *, optimizer, max_steps, jacobian, gtol):
    fn = functools.partial(model.logdensity, jacobian=jacobian)
    return maximize(fn, position, optimizer=optimizer, max_steps=max_steps, gtol=gtol)


def find_map(
    model: Model,
    *,
    init: dict | None = None,
    optimizer: optax.GradientTransformation | None = None,
    max_steps: int = 1000,
    jacobian: bool = False,
    gtol: float = 1e-6,
) -> MAPResult:
    """The maximum a posteriori point, found in unconstrained space.

    With ``jacobian=False`` (default) the log|J| terms are left out, so the result is the
    mode of the posterior density of the constrained parameters (PyMC's ``find_MAP``).

    Args:
        model: a bound model.
        init: constrained starting values (default: centre of unconstrained space).
        optimizer: optax transformation; None means L-BFGS with line search.
        max_steps: most optimiser steps.
        jacobian: include log|J| (the mode in unconstrained space instead).
        gtol: stop when the largest gradient entry is below this.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("s", dist.Gamma(3.0, 2.0))  # mode (3 - 1) / 2 = 1
        >>> round(float(find_map(m()).values["s"]), 5)
        1.0
    """
    _check_model(model, "find_map")
    _check_count("max_steps", max_steps)
    res = _mode(model, init, optimizer, max_steps, jacobian, gtol)
    return MAPResult(
        values=model.constrain(res.position),
        position=res.position,
        logdensity=res.logdensity,
        num_steps=res.num_steps,
        converged=res.converged,
    )


def laplace(
    model: Model,
    *,
    init: dict | None = None,
    optimizer: optax.GradientTransformation | None = None,
    max_steps: int = 1000,
    gtol: float = 1e-6,
) -> Approximation:
    """Laplace approximation: a Gaussian at the mode of the unconstrained log density
    (log|J| included, so it approximates the posterior of the unconstrained vector), with
    covariance the inverse negative Hessian there (``model.d2logp``).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(1.0, 2.0))
        >>> approx = laplace(m())
        >>> approx.mean.round(4).tolist(), approx.std.round(4).tolist()
        ([1.0], [2.0])
    """
    _check_model(model, "laplace")
    _check_count("max_steps", max_steps)
    res = _mode(model, init, optimizer, max_steps, True, gtol)
    chol = _laplace_scale(model, res.position)
    return Approximation(
        model=model,
        mean=res.position,
        scale=chol,
        elbo_trace=jnp.zeros((0,), res.position.dtype),
        num_steps=res.num_steps,
        converged=res.converged,
        method="laplace",
    )


@filter_jit
def _laplace_scale(model: Model, position: jax.Array) -> jax.Array:
    cov = jnp.linalg.inv(-model.d2logp(position, jacobian=True))
    return jnp.linalg.cholesky(0.5 * (cov + cov.T))  # NaN where the mode is not a maximum


# ----- Pathfinder and NUTS initialisation ----------------------------------------------
def pathfinder(
    model: Model,
    key: jax.Array,
    *,
    num_draws: int = 1000,
    init: dict | None = None,
    maxiter: int = 30,
    num_elbo_samples: int = 20,
) -> dict[str, jax.Array]:
    """Single-path Pathfinder; ``num_draws`` constrained draws (deterministics included).

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(1.0, 1.0))
        >>> pathfinder(m(), jax.random.key(0), num_draws=8)["x"].shape
        (8,)
    """
    key = as_key(key)
    _check_model(model, "pathfinder")
    _check_count("num_draws", num_draws)
    position = model.flatten(init) if init is not None else jnp.zeros((model.num_dims,))
    return _pathfinder_draws(
        model,
        key,
        position,
        num_draws=num_draws,
        maxiter=maxiter,
        num_elbo_samples=num_elbo_samples,
    )


@filter_jit
def _pathfinder_draws(model, key, position, *, num_draws, maxiter, num_elbo_samples):
    res = _pathfinder(
        key,
        model.logdensity,
        position,
        num_draws=num_draws,
        num_elbo_samples=num_elbo_samples,
        maxiter=maxiter,
    )
    return jax.vmap(model.constrain)(res.draws)


def nuts_init(
    model: Model,
    key: jax.Array,
    *,
    method: str = "advi",
    num_chains: int = 4,
    num_steps: int = 2000,
    maxiter: int = 30,
) -> jax.Array:
    """``(num_chains, d)`` unconstrained starting points for ``pplx.infer.nuts_run``.

    ``method="advi"`` draws the chains' starts from a mean-field ADVI fit (``num_steps``
    steps); ``"pathfinder"`` runs one Pathfinder path per chain from its own random start
    (uniform in (-2, 2)) and takes one draw of each. A draw whose log density is not finite
    is replaced by the approximation's centre. Pure.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(1.0, 1.0))
        >>> nuts_init(m(), jax.random.key(0), num_chains=3, num_steps=200).shape
        (3, 1)
    """
    key = as_key(key)
    _check_model(model, "nuts_init")
    _check_count("num_chains", num_chains)
    if method not in ("advi", "pathfinder"):
        raise ValueError(f"method must be 'advi' or 'pathfinder', got {method!r}.")
    return _nuts_init(
        model, key, method=method, num_chains=num_chains, num_steps=num_steps, maxiter=maxiter
    )


@filter_jit
def _nuts_init(model, key, *, method, num_chains, num_steps, maxiter):
    fit_key, draw_key = jax.random.split(key)
    if method == "advi":
        approx = advi(model, fit_key, num_steps=num_steps, convergence=None)
        draws, centres = approx.sample_unconstrained(draw_key, num_chains), approx.mean
    elif method == "pathfinder":
        keys = jax.random.split(fit_key, num_chains)
        starts, _ = jax.vmap(lambda k: find_initial_position(model.logdensity, k, model.num_dims))(
            jax.random.split(draw_key, num_chains)
        )
        res = jax.vmap(
            lambda k, z: _pathfinder(k, model.logdensity, z, num_draws=1, maxiter=maxiter)
        )(keys, starts)
        draws, centres = res.draws[:, 0], res.mean
    ok = jax.vmap(lambda z: jnp.isfinite(model.logdensity(z)))(draws)
    return jnp.where(ok[:, None], draws, jnp.broadcast_to(jnp.atleast_2d(centres), draws.shape))
