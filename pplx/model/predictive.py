"""Forward sampling: prior and posterior predictive draws, vmapped over draws in chunks.

An observed site is re-drawn from its distribution (its data are ignored), latent sites
are drawn from the prior or set to posterior values, deterministics are recomputed. Each
draw runs the model once, so an observed site with batch shape ``(N,)`` gives draws
``(num_draws, N)``: shapes never pick up an extra data axis by broadcasting.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax

from pplx.core.handlers import seed, site_key, substitute
from pplx.core.stack import Handler, Message
from pplx.model.execute import run_traced


class resample_observed(Handler):
    """Draw observed sites afresh from their distributions (keys derived from ``key``)."""

    def __init__(self, fn=None, key: jax.Array | None = None):
        super().__init__(fn)
        self.key = key

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.is_observed:
            msg.infer["resampled"] = True
            msg.value = msg.fn.sample(site_key(self.key, msg.name))


def _one_draw(model, key: jax.Array, values: dict, sites: Sequence[str] | None):
    args, kwargs = model._args_kwargs()
    handlers = [seed(key=key), resample_observed(key=jax.random.fold_in(key, 1))]
    if values:
        handlers.append(substitute(data=values))
    trace = run_traced(model.fn, args, kwargs, *handlers)
    keep = (
        sites
        if sites is not None
        else [n for n, m in trace.items() if m.type in ("sample", "deterministic")]
    )
    return {n: trace[n].value for n in keep}


def predictive_draws(
    model,
    key: jax.Array,
    num_draws: int,
    values: dict | None = None,
    sites: Sequence[str] | None = None,
    batch_size: int | None = None,
) -> dict[str, jax.Array]:
    """Forward draws of a bound model, stacked on a leading axis of length ``num_draws``.

    Args:
        model: a bound model.
        key: PRNG key; draw ``i`` uses ``split(key, num_draws)[i]``.
        num_draws: number of draws.
        values: latent values to hold fixed, each with leading axis ``num_draws``
            (posterior draws); None draws every latent from its prior.
        sites: names to return (default: every sample and deterministic site).
        batch_size: draws computed at once (``lax.map`` chunks) to bound memory.

    Returns:
        site name -> array ``(num_draws, *site_shape)``.
    """
    keys = jax.random.split(key, num_draws)
    values = dict(values or {})
    return jax.lax.map(
        lambda xs: _one_draw(model, xs[0], xs[1], sites), (keys, values), batch_size=batch_size
    )
