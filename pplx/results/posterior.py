"""Results of a run: constrained draws ``(chain, draw, *shape)`` and sample stats, and
their conversion to ArviZ ``InferenceData`` (ArviZ is imported only there)."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from pplx.results.prefetch import ARVIZ_REFACTOR_MESSAGE as _ARVIZ_REFACTOR_MESSAGE
from pplx.results.prefetch import wait_for_arviz


def import_arviz():
    """Import ArviZ without its "undergoing a major refactor" FutureWarning (that one only).

    Example:
        >>> az = import_arviz()
        >>> hasattr(az, "InferenceData")
        True
    """
    wait_for_arviz()  # an import started by prefetch_arviz (drivers) finishes first
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_ARVIZ_REFACTOR_MESSAGE, category=FutureWarning)
        import arviz as az
    return az


@dataclasses.dataclass
class Posterior:
    """Draws and statistics of a finished run, on the host.

    Attributes:
        draws: site name -> array ``(chain, draw, *shape)``, constrained, deterministics
            included.
        stats: ArviZ sample-stat name -> array ``(chain, draw)``.
        dims: site name -> dimension names of one draw of the site.
        observed: observed site name -> data.
        observed_dims: observed site name -> dimension names.
        log_likelihood: observed site name -> elementwise log-likelihood
            ``(chain, draw, *batch_shape)`` (empty unless asked for).
        constant_data: the model's other array arguments, by parameter name.
        coords: coordinate values by dimension name (e.g. school names).
        state: the final chain state (pass it back to continue the chains).
        attrs: run facts (timings in seconds, settings) kept on every ArviZ group.
    """

    draws: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    observed: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    observed_dims: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    attrs: dict = dataclasses.field(default_factory=dict)
    log_likelihood: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    state: Any = None
    constant_data: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    coords: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def num_chains(self) -> int:
        return next(iter(self.draws.values())).shape[0]

    @property
    def num_draws(self) -> int:
        return next(iter(self.draws.values())).shape[1]

    def to_arviz(self):
        """An ``arviz.InferenceData`` with groups posterior, sample_stats, observed_data."""
        az = import_arviz()

        dims = {
            **{k: list(v) for k, v in self.dims.items()},
            **{k: list(v) for k, v in self.observed_dims.items()},
        }
        idata = az.from_dict(
            posterior={k: np.asarray(v) for k, v in self.draws.items()},
            sample_stats={k: np.asarray(v) for k, v in self.stats.items()},
            observed_data={k: np.asarray(v) for k, v in self.observed.items()} or None,
            log_likelihood={k: np.asarray(v) for k, v in self.log_likelihood.items()} or None,
            constant_data={k: np.asarray(v) for k, v in self.constant_data.items()} or None,
            coords=dict(self.coords) or None,
            dims=dims,
        )
        for group in idata.groups():
            idata[group].attrs.update(self.attrs)
        return idata
