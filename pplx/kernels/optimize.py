"""Maximise a flat log density with optax (L-BFGS with line search by default).

Model-agnostic: ``logdensity_fn(z) -> f[]`` on ``f[d]``. The loop is one
``lax.while_loop``, so the search is jit- and vmap-able (e.g. over starting points).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp

if TYPE_CHECKING:  # optax loads when first used (import pplx stays light)
    import optax


class OptimizeResult(NamedTuple):
    """Where the search stopped and why.

    Attributes:
        position: the final point ``f[d]``.
        logdensity: the log density there.
        grad: its gradient there.
        num_steps: optimiser steps taken.
        converged: True when the gradient's largest entry fell below ``gtol`` or the
            relative change of the log density below ``ftol``.
    """

    position: jax.Array
    logdensity: jax.Array
    grad: jax.Array
    num_steps: jax.Array
    converged: jax.Array


class _Carry(NamedTuple):
    i: jax.Array
    position: jax.Array
    opt_state: object
    value: jax.Array
    grad: jax.Array
    converged: jax.Array


def maximize(
    logdensity_fn: Callable,
    position: jax.Array,
    *,
    optimizer: optax.GradientTransformation | None = None,
    max_steps: int = 1000,
    gtol: float = 1e-6,
    ftol: float = 1e-12,
) -> OptimizeResult:
    """Find a mode of ``logdensity_fn`` starting from ``position``.

    Args:
        logdensity_fn: ``f[d] -> f[]``.
        position: starting point.
        optimizer: an optax transformation minimising ``-logdensity``; None means
            ``optax.lbfgs`` with a backtracking line search.
        max_steps: most optimiser steps.
        gtol: stop when ``max |grad| < gtol``.
        ftol: stop when ``|f_new - f_old| <= ftol * max(|f_new|, 1)`` (L-BFGS only, whose
            line search gives the new value for free).

    Example:
        >>> import jax.numpy as jnp
        >>> res = maximize(lambda z: -jnp.sum((z - 2.0) ** 2), jnp.zeros(3))
        >>> res.position.round(4).tolist(), bool(res.converged)
        ([2.0, 2.0, 2.0], True)
    """
    import optax
    import optax.tree_utils as otu

    is_lbfgs = optimizer is None
    # backtracking (Armijo) line search: far cheaper to compile than the zoom search
    opt = (
        optax.lbfgs(
            linesearch=optax.scale_by_backtracking_linesearch(
                max_backtracking_steps=30, store_grad=True
            )
        )
        if is_lbfgs
        else optimizer
    )

    def neg(z):
        return -logdensity_fn(z)

    value_and_grad = optax.value_and_grad_from_state(neg) if is_lbfgs else jax.value_and_grad(neg)

    def cond(c: _Carry):
        return (c.i < max_steps) & ~c.converged

    def body(c: _Carry) -> _Carry:
        if is_lbfgs:
            value, grad = value_and_grad(c.position, state=c.opt_state)
            updates, opt_state = opt.update(
                grad, c.opt_state, c.position, value=value, grad=grad, value_fn=neg
            )
        else:
            value, grad = value_and_grad(c.position)
            updates, opt_state = opt.update(grad, c.opt_state, c.position)
        position = optax.apply_updates(c.position, updates)
        if is_lbfgs:  # the line search already evaluated the new point
            new_value = otu.tree_get(opt_state, "value")
            new_grad = otu.tree_get(opt_state, "grad")
            flat = jnp.abs(new_value - value) <= ftol * jnp.maximum(jnp.abs(new_value), 1.0)
            converged = (jnp.max(jnp.abs(new_grad)) < gtol) | flat
        else:  # judge the point the gradient was taken at; no second evaluation
            new_value, new_grad = value, grad
            converged = jnp.max(jnp.abs(grad)) < gtol
            position = jnp.where(converged, c.position, position)
        return _Carry(c.i + 1, position, opt_state, new_value, new_grad, converged)

    position = jnp.asarray(position)
    value, grad = jax.value_and_grad(neg)(position)
    init = _Carry(
        jnp.zeros((), jnp.int32),
        position,
        opt.init(position),
        value,
        grad,
        jnp.max(jnp.abs(grad)) < gtol,
    )
    out = jax.lax.while_loop(cond, body, init)
    if not is_lbfgs:
        value, grad = jax.value_and_grad(neg)(out.position)
        out = out._replace(value=value, grad=grad)
    return OptimizeResult(
        position=out.position,
        logdensity=-out.value,
        grad=-out.grad,
        num_steps=out.i,
        converged=out.converged,
    )
