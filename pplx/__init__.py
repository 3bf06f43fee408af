"""pplx: a JAX-native probabilistic programming library.

Example:
    >>> import pplx, pplx.distributions as dist
    >>> sorted(n for n in ("model", "sample", "plate", "nuts") if hasattr(pplx, n))
    ['model', 'nuts', 'plate', 'sample']
"""

from pplx.runtime.xla_options import apply_small_loop_option, xla_loop_status

apply_small_loop_option()  # before anything starts JAX's backends: XLA reads XLA_FLAGS once

import sys

from pplx import distributions, infer
from pplx.core import handlers
from pplx.core.primitives import deterministic, factor, plate
from pplx.diagnostics.sbc_result import SBCResult
from pplx.diagnostics.warning import ConvergenceWarning
from pplx.distributions.density import logcdf, logp
from pplx.infer import compound, vi
from pplx.infer.adapters import Settled
from pplx.infer.checkpoint import load_state, save_state
from pplx.infer.discrete import infer_discrete
from pplx.infer.drivers import hmc, mcmc, nuts, sample
from pplx.infer.entry import nuts_run, to_posterior
from pplx.infer.many import nuts_many
from pplx.infer.predictive import posterior_predictive, prior_predictive
from pplx.infer.sbc import sbc
from pplx.infer.until import Converged
from pplx.model import Model, model
from pplx.model.enumerate import marginalize
from pplx.model.graph import model_graph
from pplx.model.markov import markov
from pplx.model.missing import ImputationWarning
from pplx.model.transforms import condition, do
from pplx.results import Posterior
from pplx.runtime.cache import disable_compilation_cache, enable_compilation_cache
from pplx.runtime.jit import filter_jit

# the public sub-namespaces, importable by their short names (``import pplx.vi``)
for _name, _module in {"compound": compound, "handlers": handlers, "vi": vi}.items():
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "ImputationWarning",
    "compound",
    "Model",
    "enable_compilation_cache",
    "disable_compilation_cache",
    "filter_jit",
    "Posterior",
    "condition",
    "deterministic",
    "distributions",
    "do",
    "factor",
    "handlers",
    "infer",
    "infer_discrete",
    "marginalize",
    "model_graph",
    "markov",
    "vi",
    "xla_loop_status",
    "logcdf",
    "logp",
    "model",
    "nuts",
    "hmc",
    "mcmc",
    "nuts_run",
    "Converged",
    "Settled",
    "nuts_many",
    "plate",
    "posterior_predictive",
    "prior_predictive",
    "sample",
    "sbc",
    "SBCResult",
    "save_state",
    "load_state",
    "to_posterior",
    "__version__",
]
