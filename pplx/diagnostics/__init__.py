"""MCMC convergence diagnostics: pure functions on draws shaped (chain, draw, *shape).

Estimators (:mod:`.estimators`) match ArviZ's definitions; the report functions
(:mod:`.report`) turn them into per-parameter summaries, warnings and a one-line verdict.
This package imports only numpy and the standard library.
"""

from .estimators import bfmi, ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, split_rhat
from .report import convergence_warnings, summarize, verdict

__all__ = [
    "split_rhat",
    "ess_bulk",
    "ess_tail",
    "ess_mean",
    "mcse_mean",
    "mcse_sd",
    "bfmi",
    "summarize",
    "convergence_warnings",
    "verdict",
]
