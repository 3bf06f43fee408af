"""Results of finished runs, on the host: :class:`Posterior` and its ArviZ conversion.

Knows no model and no kernel: a result is arrays with names and dimension labels.
"""

from pplx.results.posterior import Posterior

__all__ = ["Posterior"]
