"""Run-level convergence report: per-parameter summary, warnings and a one-line verdict.

Inputs are the draws of a run, ``{name: array (chain, draw, *shape)}``, and its sample
stats, ``{stat: array (chain, draw)}`` under ArviZ's names (``diverging``, ``tree_depth``,
``energy``); any stat may be missing and its checks are then skipped.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import estimators

__all__ = ["summarize", "convergence_warnings", "verdict"]

MIN_BFMI = 0.3
MAX_TREE_DEPTH_SHARE = 0.01
_MAX_LISTED = 8


class _Assessment(NamedTuple):
    """Everything the warnings and the verdict are built from, computed once."""

    num_chains: int
    r_hat: dict[str, np.ndarray]
    ess_bulk: dict[str, np.ndarray]
    ess_tail: dict[str, np.ndarray]
    num_divergent: int | None
    num_transitions: int
    bfmi: np.ndarray | None
    num_at_max_depth: int | None


def _checked_draws(draws: dict) -> dict[str, np.ndarray]:
    arrays = {name: np.asarray(value) for name, value in draws.items()}
    chain_counts = set()
    for name, value in arrays.items():
        if value.ndim < 2:
            raise ValueError(
                f"draws[{name!r}] must be shaped (chain, draw, *shape); got shape "
                f"{value.shape}. For a single chain, add a leading axis: value[None]."
            )
        chain_counts.add(value.shape[0])
    if len(chain_counts) > 1:
        shapes = {name: value.shape for name, value in arrays.items()}
        raise ValueError(f"all draws must have the same number of chains; got shapes {shapes}")
    return arrays


def _checked_stat(stats: dict, key: str) -> np.ndarray | None:
    if stats.get(key) is None:
        return None
    value = np.asarray(stats[key])
    if value.ndim != 2:
        raise ValueError(f"stats[{key!r}] must be shaped (chain, draw); got shape {value.shape}")
    return value


def _element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """``name`` for a scalar, ``name[i]`` or ``name[i,j]`` per element in C order."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(map(str, index))}]" for index in np.ndindex(*shape)]


def _elements(values: dict[str, np.ndarray]) -> list[tuple[str, float]]:
    pairs = []
    for name, value in values.items():
        value = np.asarray(value, dtype=np.float64)
        pairs.extend(zip(_element_names(name, value.shape), value.ravel().tolist(), strict=True))
    return pairs


def _extreme(values: dict[str, np.ndarray], largest: bool) -> tuple[float, str] | None:
    """The largest (or smallest) non-NaN element and its name; None if there is none."""
    finite = [(value, name) for name, value in _elements(values) if not np.isnan(value)]
    if not finite:
        return None
    return max(finite) if largest else min(finite)


def _worst_value(values, largest: bool) -> float:
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan")
    return float(values.max() if largest else values.min())


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    extra = len(names) - _MAX_LISTED
    return shown if extra <= 0 else f"{shown} and {extra} more"


def _percent(share: float) -> str:
    percent = 100.0 * share
    return f"{percent:.2g}%" if 0 < percent < 0.1 else f"{percent:.1f}%"


def _assess(draws: dict, stats: dict, max_tree_depth: int | None) -> _Assessment:
    arrays = _checked_draws(draws)
    stats = {} if stats is None else stats
    diverging = _checked_stat(stats, "diverging")
    energy = _checked_stat(stats, "energy")
    tree_depth = _checked_stat(stats, "tree_depth")
    shapes = [value.shape[:2] for value in arrays.values()]
    shapes += [s.shape for s in (diverging, energy, tree_depth) if s is not None]
    num_chains, num_draws = shapes[0] if shapes else (0, 0)
    at_max = None
    if tree_depth is not None and max_tree_depth is not None:
        at_max = int(np.sum(tree_depth >= max_tree_depth))
    return _Assessment(
        num_chains=num_chains,
        r_hat={name: estimators.split_rhat(value) for name, value in arrays.items()},
        ess_bulk={name: estimators.ess_bulk(value) for name, value in arrays.items()},
        ess_tail={name: estimators.ess_tail(value) for name, value in arrays.items()},
        num_divergent=None if diverging is None else int(np.sum(diverging)),
        num_transitions=num_chains * num_draws,
        bfmi=None if energy is None else estimators.bfmi(energy),
        num_at_max_depth=at_max,
    )


def summarize(draws: dict) -> dict[str, dict[str, float]]:
    """Worst-case convergence numbers per parameter, over its elements.

    Args:
        draws: ``{name: array (chain, draw, *shape)}``.

    Returns:
        ``{name: {"ess_bulk": min bulk ESS, "ess_tail": min tail ESS, "r_hat": max R-hat}}``,
        NaN elements ignored (a value is NaN only when every element is NaN, e.g. R-hat of a
        single chain or of a constant parameter).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> s = summarize({"mu": rng.normal(size=(4, 500)), "z": rng.normal(size=(4, 500, 3))})
        >>> sorted(s["z"])
        ['ess_bulk', 'ess_tail', 'r_hat']
        >>> s["mu"]["r_hat"] < 1.01
        True
    """
    arrays = _checked_draws(draws)
    return {
        name: {
            "ess_bulk": _worst_value(estimators.ess_bulk(value), largest=False),
            "ess_tail": _worst_value(estimators.ess_tail(value), largest=False),
            "r_hat": _worst_value(estimators.split_rhat(value), largest=True),
        }
        for name, value in arrays.items()
    }


def _divergence_warning(a: _Assessment) -> list[str]:
    if not a.num_divergent:
        return []
    share = _percent(a.num_divergent / a.num_transitions)
    return [
        f"{a.num_divergent} divergent transitions after warmup ({share} of "
        f"{a.num_transitions} draws): the posterior may be biased where the sampler could "
        "not follow the geometry. Raise target_accept (e.g. 0.95 or 0.99) or reparameterise "
        "(e.g. a non-centred parameterisation of hierarchical scales)."
    ]


def _tree_depth_warning(a: _Assessment, max_tree_depth: int | None) -> list[str]:
    if a.num_at_max_depth is None or a.num_at_max_depth <= MAX_TREE_DEPTH_SHARE * max(
        a.num_transitions, 1
    ):
        return []
    share = _percent(a.num_at_max_depth / a.num_transitions)
    return [
        f"{a.num_at_max_depth} draws ({share}) reached the maximum tree depth "
        f"{max_tree_depth}: trajectories were cut short, which wastes computation and can "
        "slow mixing. Raise max_tree_depth, use a dense mass matrix for correlated "
        "parameters, or reparameterise."
    ]


def _bfmi_warning(a: _Assessment) -> list[str]:
    if a.bfmi is None:
        return []
    low = [chain for chain, value in enumerate(a.bfmi.tolist()) if value < MIN_BFMI]
    if not low:
        return []
    values = ", ".join(f"{a.bfmi[chain]:.2f}" for chain in low)
    return [
        f"E-BFMI below {MIN_BFMI} in chain(s) {_listing([str(c) for c in low])} ({values}): "
        "momentum resampling explores the energy distribution poorly, often from heavy "
        "tails or funnel geometry. Reparameterise, or run longer warmup to adapt the mass "
        "matrix better."
    ]


def _rhat_warning(a: _Assessment, threshold: float) -> list[str]:
    bad = sorted(((v, n) for n, v in _elements(a.r_hat) if v > threshold), reverse=True)
    if not bad:
        return []
    return [
        f"R-hat above {threshold} for {_listing([n for _, n in bad])} (max {bad[0][0]:.3f} "
        f"for {bad[0][1]}): the chains have not mixed, so estimates are unreliable. Run more "
        "warmup and draws, check for multimodality, or reparameterise."
    ]


def _ess_warnings(a: _Assessment, min_ess_per_chain: float) -> list[str]:
    needed = min_ess_per_chain * a.num_chains
    messages = []
    for label, values, affected in (
        ("Bulk", a.ess_bulk, "means and medians"),
        ("Tail", a.ess_tail, "tail quantiles and credible intervals"),
    ):
        low = sorted((v, n) for n, v in _elements(values) if v < needed)
        if low:
            messages.append(
                f"{label} ESS below {needed:g} ({min_ess_per_chain:g} per chain x "
                f"{a.num_chains} chains) for {_listing([n for _, n in low])} (min "
                f"{low[0][0]:.0f} for {low[0][1]}): posterior {affected} are imprecise. "
                "Run more draws, or reparameterise to reduce autocorrelation."
            )
    return messages


def convergence_warnings(
    draws: dict,
    stats: dict,
    *,
    max_tree_depth: int | None = None,
    rhat_threshold: float = 1.01,
    min_ess_per_chain: float = 100,
) -> list[str]:
    """Human-readable convergence warnings for a run; an empty list when all checks pass.

    Checks divergences, the share of draws at the maximum tree depth (above 1%, only when
    ``max_tree_depth`` is given), E-BFMI below 0.3 per chain, rank-normalised split R-hat
    above ``rhat_threshold``, and bulk and tail ESS below ``min_ess_per_chain`` times the
    number of chains. Each warning names the parameter elements concerned (``theta[3]``,
    ``L[0,1]``) and suggests what to try.

    Args:
        draws: ``{name: array (chain, draw, *shape)}``.
        stats: ``{stat: array (chain, draw)}``: ``diverging`` (bool), ``tree_depth`` (int),
            ``energy`` (float); missing stats skip their checks.
        max_tree_depth: the sampler's tree-depth limit, or None to skip that check.
        rhat_threshold: largest acceptable R-hat.
        min_ess_per_chain: smallest acceptable ESS per chain.

    Returns:
        A list of warning strings.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> draws = {"mu": rng.normal(size=(4, 500))}
        >>> diverging = np.zeros((4, 500), dtype=bool)
        >>> diverging[0, :12] = True
        >>> convergence_warnings(draws, {"diverging": diverging})[0][:40]
        '12 divergent transitions after warmup (0'
    """
    a = _assess(draws, stats, max_tree_depth)
    return (
        _divergence_warning(a)
        + _tree_depth_warning(a, max_tree_depth)
        + _bfmi_warning(a)
        + _rhat_warning(a, rhat_threshold)
        + _ess_warnings(a, min_ess_per_chain)
    )


def verdict(
    draws: dict,
    stats: dict,
    *,
    max_tree_depth: int | None = None,
    rhat_threshold: float = 1.01,
    min_ess_per_chain: float = 100,
) -> str:
    """One-line summary of a run: ``OK: ...`` when every check passes, else ``CHECK: ...``.

    Takes the same arguments as :func:`convergence_warnings` and reports the headline
    numbers (divergences, max R-hat, min bulk and tail ESS, and when something failed the
    worst parameter, E-BFMI and tree-depth saturation).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> draws = {"mu": rng.normal(size=(4, 500))}
        >>> verdict(draws, {"diverging": np.zeros((4, 500), dtype=bool)})[:17]
        'OK: 0 divergences'
        >>> verdict({"mu": draws["mu"] + np.arange(4.0)[:, None]}, {})[:16]
        'CHECK: max R-hat'
    """
    a = _assess(draws, stats, max_tree_depth)
    failed = bool(
        _divergence_warning(a)
        or _tree_depth_warning(a, max_tree_depth)
        or _bfmi_warning(a)
        or _rhat_warning(a, rhat_threshold)
        or _ess_warnings(a, min_ess_per_chain)
    )
    where = (lambda name: f" ({name})") if failed else (lambda name: "")
    parts = []
    if a.num_divergent is not None:
        share = f" ({_percent(a.num_divergent / a.num_transitions)})" if a.num_divergent else ""
        parts.append(f"{a.num_divergent} divergences{share}")
    worst_rhat = _extreme(a.r_hat, largest=True)
    if worst_rhat is not None:
        parts.append(f"max R-hat {worst_rhat[0]:.3f}{where(worst_rhat[1])}")
    elif a.r_hat and a.num_chains < 2:
        parts.append("R-hat n/a (1 chain)")
    for label, values in (("bulk", a.ess_bulk), ("tail", a.ess_tail)):
        worst = _extreme(values, largest=False)
        if worst is not None:
            parts.append(f"min {label} ESS {worst[0]:.0f}{where(worst[1])}")
    if failed and a.bfmi is not None and a.bfmi.size and not np.isnan(a.bfmi).all():
        chain = int(np.nanargmin(a.bfmi))
        parts.append(f"min E-BFMI {a.bfmi[chain]:.2f} (chain {chain})")
    if failed and a.num_at_max_depth:
        parts.append(f"{_percent(a.num_at_max_depth / a.num_transitions)} at max tree depth")
    return ("CHECK: " if failed else "OK: ") + ", ".join(parts)
