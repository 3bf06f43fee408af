"""Wall-clock and XLA compile time of a block of code, from JAX's monitoring events."""

from __future__ import annotations

import time

import jax

_COMPILE_EVENTS = ("/jax/core/compile/backend_compile_duration",)
_TRACE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
)


class Timer:
    """Context manager: ``wall``, ``compile`` (XLA) and ``trace`` (tracing + lowering) seconds.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> with Timer() as t:
        ...     _ = jax.jit(lambda x: x + 1)(jnp.ones(3)).block_until_ready()
        >>> t.wall >= t.compile >= 0.0
        True
    """

    def __init__(self):
        self.wall = self.compile = self.trace = 0.0

    def _listener(self, event: str, duration: float, **kwargs) -> None:
        if event in _COMPILE_EVENTS:
            self.compile += duration
        elif event in _TRACE_EVENTS:
            self.trace += duration

    def __enter__(self) -> Timer:
        jax.monitoring.register_event_duration_secs_listener(self._listener)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._start
        jax.monitoring.unregister_event_duration_listener(self._listener)

    def as_attrs(self) -> dict[str, float]:
        """Seconds by name, for ``InferenceData`` attributes."""
        return {
            "wall_time": round(self.wall, 4),
            "compile_time": round(self.compile, 4),
            "trace_time": round(self.trace, 4),
            "run_time": round(max(self.wall - self.compile - self.trace, 0.0), 4),
        }
