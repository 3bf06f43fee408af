"""Effect handlers (re-exported from ``pplx.core.handlers``)."""

from pplx.core.handlers import (
    block,
    condition,
    do,
    mask,
    replay,
    scale,
    seed,
    site_key,
    stable_hash,
    substitute,
    trace,
)

__all__ = [
    "block",
    "condition",
    "do",
    "mask",
    "replay",
    "scale",
    "seed",
    "site_key",
    "stable_hash",
    "substitute",
    "trace",
]
