"""Results of a run: constrained draws ``(chain, draw, *shape)`` and sample stats, and
their conversion to ArviZ ``InferenceData`` (through :mod:`pplx.results.arviz_compat`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from pplx.results.arviz_compat import from_groups
from pplx.results.arviz_compat import import_arviz as import_arviz  # its old home


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
        constant_dims: constant-data name -> dimension names.
        state: the final chain state (pass it back to continue the chains).
        attrs: run facts (timings in seconds, settings) kept on every ArviZ group.

    Example:
        >>> import numpy as np
        >>> post = Posterior(draws={"theta": np.zeros((2, 5, 3))}, stats={},
        ...                  dims={"theta": ("school",)}, coords={"school": ["a", "b", "c"]})
        >>> post.num_chains, post.num_draws
        (2, 5)
        >>> idata = post.to_arviz()  # InferenceData (ArviZ 0.23) or DataTree (ArviZ 1.x)
        >>> idata.posterior["theta"].dims, idata.posterior["school"].values.tolist()
        (('chain', 'draw', 'school'), ['a', 'b', 'c'])
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
    constant_dims: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @property
    def num_chains(self) -> int:
        return next(iter(self.draws.values())).shape[0]

    @property
    def num_draws(self) -> int:
        return next(iter(self.draws.values())).shape[1]

    def to_arviz(self):
        """An ``arviz.InferenceData`` with groups posterior, sample_stats, observed_data."""
        dims = {
            **{k: list(v) for k, v in self.constant_dims.items()},
            **{k: list(v) for k, v in self.dims.items()},
            **{k: list(v) for k, v in self.observed_dims.items()},
        }
        arrays = lambda d: {k: np.asarray(v) for k, v in d.items()}
        groups = {
            "posterior": arrays(self.draws),
            "sample_stats": arrays(self.stats),
            "observed_data": arrays(self.observed),
            "log_likelihood": arrays(self.log_likelihood),
            "constant_data": arrays(self.constant_data),
        }
        return from_groups(groups, coords=self.coords, dims=dims, attrs=self.attrs)
