"""One XLA option that makes sampling loops on a CPU many times faster, set at import.

XLA's CPU runtime runs a compiled program as a sequence of kernels ("thunks") and pays a
fixed cost (~0.1-0.2 us) for each one it launches. A NUTS leapfrog step of a small model
is a handful of floating-point operations spread over ~25 kernels, so that fixed cost,
not the model, sets the speed: eight schools spends ~4 us per leapfrog step where its
gradient costs 0.3 us. XLA can instead compile a whole ``while`` loop into a single
kernel when the loop is small (the ``xla_cpu_small_while_loop_byte_threshold`` backend
option, bytes accessed by one pass of the loop body; 1 kB by default, which NUTS loops
exceed). Raising it compiles the sampler's loops into single kernels: 10x faster per
leapfrog step on small models, the same draws (see ``docs/sampling.md``).

XLA reads ``XLA_FLAGS`` once, when JAX starts its backends. ``import pplx`` adds the
option to ``XLA_FLAGS`` if JAX has not started them yet and the option is not set
already; set ``PPLX_XLA_CPU_LOOPS=0`` to leave ``XLA_FLAGS`` alone. The option only
concerns XLA's CPU compiler.
"""

from __future__ import annotations

import os
import warnings

OPTION = "xla_cpu_small_while_loop_byte_threshold"
EXTRA_OPTIONS_FLAG = "--xla_backend_extra_options"
OPT_OUT_VARIABLE = "PPLX_XLA_CPU_LOOPS"
# Bytes accessed by one pass of a loop body, below which XLA compiles the loop into one
# kernel. Large enough for every loop of a model whose data are small (where the
# per-kernel cost dominates); models with large data keep XLA's default code, whose
# library calls (matrix products) beat one generated kernel there.
THRESHOLD_BYTES = 1 << 20

_status = {"state": "not applied", "threshold": 0}


def with_small_loop_option(flags: str, threshold: int = THRESHOLD_BYTES) -> str:
    """Return ``XLA_FLAGS`` text with the small-loop option added, unless it is present.

    The option goes into the ``--xla_backend_extra_options`` flag (comma-separated
    ``key=value`` pairs): appended to the last such flag, or as a new flag.

    Example:
        >>> with_small_loop_option("--xla_dump_to=dumps", 4096).split()[-1].split("=", 1)
        ['--xla_backend_extra_options', 'xla_cpu_small_while_loop_byte_threshold=4096']
        >>> with_small_loop_option("--xla_backend_extra_options=a=1", 4096).split(",")
        ['--xla_backend_extra_options=a=1', 'xla_cpu_small_while_loop_byte_threshold=4096']
        >>> flags = "--xla_backend_extra_options=xla_cpu_small_while_loop_byte_threshold=0"
        >>> with_small_loop_option(flags) == flags
        True
    """
    if option_value(flags) is not None:
        return flags
    tokens = flags.split()
    extra = [i for i, token in enumerate(tokens) if token.startswith(EXTRA_OPTIONS_FLAG + "=")]
    setting = f"{OPTION}={threshold}"
    if extra:
        tokens[extra[-1]] += "," + setting
    else:
        tokens.append(f"{EXTRA_OPTIONS_FLAG}={setting}")
    return " ".join(tokens)


def option_value(flags: str) -> str | None:
    """The small-loop option's value in ``XLA_FLAGS`` text (the last one), else ``None``.

    Example:
        >>> option_value(f"--xla_backend_extra_options=a=1,{OPTION}=7")
        '7'
        >>> option_value("--xla_dump_to=dumps") is None
        True
    """
    value = None
    for token in flags.split():
        if not token.startswith(EXTRA_OPTIONS_FLAG + "="):
            continue
        for pair in token.split("=", 1)[1].split(","):
            key, _, found = pair.partition("=")
            value = found.strip() if key.strip() == OPTION else value
    return value


def apply_small_loop_option(environ=os.environ) -> str:
    """Add the option to ``environ["XLA_FLAGS"]`` if it can still take effect.

    Called by ``import pplx``. Returns (and records for :func:`xla_loop_status`) what
    happened: ``"set by pplx"``, ``"set before pplx"``, ``"off"`` (opted out) or
    ``"too late"`` (JAX had started its backends; a warning says what to do).
    """
    flags = environ.get("XLA_FLAGS", "")
    value, threshold = option_value(flags), 0
    if value is not None:
        state, threshold = "set before pplx", int(value) if value.isdigit() else 0
    elif environ.get(OPT_OUT_VARIABLE, "1").strip().lower() in ("0", "false", "no", "off"):
        state = "off"
    elif _backends_started():
        state = "too late"
        _warn_too_late()
    else:
        environ["XLA_FLAGS"] = with_small_loop_option(flags)
        state, threshold = "set by pplx", THRESHOLD_BYTES
    _status.update(state=state, threshold=threshold)
    return state


def small_loops_active() -> bool:
    """Whether this process compiles small CPU loops into single kernels (a limit of at
    least 64 kB, so that a NUTS transition of a small model fits)."""
    return _status.get("threshold", 0) >= 1 << 16


def _backends_started() -> bool:
    # JAX exposes no public query for this. Should a future JAX drop the private one,
    # pplx still imports: setting XLA_FLAGS too late is harmless (XLA ignores it).
    try:
        from jax._src import xla_bridge

        started = xla_bridge.backends_are_initialized
    except (ImportError, AttributeError):
        return False
    return bool(started())


def _warn_too_late() -> None:
    import jax

    if jax.default_backend() != "cpu":
        return
    warnings.warn(
        "pplx was imported after JAX had started its CPU backend, so XLA compiles "
        "sampling loops kernel by kernel (up to 10x slower per leapfrog step on small "
        "models). Import pplx before running any JAX computation, or set XLA_FLAGS="
        f"'{EXTRA_OPTIONS_FLAG}={OPTION}={THRESHOLD_BYTES}' before starting Python; "
        f"set {OPT_OUT_VARIABLE}=0 to silence this.",
        stacklevel=3,
    )


def xla_loop_status() -> str:
    """Whether XLA compiles small CPU sampling loops into single kernels in this process.

    Returns:
        ``"set by pplx"`` (pplx added the option at import), ``"set before pplx"``
        (``XLA_FLAGS`` had it), ``"off"`` (``PPLX_XLA_CPU_LOOPS=0``), ``"too late"``
        (JAX had started its backends before ``import pplx``) or ``"not applied"``.

    Example:
        >>> import pplx
        >>> pplx.xla_loop_status() in ("set by pplx", "set before pplx", "off", "too late")
        True
    """
    return _status["state"]
