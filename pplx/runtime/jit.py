"""pplx's jit: array leaves traced, everything else static (as ``eqx.filter_jit``), with
compiler options chosen for the backend.

On CPU, XLA's default LLVM optimisation level costs compile time that sampling does not
win back: measured on the eight-schools NUTS program (4 chains, 1000 + 1000 draws,
float64, CPU seconds), level 1 compiled in 6.1 s against 7.9 s at the default level,
with the same draws and the same sampling time (level 0 compiled in 4.4 s but sampled
ten times slower). pplx compiles at level 1 on CPU; ``PPLX_XLA_OPT_LEVEL`` overrides it
(an integer, or ``default`` for XLA's own).

XLA's newer CPU fusion emitters are also turned off on CPU (``PPLX_XLA_FUSION_EMITTERS=1``
keeps them): with the classic emitters the sampler compiles faster for the same draws
and no slower sampling (float64, 4 chains, 1000 + 1000: diamonds 3.36 -> 2.04 s of
backend compile, eight schools 2.28 -> 2.02 s as the mean of three alternating runs; one
sampling run each: earnings 2.35 -> 2.13 s, diamonds 132 -> 120 s).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import equinox as eqx
import jax


def compiler_options() -> dict:
    """XLA options for programs compiled on the current default backend.

    Example:
        >>> import jax
        >>> options = compiler_options()
        >>> jax.default_backend() != "cpu" or options["xla_cpu_use_fusion_emitters"] is False
        True
    """
    if jax.default_backend() != "cpu":
        return {}
    options = {}
    level = os.environ.get("PPLX_XLA_OPT_LEVEL", "1")
    if level != "default":
        options["xla_backend_optimization_level"] = int(level)
    if os.environ.get("PPLX_XLA_FUSION_EMITTERS", "0") != "1":
        options["xla_cpu_use_fusion_emitters"] = False
    return options


def filter_jit(fun: Callable) -> Callable:
    """Compile ``fun``: JAX and NumPy arrays in its arguments are traced, all else static.

    Inside another ``jax.jit`` or ``jax.vmap`` it compiles as a nested jit, without
    compiler options (JAX takes them from the outermost jit only).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> f = filter_jit(lambda x, n: x * n)
        >>> f(jnp.ones(2), 3).tolist()
        [3.0, 3.0]
        >>> jax.jit(lambda x: f(x, 2))(jnp.ones(2)).tolist()
        [2.0, 2.0]
    """
    compiled: dict = {}

    def run(dynamic, static):
        static_leaves, static_def = static
        args, kwargs = eqx.combine(dynamic, jax.tree.unflatten(static_def, static_leaves))
        return fun(*args, **kwargs)

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        dynamic, static = eqx.partition((args, kwargs), eqx.is_array)
        leaves, treedef = jax.tree.flatten(static)
        # inside someone else's jit or vmap the outer program decides how to compile
        traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(dynamic))
        options = {} if traced else compiler_options()
        key = tuple(sorted(options.items()))
        if key not in compiled:
            compiled[key] = jax.jit(run, static_argnums=1, compiler_options=options)
        return compiled[key](dynamic, (tuple(leaves), treedef))

    return wrapper
