"""ADVI on a flat log density: a Gaussian in unconstrained space fitted by stochastic
gradient ascent on the reparameterised ELBO (analytic Gaussian entropy).

Model-agnostic: the target is ``logdensity_fn(z, key) -> f[]`` on ``f[d]``; the key lets a
target draw a minibatch (an unbiased estimate of the log density), and a deterministic
target simply ignores it. Two families:

- mean-field: ``mean`` and ``log_std`` (diagonal covariance);
- full-rank: ``mean`` and ``chol`` whose lower triangle, with the diagonal exponentiated,
  is the Cholesky factor of the covariance.

The algorithm is an ``init``/``step`` pair; :func:`fit` drives it inside one
``lax.while_loop`` with a step cap and a convergence test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.base import Algorithm

if TYPE_CHECKING:  # optax loads when first used (import pplx stays light)
    import optax

METHODS = ("meanfield", "fullrank")


class MeanFieldParams(NamedTuple):
    """Diagonal Gaussian: ``z = mean + exp(log_std) * eps``."""

    mean: jax.Array
    log_std: jax.Array


class FullRankParams(NamedTuple):
    """Dense Gaussian: ``z = mean + L eps`` with ``L = tril(chol, -1) + diag(exp(diag(chol)))``."""

    mean: jax.Array
    chol: jax.Array


class ADVIState(NamedTuple):
    """Variational parameters, the optimiser's state and the number of steps taken.

    Example:
        >>> import jax, optax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> opt = optax.adam(0.1)
        >>> state = pplx.vi.init(m(), opt)
        >>> type(state.params).__name__, state.params.mean.shape, int(state.step)
        ('MeanFieldParams', (1,), 0)
        >>> state, _ = pplx.vi.step(m(), jax.random.key(0), state, opt)
        >>> int(state.step)
        1
    """

    params: Any
    opt_state: Any
    step: jax.Array


class ADVIInfo(NamedTuple):
    """The ELBO estimate at the step's starting parameters and the gradient norm.

    Example:
        >>> import jax, optax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> opt = optax.adam(0.1)
        >>> _, info = pplx.vi.step(m(), jax.random.key(0), pplx.vi.init(m(), opt), opt)
        >>> info.elbo.shape, info.grad_norm.shape, bool(info.grad_norm > 0)
        ((), (), True)
    """

    elbo: jax.Array
    grad_norm: jax.Array


# ----- the Gaussian family -------------------------------------------------------------
def init_params(
    position: jax.Array, method: str = "meanfield", init_scale: float = 0.1
) -> MeanFieldParams | FullRankParams:
    """Parameters of a Gaussian centred at ``position`` with standard deviation ``init_scale``.

    Example:
        >>> import jax.numpy as jnp
        >>> p = init_params(jnp.zeros(2), "fullrank", init_scale=1.0)
        >>> scale_tril(p).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    position = jnp.asarray(position)
    log_scale = jnp.full_like(position, math.log(init_scale))
    if method == "meanfield":
        return MeanFieldParams(position, log_scale)
    return FullRankParams(position, jnp.diag(log_scale))


def scale_tril(params: MeanFieldParams | FullRankParams) -> jax.Array:
    """The lower-triangular Cholesky factor ``L`` of the covariance (``(d, d)``)."""
    if isinstance(params, MeanFieldParams):
        return jnp.diag(jnp.exp(params.log_std))
    return jnp.tril(params.chol, -1) + jnp.diag(jnp.exp(jnp.diag(params.chol)))


def scale(params: MeanFieldParams | FullRankParams) -> jax.Array:
    """``f[d]`` standard deviations (mean-field) or ``f[d, d]`` Cholesky factor (full-rank)."""
    if isinstance(params, MeanFieldParams):
        return jnp.exp(params.log_std)
    return scale_tril(params)


def entropy(params: MeanFieldParams | FullRankParams) -> jax.Array:
    """Differential entropy of the Gaussian: ``sum(log diag L) + d/2 (1 + log 2 pi)``."""
    log_diag = params.log_std if isinstance(params, MeanFieldParams) else jnp.diag(params.chol)
    d = params.mean.shape[-1]
    return jnp.sum(log_diag) + 0.5 * d * (1.0 + math.log(2.0 * math.pi))


def transform(params: MeanFieldParams | FullRankParams, eps: jax.Array) -> jax.Array:
    """Map standard-normal ``eps`` (``(..., d)``) to draws of the Gaussian."""
    lead = (1,) * (eps.ndim - 1)  # explicit broadcasting (strict rank promotion)
    mean = jnp.reshape(params.mean, lead + params.mean.shape)
    if isinstance(params, MeanFieldParams):
        return mean + jnp.reshape(jnp.exp(params.log_std), lead + params.mean.shape) * eps
    return mean + eps @ scale_tril(params).T


def sample(key: jax.Array, params: MeanFieldParams | FullRankParams, num_draws: int) -> jax.Array:
    """``(num_draws, d)`` draws of the Gaussian."""
    eps = jax.random.normal(key, (num_draws,) + params.mean.shape, params.mean.dtype)
    return transform(params, eps)


# ----- the objective -------------------------------------------------------------------
def elbo(logdensity_fn: Callable, params, key: jax.Array, num_samples: int = 1) -> jax.Array:
    """Reparameterised ELBO estimate: mean of ``logdensity_fn(z_i, data_key)`` + entropy.

    All ``num_samples`` draws share one ``data_key`` (one minibatch per estimate), so a
    minibatched target keeps the estimate unbiased. Differentiable in ``params``.
    """
    draw_key, data_key = jax.random.split(key)
    z = sample(draw_key, params, num_samples)
    logps = jax.vmap(lambda zi: logdensity_fn(zi, data_key))(z)
    return jnp.mean(logps) + entropy(params)


def advi_step(
    logdensity_fn: Callable,
    optimizer: optax.GradientTransformation,
    key: jax.Array,
    state: ADVIState,
    num_elbo_samples: int = 1,
) -> tuple[ADVIState, ADVIInfo]:
    """One optimiser step on ``-ELBO``; the family is read from the parameters' type."""
    import optax

    def loss(params):
        return -elbo(logdensity_fn, params, key, num_elbo_samples)

    neg_elbo, grads = jax.value_and_grad(loss)(state.params)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    info = ADVIInfo(elbo=-neg_elbo, grad_norm=_flat_norm(grads))
    return ADVIState(params=params, opt_state=opt_state, step=state.step + 1), info


def _flat_norm(tree) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(x**2) for x in jax.tree.leaves(tree)))


def advi(
    logdensity_fn: Callable,
    optimizer: optax.GradientTransformation,
    *,
    method: str = "meanfield",
    num_elbo_samples: int = 1,
    init_scale: float = 0.1,
) -> Algorithm:
    """ADVI as an :class:`Algorithm`: ``init(position)`` and ``step(key, state)``.

    Args:
        logdensity_fn: ``(z, key) -> f[]``; the key may pick a minibatch.
        optimizer: an optax gradient transformation (minimises ``-ELBO``).
        method: ``"meanfield"`` or ``"fullrank"``.
        num_elbo_samples: Monte Carlo draws per ELBO gradient.
        init_scale: initial standard deviation of every coordinate.

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> algo = advi(lambda z, key: -0.5 * jnp.sum((z - 3.0) ** 2), optax.adam(0.1))
        >>> state = algo.init(jnp.zeros(2))
        >>> for i in range(300):
        ...     state, info = algo.step(jax.random.key(i), state)
        >>> bool(jnp.allclose(state.params.mean, 3.0, atol=0.3))
        True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")

    def init(position: jax.Array) -> ADVIState:
        params = init_params(position, method, init_scale)
        return ADVIState(
            params=params, opt_state=optimizer.init(params), step=jnp.zeros((), jnp.int32)
        )

    def step(key: jax.Array, state: ADVIState) -> tuple[ADVIState, ADVIInfo]:
        return advi_step(logdensity_fn, optimizer, key, state, num_elbo_samples)

    return Algorithm(init, step)


# ----- the driver ----------------------------------------------------------------------
class FitOutput(NamedTuple):
    """Final state, the ELBO trace (NaN after the last step), steps taken, convergence."""

    state: ADVIState
    elbo_trace: jax.Array
    num_steps: jax.Array
    converged: jax.Array


class _Carry(NamedTuple):
    i: jax.Array
    state: ADVIState
    trace: jax.Array
    window_params: Any  # running sum of the parameters over the current window
    last_params: Any  # mean parameters of the previous window
    window_elbo: jax.Array
    last_elbo: jax.Array
    converged: jax.Array


def _flat(tree) -> jax.Array:
    return jnp.concatenate([jnp.ravel(x) for x in jax.tree.leaves(tree)])


def _relative_change(new: jax.Array, old: jax.Array) -> jax.Array:
    return jnp.linalg.norm(new - old) / jnp.maximum(jnp.linalg.norm(old), 1e-12)


def fit(
    algo: Algorithm,
    key: jax.Array,
    state: ADVIState,
    *,
    num_steps: int,
    tol: float = 1e-3,
    convergence: str | None = "elbo",
    check_every: int = 100,
    progress: Any = None,
) -> FitOutput:
    """Run ``algo.step`` at most ``num_steps`` times inside ``lax.while_loop``.

    Every ``check_every`` steps the means over the last window are compared with those
    over the window before (averaging tames the gradient noise): ``convergence="elbo"``
    stops when the windowed ELBO's relative change is below ``tol``, ``"params"`` when
    the relative change of the windowed parameter vector (L2 norm) is, ``None`` never
    stops early. Step ``i`` uses ``fold_in(key, i)``. Pure: jit- and vmap-able.

    ``progress``: None, or an object with ``hook(iteration, elbo)`` called every step.
    """
    if convergence not in ("elbo", "params", None):
        raise ValueError(f"convergence must be 'elbo', 'params' or None, got {convergence!r}.")
    flat0 = _flat(state.params)
    dtype = flat0.dtype
    init = _Carry(
        i=jnp.zeros((), jnp.int32),
        state=state,
        trace=jnp.full((num_steps,), jnp.nan, dtype),
        window_params=jnp.zeros_like(flat0),
        last_params=jnp.full_like(flat0, jnp.inf),
        window_elbo=jnp.zeros((), dtype),
        last_elbo=jnp.full((), jnp.inf, dtype),
        converged=jnp.zeros((), bool),
    )

    def cond(c: _Carry):
        return (c.i < num_steps) & ~c.converged

    def body(c: _Carry) -> _Carry:
        new_state, info = algo.step(jax.random.fold_in(key, c.i), c.state)
        window_params = c.window_params + _flat(new_state.params)
        window_elbo = c.window_elbo + info.elbo
        ends = (c.i + 1) % check_every == 0
        mean_params = window_params / check_every
        mean_elbo = window_elbo / check_every
        if convergence == "params":
            done = _relative_change(mean_params, c.last_params) < tol
        elif convergence == "elbo":
            done = jnp.abs(mean_elbo - c.last_elbo) / jnp.abs(c.last_elbo) < tol
        else:
            done = jnp.zeros((), bool)
        if progress is not None:
            progress.hook(c.i, info.elbo)
        return _Carry(
            i=c.i + 1,
            state=new_state,
            trace=c.trace.at[c.i].set(info.elbo),
            window_params=jnp.where(ends, 0.0, window_params),
            last_params=jnp.where(ends, mean_params, c.last_params),
            window_elbo=jnp.where(ends, 0.0, window_elbo),
            last_elbo=jnp.where(ends, mean_elbo, c.last_elbo),
            converged=ends & done,
        )

    out = jax.lax.while_loop(cond, body, init)
    return FitOutput(
        state=out.state, elbo_trace=out.trace, num_steps=out.i, converged=out.converged
    )
