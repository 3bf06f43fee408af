"""JAX's persistent compilation cache, switched on in one call.

A second process that compiles the same program (same model shapes and settings, same
JAX version and device) loads the executable from disk instead of compiling it again.
"""

from __future__ import annotations

import os

import jax


def enable_compilation_cache(path: str | os.PathLike | None = None) -> str:
    """Cache compiled programs on disk at ``path`` and return the folder used.

    Args:
        path: a folder; default ``$PPLX_CACHE_DIR`` or ``~/.cache/pplx/jax``.

    Call it before or after other JAX work in the process: programs compiled from then
    on are looked up in and written to ``path``. :func:`disable_compilation_cache`
    switches it off again.

    Example:
        >>> import tempfile
        >>> folder = enable_compilation_cache(tempfile.mkdtemp())
        >>> jax.config.jax_compilation_cache_dir == folder
        True
        >>> disable_compilation_cache()
    """
    folder = os.fspath(
        path
        or os.environ.get("PPLX_CACHE_DIR")
        or os.path.join(os.path.expanduser("~"), ".cache", "pplx", "jax")
    )
    os.makedirs(folder, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", folder)
    # cache every program, however small or quick to compile
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    _forget_cache_state()  # a folder chosen earlier in this process is let go
    return folder


def disable_compilation_cache() -> None:
    """Stop looking up and writing compiled programs on disk (JAX's default).

    Example:
        >>> import tempfile
        >>> _ = enable_compilation_cache(tempfile.mkdtemp())
        >>> disable_compilation_cache()
        >>> compilation_cache_on()
        False
    """
    jax.config.update("jax_compilation_cache_dir", None)
    _forget_cache_state()


def _forget_cache_state() -> None:
    """JAX decides once per process whether the cache is used and opens its folder once:
    forget both, so that the next compilation reads the current settings."""
    from jax.experimental.compilation_cache import compilation_cache

    compilation_cache.reset_cache()


def compilation_cache_on() -> bool:
    """Whether JAX writes compiled programs to a persistent cache (a folder is set, by
    :func:`enable_compilation_cache`, ``jax.config`` or ``$JAX_COMPILATION_CACHE_DIR``).

    The drivers then keep host callbacks out of their programs (JAX does not cache a
    program that holds one), so a progress bar is drawn between host-driven blocks.

    Example:
        >>> import tempfile
        >>> _ = enable_compilation_cache(tempfile.mkdtemp())
        >>> compilation_cache_on()
        True
        >>> disable_compilation_cache()
    """
    return bool(jax.config.jax_enable_compilation_cache and jax.config.jax_compilation_cache_dir)
