"""Chains still stuck after warmup: which, why, and what to try.

A chain is stuck when, over its kept draws, it moved in fewer than ``MIN_MOVE_SHARE`` of
its transitions, its mean acceptance is below ``MIN_ACCEPTANCE``, or its adapted step
size collapsed: below ``MIN_STEP_SIZE`` (the mass matrix adapts the scale, so a step size
that small means the metric never matched the chain's region: a chain creeping down a
cliff with steps of 1e-24 "moves" at every transition) or, with three or more chains,
below ``STEP_COLLAPSE`` times the median over chains.
Such a chain's draws say nothing about the posterior; R-hat flags the run, but not which
chain nor why.
"""

from __future__ import annotations

import numpy as np

MIN_MOVE_SHARE = 0.1
MIN_ACCEPTANCE = 0.1
STEP_COLLAPSE = 1e-3
MIN_STEP_SIZE = 1e-6


def _moved_share(draws: dict) -> np.ndarray:
    """Per chain, the share of transitions after which some draw changed."""
    flat = [np.asarray(v).reshape(np.shape(v)[0], np.shape(v)[1], -1) for v in draws.values()]
    flat = np.concatenate(flat, axis=-1)
    if flat.shape[1] < 2:
        return np.ones(flat.shape[0])
    return np.mean(np.any(np.diff(flat, axis=1) != 0, axis=-1), axis=1)


def stuck_chain_warnings(draws: dict, stats: dict, step_size) -> list[str]:
    """One message per stuck chain, naming it, its symptoms and what to try.

    Args:
        draws: ``{site: (chain, draw, *shape)}``.
        stats: sample stats with ``acceptance_rate`` ``(chain, draw)`` (optional).
        step_size: the adapted step size per chain ``(chain,)``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(3, 100))
        >>> x[2] = 5.0  # chain 2 never moves
        >>> msgs = stuck_chain_warnings({"x": x}, {}, np.array([0.5, 0.4, 1e-9]))
        >>> len(msgs), msgs[0].startswith("chain 2 is stuck")
        (1, True)
    """
    if not draws:
        return []
    moved = _moved_share(draws)
    step = np.broadcast_to(np.asarray(step_size, dtype=float), moved.shape)
    acceptance = stats.get("acceptance_rate") if stats else None
    acc = None if acceptance is None else np.mean(np.asarray(acceptance, dtype=float), axis=1)
    median = float(np.median(step))
    messages = []
    for c in range(moved.shape[0]):
        symptoms = []
        if moved[c] < MIN_MOVE_SHARE:
            symptoms.append(f"its draws moved in {100 * moved[c]:.0f}% of transitions")
        if acc is not None and acc[c] < MIN_ACCEPTANCE:
            symptoms.append(f"its mean acceptance is {acc[c]:.2g}")
        relative = moved.shape[0] >= 3 and step[c] < STEP_COLLAPSE * median
        if relative or step[c] < MIN_STEP_SIZE:
            symptoms.append(
                f"its step size {step[c]:.2g} collapsed (median over chains {median:.2g})"
            )
        if symptoms:
            messages.append(
                f"chain {c} is stuck after warmup: {'; '.join(symptoms)}. Its draws do not "
                "describe the posterior. Try: a start in the bulk of the posterior (init={site: "
                "value} or init='pathfinder'), a longer warmup (num_warmup), tighter priors, or "
                "a reparameterisation that removes the region where it stuck (an exploding "
                "recursion, a funnel: a non-centred form)."
            )
    return messages
