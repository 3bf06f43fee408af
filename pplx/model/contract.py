"""Sum discrete variables out of a product of log factors (variable elimination), and
draw them back from their conditional posterior.

Every factor is one array of the same rank ``R = P + E``: ``P`` batch (plate) dims on
the right, then one *enumeration axis* per discrete variable to their left. A factor
depends on a variable when it has the variable's size at that variable's axis (size 1
otherwise); it is replicated over a batch dim when it has a size above 1 there. This is
parallel enumeration: a variable inside plates costs ``K`` per element, not ``K^N``.

Variables are eliminated innermost first (most plates first). Eliminating ``v`` sums,
over the batch dims ``v`` is not replicated over, the factors that depend on it, adds
them and takes ``logsumexp`` along ``v``'s axis (or, for a Markov chain along dim -1,
runs the forward algorithm: ``O(T K^2)``). What is left depends on no variable and is
summed. Recording each eliminated sum lets :func:`sample_eliminated` draw the variables
back in reverse order (forward filtering, backward sampling).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp


class EnumVar(NamedTuple):
    """One summed-out variable: its name, enumeration axis (negative), batch dims it is
    replicated over (negative ints), number of values, and for a Markov chain its
    ``(log initial probs (K,), log transition matrices (T-1, K, K))``."""

    name: str
    axis: int
    plates: frozenset
    size: int
    chain: tuple | None = None


class Eliminated(NamedTuple):
    """What eliminating one variable left behind, for sampling it back."""

    var: EnumVar
    table: jax.Array  # the summed factors (or, for a chain, the forward messages)


def _depends(f: jax.Array, v: EnumVar) -> bool:
    return f.shape[v.axis] > 1


def _reduce(f, v: EnumVar, remaining, rank: int, num_batch: int):
    """Sum ``f`` over the batch dims ``v`` is not replicated over."""
    for d in range(-1, -num_batch - 1, -1):
        if f.shape[d] == 1 or d in v.plates:
            continue
        for w in remaining:
            if w is not v and _depends(f, w) and d in w.plates:
                raise ValueError(
                    f"discrete sites '{v.name}' and '{w.name}' meet in one log density term "
                    f"but are replicated over different plates (dim {d}): their joint "
                    "support grows with the plate size. Enumerate only one of them."
                )
        f = jnp.sum(f, axis=d, keepdims=True)
    return f


def _check_support(total, v: EnumVar, remaining, max_support: int) -> None:
    clique = sorted((w for w in remaining if _depends(total, w) or w is v), key=lambda w: -w.axis)
    size = math.prod(w.size for w in clique)
    if size > max_support:
        names = [w.name for w in clique]
        sizes = " x ".join(str(w.size) for w in clique)
        raise ValueError(
            f"the discrete sites {names} depend on each other: summing them out enumerates "
            f"their joint support of {sizes} = {size} values, above max_support="
            f"{max_support}. Marginalise fewer of them (sample the others with "
            "pplx.compound), or raise max_support."
        )


def contract(factors, variables, num_batch: int, max_support: int = 10_000, record=False):
    """The log of the sum over every variable's values of ``exp(sum(factors))``.

    Args:
        factors: arrays, all of the same rank.
        variables: the :class:`EnumVar` to sum out.
        num_batch: the number ``P`` of batch dims (the rightmost ones).
        max_support: the largest joint support of variables that share a term.
        record: also return the :class:`Eliminated` list (for sampling).

    Example:
        >>> import jax.numpy as jnp
        >>> v = EnumVar("z", -2, frozenset({-1}), 2)
        >>> f = jnp.log(jnp.array([[0.2, 0.5], [0.8, 0.5]]))  # (K=2, N=2) per element
        >>> round(float(contract([f], [v], num_batch=1)), 12)  # log(1) + log(1)
        0.0
    """
    factors = list(factors)
    order = sorted(
        range(len(variables)),
        key=lambda i: (-len(variables[i].plates), variables[i].chain is not None, -i),
    )
    remaining = [variables[i] for i in order]
    rank = factors[0].ndim if factors else 0
    done = []
    while remaining:
        v = remaining[0]
        involved = [_reduce(f, v, remaining, rank, num_batch) for f in factors if _depends(f, v)]
        factors = [f for f in factors if not _depends(f, v)]
        total = sum(involved[1:], involved[0]) if involved else None
        if v.chain is not None:
            message, table = _forward(total, v, remaining, rank)
        else:
            _check_support(total, v, remaining, max_support)
            message, table = logsumexp(total, axis=v.axis, keepdims=True), total
        factors.append(message)
        done.append(Eliminated(v, table))
        remaining = remaining[1:]
    out = sum((jnp.sum(f) for f in factors), jnp.zeros(()))
    return (out, done) if record else out


def _chain_axes(v: EnumVar, rank: int):
    return rank + v.axis, rank - 1  # (the state axis, the time axis), as positive ints


def _forward(total, v: EnumVar, remaining, rank: int):
    """Forward algorithm along dim -1 for chain ``v``: the log normaliser, keeping every
    other axis; the table holds the forward messages ``(T, ..., K)``."""
    log_init, log_trans = v.chain
    num_steps = log_trans.shape[0] + 1
    for w in remaining:
        if w is not v and w.chain is not None and total is not None and _depends(total, w):
            raise ValueError(
                f"Markov chains '{v.name}' and '{w.name}' meet in one log density term; "
                "dependent chains are not summed out. Marginalise one of them."
            )
    if total is None:
        total = jnp.zeros((1,) * (rank + v.axis) + (v.size,) + (1,) * (-v.axis - 1))
    if total.shape[-1] != num_steps:
        if total.shape[-1] != 1 or num_steps == 1:
            raise ValueError(
                f"Markov site '{v.name}' has {num_steps} steps but a term that depends on it "
                f"has {total.shape[-1]} entries along dim -1."
            )
        raise ValueError(
            f"a term that depends on Markov site '{v.name}' sums over its time steps "
            "(e.g. .to_event(1)): write the emissions elementwise in a plate of size "
            f"{num_steps} at dim -1 so the forward algorithm can use them."
        )
    state_ax, time_ax = _chain_axes(v, rank)
    emit = jnp.moveaxis(total, (state_ax, time_ax), (-1, 0))  # (T, ..., K)

    lead = (1,) * (emit.ndim - 2)  # explicit broadcasting over the other axes
    log_init = jnp.reshape(log_init, lead + (v.size,))
    log_trans = jnp.reshape(log_trans, (num_steps - 1,) + lead + (v.size, v.size))

    def step(alpha, inputs):
        trans, e = inputs
        alpha = logsumexp(alpha[..., :, None] + trans, axis=-2) + e
        return alpha, alpha

    alpha0 = log_init + emit[0]
    last, alphas = jax.lax.scan(step, alpha0, (log_trans, emit[1:]))
    alphas = jnp.concatenate([alpha0[None], alphas], axis=0)
    log_z = logsumexp(last, axis=-1)
    return jnp.expand_dims(log_z, tuple(sorted((state_ax, time_ax)))), alphas


def _fix(table, axis: int, value):
    """``table`` at ``value`` (size 1 at ``axis``) along ``axis``."""
    shape = list(table.shape)
    shape[axis] = 1
    shape = jnp.broadcast_shapes(tuple(shape), value.shape)
    full = list(shape)
    full[axis] = table.shape[axis]
    table = jnp.broadcast_to(table, tuple(full))
    return jnp.take_along_axis(table, jnp.broadcast_to(value, shape), axis=axis)


def sample_eliminated(key, eliminated, rank: int) -> dict:
    """Draw every eliminated variable from its conditional posterior, last first.

    Returns ``name -> index array`` (indices ``0..K-1``): rank ``R`` with size 1 at the
    enumeration axes, except a chain's, which is its path ``(T,)``.
    """
    out, values = {}, {}
    for j, (v, table) in enumerate(reversed(eliminated)):
        k = jax.random.fold_in(key, j)
        if v.chain is not None:
            out[v.name] = _sample_chain(k, v, table, values, rank)
            continue
        for w, value in values.items():
            if table.shape[w.axis] > 1:
                table = _fix(table, w.axis, value)
        g = jax.random.gumbel(k, table.shape, table.dtype)
        index = jnp.argmax(table + g, axis=v.axis, keepdims=True)
        values[v] = index
        out[v.name] = index
    return out


def _sample_chain(key, v: EnumVar, alphas, values, rank: int):
    """Backward sampling of a chain path from its forward messages ``(T, ..., K)``."""
    _, log_trans = v.chain
    for w, value in values.items():
        state_ax, time_ax = _chain_axes(v, rank)
        # place w's value as the messages hold their axes: time first, state last
        moved = jnp.moveaxis(value, (state_ax, time_ax), (-1, 0))
        axis = _moved_axis(w.axis + rank, state_ax, time_ax, rank)
        if alphas.shape[axis] > 1:
            alphas = _fix(alphas, axis, moved)
    alphas = alphas.reshape(alphas.shape[0], -1)  # (T, K): other axes are now size 1
    keys = jax.random.split(key, alphas.shape[0])
    last = jax.random.categorical(keys[-1], alphas[-1])

    def step(nxt, inputs):
        k, alpha, trans = inputs
        x = jax.random.categorical(k, alpha + trans[:, nxt])
        return x, x

    _, path = jax.lax.scan(step, last, (keys[:-1], alphas[:-1], log_trans), reverse=True)
    return jnp.concatenate([path, last[None]])


def _moved_axis(axis: int, state_ax: int, time_ax: int, rank: int) -> int:
    """Where ``axis`` lands after moving ``state_ax`` last and ``time_ax`` first."""
    rest = [a for a in range(rank) if a not in (state_ax, time_ax)]
    return 1 + rest.index(axis)
