"""Gibbs updates of integer vectors whose components take finitely many values.

Each component in turn is drawn from its exact full conditional, found by evaluating the
log density of the whole vector at every value of that component (``num_categories[i]``
values starting at ``lower[i]``). A binary component needs a single extra evaluation
(the flipped value). The kernels know only ``logdensity_fn`` and arrays; which
components exist and how many values each takes is static (closed over).

The info's ``acceptance_rate`` is the mean over components of the conditional
probability of leaving the current value (what a Metropolised Gibbs proposal of "any
other value" would accept): near 0 means the chain barely moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels.base import Algorithm


class GibbsState(NamedTuple):
    """Integer position and its log density."""

    position: jax.Array
    logdensity: jax.Array


class GibbsInfo(NamedTuple):
    """``acceptance_rate``: mean probability of moving; ``n_changed``: components that
    changed in this sweep; ``lp``: log density after the sweep."""

    acceptance_rate: jax.Array
    n_changed: jax.Array
    lp: jax.Array


def _safe(logdensity):
    return jnp.where(jnp.isnan(logdensity), -jnp.inf, logdensity)


def _static_counts(num_categories, lower, what: str):
    counts = np.asarray(num_categories, dtype=np.int64).reshape(-1)
    if counts.size and counts.min() < 1:
        raise ValueError(f"{what}: every component needs at least one value, got {counts}.")
    low = np.zeros_like(counts) if lower is None else np.asarray(lower, np.int64).reshape(-1)
    if low.shape != counts.shape:
        raise ValueError(f"{what}: lower has {low.size} entries for {counts.size} components.")
    return counts, low


def categorical_gibbs(
    logdensity_fn: Callable[[jax.Array], jax.Array], num_categories, lower=None
) -> Algorithm:
    """Systematic-scan Gibbs: component ``i`` takes a value in
    ``lower[i] .. lower[i] + num_categories[i] - 1`` drawn from its full conditional.

    Args:
        logdensity_fn: log density of the whole integer vector.
        num_categories: number of values of each component (static ints).
        lower: smallest value of each component (default 0).

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> logits = jnp.log(jnp.array([0.2, 0.3, 0.5]))
        >>> algo = categorical_gibbs(lambda x: logits[x[0]], num_categories=[3])
        >>> state, info = algo.step(jax.random.key(0), algo.init(jnp.array([0])))
        >>> int(state.position[0]) in (0, 1, 2)
        True
    """
    counts, low = _static_counts(num_categories, lower, "categorical_gibbs")
    k_max = int(counts.max()) if counts.size else 1
    counts_j, low_j = jnp.asarray(counts), jnp.asarray(low)

    def init(position: jax.Array) -> GibbsState:
        return GibbsState(position, _safe(logdensity_fn(position)))

    def update(key, i, x, lp):
        values = (low_j[i] + jnp.arange(k_max)).astype(x.dtype)
        lps = jax.vmap(lambda v: _safe(logdensity_fn(x.at[i].set(v))))(values)
        lps = jnp.where(jnp.arange(k_max) < counts_j[i], lps, -jnp.inf)
        choice = jax.random.categorical(key, lps)
        current = jnp.clip(x[i] - low_j[i], 0, k_max - 1)
        move_prob = 1.0 - jnp.exp(lps[current] - jax.nn.logsumexp(lps))
        return x.at[i].set(values[choice]), lps[choice], move_prob, choice != current

    return Algorithm(init, _sweep(update))


def binary_gibbs(logdensity_fn: Callable[[jax.Array], jax.Array], lower=None) -> Algorithm:
    """Systematic-scan Gibbs for components with two values ``lower[i]`` and
    ``lower[i] + 1`` (default 0/1): one density evaluation per component.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = binary_gibbs(lambda x: 2.0 * jnp.sum(x))
        >>> state, info = algo.step(jax.random.key(1), algo.init(jnp.array([0, 1])))
        >>> state.position.shape
        (2,)
    """

    def init(position: jax.Array) -> GibbsState:
        return GibbsState(position, _safe(logdensity_fn(position)))

    low_j = None if lower is None else jnp.asarray(np.asarray(lower, np.int64).reshape(-1))

    def update(key, i, x, lp):
        low = 0 if low_j is None else low_j[i]
        proposal = x.at[i].set((2 * low + 1 - x[i]).astype(x.dtype))
        new_lp = _safe(logdensity_fn(proposal))
        # P(flip) = p(x') / (p(x) + p(x')), written stably
        move_prob = jnp.where(jnp.isneginf(new_lp), 0.0, jax.nn.sigmoid(new_lp - lp))
        flip = jax.random.uniform(key, dtype=move_prob.dtype) < move_prob
        return jnp.where(flip, proposal, x), jnp.where(flip, new_lp, lp), move_prob, flip

    return Algorithm(init, _sweep(update))


def _sweep(update):
    """A step that applies ``update(key, i, x, lp) -> (x, lp, move_prob, moved)`` to
    every component in order."""

    def step(key, state: GibbsState):
        n = state.position.shape[0]

        def body(i, carry):
            x, lp, total, changed = carry
            x, lp, prob, moved = update(jax.random.fold_in(key, i), i, x, lp)
            return x, lp, total + prob, changed + moved

        zero = jnp.zeros((), state.logdensity.dtype)
        x, lp, total, changed = jax.lax.fori_loop(
            0, n, body, (state.position, state.logdensity, zero, jnp.zeros((), jnp.int32))
        )
        return GibbsState(x, lp), GibbsInfo(total / max(n, 1), changed, lp)

    return step


class SiteSpec(NamedTuple):
    """One site of a site-by-site Gibbs sweep (static).

    Attributes:
        start, size: the site's components in the position vector.
        num_categories, lower: per component, its number of values and smallest value.
        is_elementwise: True when the site's conditional function returns one log
            weight per component, entry ``i`` depending on component ``i`` only (the
            components are conditionally independent: all are drawn at once); False
            when it returns the site's conditional log density, a scalar (components
            drawn in turn).
    """

    start: int
    size: int
    num_categories: tuple[int, ...]
    lower: tuple[int, ...]
    is_elementwise: bool


def sitewise_gibbs(conditional_fns, sites) -> Algorithm:
    """Gibbs over several sites, each with its own conditional log density.

    Site ``j`` is updated with ``conditional_fns[j](position)``, which only needs the
    terms of the log density that mention the site (its Markov blanket): every other
    term is constant in the site. An elementwise site (``SiteSpec.is_elementwise``)
    costs ``max(num_categories)`` evaluations for all its components together; the
    others one sweep of :func:`categorical_gibbs` (or :func:`binary_gibbs`).

    The state's ``logdensity`` (and the info's ``lp``) is the sum over sites of their
    conditional log density at the new values (not the joint log density).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> w = jnp.array([[0.0, 2.0], [1.0, -1.0], [0.5, 0.5]])  # 3 independent binaries
        >>> elementwise = lambda x: w[jnp.arange(3), x]
        >>> algo = sitewise_gibbs([elementwise], [SiteSpec(0, 3, (2, 2, 2), (0, 0, 0), True)])
        >>> state, info = algo.step(jax.random.key(0), algo.init(jnp.array([0, 0, 0])))
        >>> state.position.shape, info.n_changed.dtype
        ((3,), dtype('int32'))
    """
    fns, specs = tuple(conditional_fns), tuple(sites)
    if len(fns) != len(specs):
        raise ValueError(f"sitewise_gibbs: {len(fns)} functions for {len(specs)} sites.")
    for spec in specs:
        _static_counts(spec.num_categories, spec.lower, "sitewise_gibbs")

    def init(position: jax.Array) -> GibbsState:
        total = sum((jnp.sum(_safe(fn(position))) for fn in fns), jnp.zeros(()))
        return GibbsState(position, total)

    def step(key, state: GibbsState):
        x, lp = state.position, jnp.zeros((), state.logdensity.dtype)
        moved, changed, n = jnp.zeros((), lp.dtype), jnp.zeros((), jnp.int32), 0
        for j, (fn, spec) in enumerate(zip(fns, specs, strict=True)):
            update = _elementwise_update if spec.is_elementwise else _site_sweep
            x, site_lp, site_moved, site_changed = update(jax.random.fold_in(key, j), x, fn, spec)
            lp, moved = lp + site_lp, moved + site_moved
            changed, n = changed + site_changed.astype(jnp.int32), n + spec.size
        return GibbsState(x, lp), GibbsInfo(moved / max(n, 1), changed, lp)

    return Algorithm(init, step)


def _elementwise_update(key, x, fn, spec: SiteSpec):
    """All components of one site at once: ``K`` evaluations, each giving every
    component's log weight of that value."""
    counts, low = _static_counts(spec.num_categories, spec.lower, "sitewise_gibbs")
    k_max, where = int(counts.max()), slice(spec.start, spec.start + spec.size)
    low_j = jnp.asarray(low)
    at = lambda v: _safe(fn(x.at[where].set((low_j + v).astype(x.dtype))))
    lps = jax.vmap(at)(jnp.arange(k_max))  # (value, component)
    lps = jnp.where(jnp.arange(k_max)[:, None] < jnp.asarray(counts)[None, :], lps, -jnp.inf)
    choice = jax.random.categorical(key, lps, axis=0)
    current = jnp.clip(x[where] - low_j, 0, k_max - 1)
    cols = jnp.arange(spec.size)
    stay = jnp.exp(lps[current, cols] - jax.nn.logsumexp(lps, axis=0))
    new = x.at[where].set((low_j + choice).astype(x.dtype))
    return new, jnp.sum(lps[choice, cols]), jnp.sum(1.0 - stay), jnp.sum(choice != current)


def _site_sweep(key, x, fn, spec: SiteSpec):
    """One site's components in turn, each from the site's conditional log density."""
    where = slice(spec.start, spec.start + spec.size)
    site_fn = lambda s: fn(x.at[where].set(s))
    if all(c == 2 for c in spec.num_categories):
        algo = binary_gibbs(site_fn, spec.lower)
    else:
        algo = categorical_gibbs(site_fn, spec.num_categories, spec.lower)
    state, info = algo.step(key, algo.init(x[where]))
    return (
        x.at[where].set(state.position),
        info.lp,
        info.acceptance_rate * spec.size,
        info.n_changed,
    )
