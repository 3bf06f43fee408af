"""The pure inference entries (jit- and vmap-able), for use inside JAX programs."""

from pplx.api import NUTSResult, nuts_run

__all__ = ["NUTSResult", "nuts_run"]
