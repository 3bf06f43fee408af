"""The bound model: a model function with its data, as an ``eqx.Module``.

``@pplx.model`` turns a function into a factory; calling the factory with data returns a
:class:`Model`. Array arguments are pytree leaves (new data of the same shape reuses the
compiled program; ``jax.vmap`` over datasets works); everything else (sizes, flags,
strings) is static.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.handlers import substitute
from pplx.model.coords import check_coord_sizes, freeze_coords, merge_coords
from pplx.model.execute import (
    constrain,
    joint_log_density,
    reported_values,
    run_traced,
    unconstrain,
)
from pplx.model.inspect import inspect_sites
from pplx.model.layout import Layout
from pplx.model.sites import SiteInfo


def _is_data(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, np.generic))


def _as_array(x: Any) -> jax.Array:
    """Data as a JAX array; a masked array's masked entries become NaN (missing)."""
    if isinstance(x, np.ma.MaskedArray):
        x = np.ma.filled(x.astype(float), np.nan)
    return jnp.asarray(x)


class Model(eqx.Module):
    """A model function bound to its data.

    Attributes:
        fn: the user's model function.
        sites: static description of every site (:class:`SiteInfo`), in execution order.
        layout: the flat layout of the continuous latent sites.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def coin(y):
        ...     p = pplx.sample("p", dist.Beta(1.0, 1.0))
        ...     with pplx.plate("flip", y.shape[0]):
        ...         pplx.sample("y", dist.Bernoulli(probs=p), obs=y)
        >>> m = coin(jnp.array([1.0, 0.0, 1.0]))
        >>> m.num_dims, [s.name for s in m.free_vars]
        (1, ['p'])
    """

    fn: Callable = eqx.field(static=True)
    data: tuple
    static: tuple = eqx.field(static=True)
    treedef: Any = eqx.field(static=True)
    sites: tuple[SiteInfo, ...] = eqx.field(static=True)
    layout: Layout = eqx.field(static=True)
    missing: tuple = eqx.field(static=True)
    bound_coords: tuple = eqx.field(static=True)

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, coords: dict | None = None):
        leaves, treedef = jax.tree.flatten((tuple(args), dict(kwargs)))
        self.fn = fn
        self.treedef = treedef
        self.data = tuple(_as_array(x) if _is_data(x) else None for x in leaves)
        self.static = tuple(None if _is_data(x) else x for x in leaves)
        self.sites, self.missing = inspect_sites(fn, *self._args_kwargs())
        latents = [s for s in self.sites if s.kind == "latent" and not s.is_discrete]
        self.layout = Layout.from_shapes((s.name, s.unconstrained_shape) for s in latents)
        self.bound_coords = freeze_coords(check_coord_sizes(self, coords or {}))

    def _args_kwargs(self) -> tuple[tuple, dict]:
        leaves = [d if d is not None else s for d, s in zip(self.data, self.static, strict=True)]
        return jax.tree.unflatten(self.treedef, leaves)

    def __repr__(self) -> str:
        lines = [f"Model {self.fn.__name__} ({self.num_dims} unconstrained dims)"]
        for s in self.sites:
            dist = f" ~ {s.distribution}" if s.distribution else ""
            lines.append(f"  {s.kind:<13} {s.name}{dist} shape={s.shape} dims={s.dims}")
        return "\n".join(lines)

    # ----- introspection -------------------------------------------------------------
    def _kind(self, kind: str) -> list[SiteInfo]:
        return [s for s in self.sites if s.kind == kind]

    @property
    def free_vars(self) -> list[SiteInfo]:
        """Latent sample sites (continuous and discrete)."""
        return self._kind("latent")

    @property
    def observed_vars(self) -> list[SiteInfo]:
        return self._kind("observed")

    @property
    def deterministics(self) -> list[SiteInfo]:
        return self._kind("deterministic")

    @property
    def potentials(self) -> list[SiteInfo]:
        return self._kind("factor")

    @property
    def discrete_vars(self) -> list[SiteInfo]:
        return [s for s in self.free_vars if s.is_discrete]

    @property
    def named_vars(self) -> dict[str, SiteInfo]:
        return {s.name: s for s in self.sites}

    @property
    def missing_index(self) -> dict[str, np.ndarray]:
        """Observed site -> flat indices of its missing entries (imputed as latents)."""
        return {name: np.asarray(index, dtype=np.int64) for name, index in self.missing}

    @property
    def num_dims(self) -> int:
        """Length of the flat unconstrained vector."""
        return self.layout.num_dims

    def to_dot(self) -> str:
        """Graphviz DOT text of the dependency graph (no graphviz install needed)."""
        from pplx.model.graph import to_dot

        return to_dot(self)

    def to_graphviz(self):
        """A ``graphviz.Source`` of :meth:`to_dot` (needs the ``graphviz`` package)."""
        try:
            import graphviz
        except ImportError as err:
            raise ImportError(
                "to_graphviz needs the graphviz package (pip install "
                "graphviz); to_dot() gives the DOT text without it."
            ) from err
        return graphviz.Source(self.to_dot())

    # ----- densities -----------------------------------------------------------------
    def trace_at(self, z: jax.Array):
        """Run the model with latents at the unconstrained flat point ``z``; its sites."""
        self._require_continuous()
        args, kwargs = self._args_kwargs()
        return run_traced(
            self.fn,
            args,
            kwargs,
            constrain(values=self.layout.unravel(z), missing=self.missing_index),
        )

    def logdensity(self, z: jax.Array, jacobian: bool = True) -> jax.Array:
        """Joint log density at the flat unconstrained point ``z`` (log|J| included)."""
        return joint_log_density(self.trace_at(z), jacobian)

    def unflatten(self, z: jax.Array) -> dict[str, jax.Array]:
        """Unconstrained values by site name (the inverse of :meth:`flatten_unconstrained`)."""
        return self.layout.unravel(z)

    def constrain(self, z: jax.Array) -> dict[str, jax.Array]:
        """Constrained latent values and deterministics at the unconstrained point ``z``."""
        return reported_values(self.trace_at(z), self.layout.names)

    def flatten(self, point: dict) -> jax.Array:
        """The flat unconstrained vector of a point given in constrained values."""
        self._require_continuous()
        args, kwargs = self._args_kwargs()
        sites = run_traced(
            self.fn, args, kwargs, unconstrain(point=point, missing=self.missing_index)
        )
        values = {
            n: m.infer["unconstrained"] for n, m in sites.items() if "unconstrained" in m.infer
        }
        values.update(
            {
                m.infer["missing"][0]: m.infer["missing"][2]
                for m in sites.values()
                if "missing" in m.infer
            }
        )
        return self.layout.ravel(values)

    def logp(self, point: dict, jacobian: bool = True) -> jax.Array:
        """Joint log density at a point given in constrained values (PyMC's ``logp``)."""
        return self.logdensity(self.flatten(point), jacobian)

    def dlogp(self, z: jax.Array, jacobian: bool = True) -> jax.Array:
        """Gradient of the log density with respect to the flat unconstrained vector."""
        return jax.grad(functools.partial(self.logdensity, jacobian=jacobian))(z)

    def d2logp(self, z: jax.Array, jacobian: bool = True) -> jax.Array:
        """Dense Hessian of the log density at the flat unconstrained vector."""
        return jax.hessian(functools.partial(self.logdensity, jacobian=jacobian))(z)

    def hvp(self, z: jax.Array, v: jax.Array, jacobian: bool = True) -> jax.Array:
        """Hessian-vector product ``H(z) @ v`` without forming the Hessian."""
        grad = jax.grad(functools.partial(self.logdensity, jacobian=jacobian))
        return jax.jvp(grad, (z,), (v,))[1]

    def logp_and_grad(self, z: jax.Array, jacobian: bool = True):
        """Log density and its gradient in one pass (what gradient-based samplers use)."""
        return jax.value_and_grad(functools.partial(self.logdensity, jacobian=jacobian))(z)

    @property
    def coords(self) -> dict[str, list]:
        """The coordinate values given when the model was bound (``my_model(data,
        coords={"school": names})``), by dimension name."""
        return {dim: list(values) for dim, values in self.bound_coords}

    def check_coords(self, coords: dict | None) -> dict:
        """The bound coords merged with ``coords`` (given at call time: they win), checked.

        Raises a ``ValueError`` naming the dimension when call-time values and bound
        values differ in length, when a dimension's values and its plate (or the site
        that has it) differ in size (both sizes given), or when no site has the dimension.

        Example:
            >>> import jax.numpy as jnp, pplx
            >>> import pplx.distributions as dist
            >>> @pplx.model
            ... def m(y):
            ...     with pplx.plate("obs", y.shape[0]):
            ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)
            >>> bound = m(jnp.zeros(2), coords={"obs": ["a", "b"]})
            >>> bound.check_coords(None), bound.check_coords({"obs": ["x", "y"]})
            ({'obs': ['a', 'b']}, {'obs': ['x', 'y']})
        """
        return merge_coords(self, dict(coords or {}))

    def constant_data(self) -> dict[str, jax.Array]:
        """The model function's array arguments by parameter name, less observed data
        (ArviZ's ``constant_data`` group)."""
        import inspect as pyinspect

        args, kwargs = self._args_kwargs()
        try:
            bound = pyinspect.signature(self.fn).bind(*args, **kwargs).arguments
        except TypeError:
            return {}
        observed = set(self.observed_data())
        return {
            k: v
            for k, v in bound.items()
            if isinstance(v, jax.Array) and k not in observed and not k.startswith("_")
        }

    def point_logps(self, z: jax.Array) -> dict[str, jax.Array]:
        """Each site's summed log density at ``z`` (a debugging aid, as in PyMC)."""
        from pplx.model.execute import site_log_density

        return {
            name: site_log_density(m)
            for name, m in self.trace_at(z).items()
            if m.type in ("sample", "factor")
        }

    def observed_data(self) -> dict[str, jax.Array]:
        """The data of every observed site, by name.

        Read by one compiled run of the model over its data, compiled once per model
        function, static arguments and missing-data pattern (op by op, every small
        operation would compile a program of its own: eight for eight schools, ~0.2 s
        of a first call). A model that cannot be traced that way runs op by op.
        """
        key = (self.fn, self.treedef, self.static, self.missing)
        try:
            program = _OBSERVED_PROGRAMS.get(key)
        except TypeError:  # unhashable static arguments
            return _observed_sites(*key, self.data)
        if program is None:
            program = jax.jit(functools.partial(_observed_sites, *key))
            if len(_OBSERVED_PROGRAMS) >= _OBSERVED_PROGRAMS_MAX:
                _OBSERVED_PROGRAMS.pop(next(iter(_OBSERVED_PROGRAMS)))
            _OBSERVED_PROGRAMS[key] = program
        try:
            return program(self.data)
        except Exception:  # noqa: BLE001 - a model that cannot run traced: op by op
            return _observed_sites(*key, self.data)

    def pointwise_loglik(self, z: jax.Array) -> dict[str, jax.Array]:
        """Elementwise log-likelihood of each observed site at ``z`` (for LOO / WAIC)."""
        from pplx.model.execute import site_log_prob

        return {
            name: site_log_prob(m)
            for name, m in self.trace_at(z).items()
            if m.type == "sample" and m.is_observed
        }

    def logp_fn(self, vars: list[str], fixed: dict | None = None) -> ConditionalLogp:
        """Log density over the latents ``vars`` with every other latent held fixed.

        Args:
            vars: names of the latent sites that stay free.
            fixed: constrained values of all other latent sites.

        Returns:
            :class:`ConditionalLogp` with ``logdensity_fn(z_sub)``, ``value_and_grad_fn``
            and the ``layout`` of the subset's flat vector (Jacobian of the free sites
            included; the fixed sites are constants).

        Example:
            >>> import jax.numpy as jnp, pplx
            >>> import pplx.distributions as dist
            >>> @pplx.model
            ... def two():
            ...     a = pplx.sample("a", dist.Normal(0.0, 1.0))
            ...     pplx.sample("b", dist.Normal(a, 1.0))
            >>> cond = two().logp_fn(["b"], fixed={"a": 2.0})
            >>> round(float(cond.logdensity_fn(jnp.array([2.0]))), 4)  # N(2|0,1) + N(2|2,1)
            -3.8379
        """
        return conditional_logp(self, vars, dict(fixed or {}))

    def initial_point(
        self, strategy: str = "center", key: jax.Array | None = None, values: dict | None = None
    ) -> dict[str, jax.Array]:
        """A starting point in constrained values (deterministics included).

        Args:
            strategy: ``"center"`` (``u = 0`` in unconstrained space: the median of a
                symmetric prior, 1 for a positive site), ``"uniform"`` (uniform in (-2, 2)
                of the unconstrained space) or ``"prior"`` (a draw from the prior).
            key: PRNG key for ``"uniform"`` and ``"prior"``.
            values: constrained values that override the strategy for some sites.
        """
        if strategy == "center":
            z = jnp.zeros((self.num_dims,))
        elif strategy in ("uniform", "prior"):
            if key is None:
                raise ValueError(f"initial_point(strategy='{strategy}') needs a key.")
            z = (
                jax.random.uniform(key, (self.num_dims,), minval=-2.0, maxval=2.0)
                if strategy == "uniform"
                else self._prior_point(key)
            )
        else:
            raise ValueError(f"unknown strategy {strategy!r}: use 'center', 'uniform' or 'prior'.")
        point = self.constrain(z)
        if values:
            point = self.constrain(self.flatten({**point, **values}))
        return point

    def _prior_point(self, key: jax.Array) -> jax.Array:
        from pplx.core.handlers import seed

        args, kwargs = self._args_kwargs()
        sites = run_traced(self.fn, args, kwargs, seed(key=key))
        center = self.constrain(jnp.zeros((self.num_dims,)))  # imputed values stay central
        drawn = {n: sites[n].value for n in self.layout.names if n in sites}
        return self.flatten({**center, **drawn})

    def _require_continuous(self) -> None:
        discrete = [s.name for s in self.discrete_vars]
        if discrete:
            raise TypeError(
                f"model {self.fn.__name__} has discrete latent site(s) {discrete}; the flat "
                "log density covers continuous latents only. Marginalise them out, or give "
                "their values with pplx.handlers.condition / substitute."
            )


#: compiled readers of a model's observed data (see :meth:`Model.observed_data`)
_OBSERVED_PROGRAMS: dict = {}
_OBSERVED_PROGRAMS_MAX = 256


def _observed_sites(fn, treedef, static, missing, data) -> dict[str, jax.Array]:
    leaves = [d if d is not None else s for d, s in zip(data, static, strict=True)]
    args, kwargs = jax.tree.unflatten(treedef, leaves)
    index = {name: np.asarray(i, dtype=np.int64) for name, i in missing}
    sites = run_traced(fn, args, kwargs, constrain(fill_missing=True, missing=index))
    return {
        n: m.infer.get("data", m.value)
        for n, m in sites.items()
        if m.type == "sample" and m.is_observed
    }


class ConditionalLogp(NamedTuple):
    """A log density over a subset of latents (see :meth:`Model.logp_fn`)."""

    logdensity_fn: Callable
    value_and_grad_fn: Callable
    layout: Layout


def conditional_logp(m: Model, names: list[str], fixed: dict) -> ConditionalLogp:
    """Build :meth:`Model.logp_fn` (a function so the Model class stays small)."""
    blocks = {b.name: b for b in m.layout.blocks}
    unknown = [n for n in names if n not in blocks]
    if unknown:
        raise ValueError(
            f"logp_fn: {unknown} are not continuous latent sites of the model; "
            f"choose among {list(blocks)}."
        )
    others = [n for n in blocks if n not in names]
    absent = [n for n in others if n not in fixed]
    if absent:
        raise ValueError(f"logp_fn: give fixed values for the latent sites {absent}.")
    layout = Layout.from_shapes((n, blocks[n].shape) for n in names)
    args, kwargs = m._args_kwargs()
    held = {n: fixed[n] for n in others}

    def logdensity_fn(z_sub: jax.Array) -> jax.Array:
        sites = run_traced(
            m.fn,
            args,
            kwargs,
            constrain(values=layout.unravel(z_sub), missing=m.missing_index),
            substitute(data=held),
        )
        return joint_log_density(sites)

    return ConditionalLogp(logdensity_fn, jax.value_and_grad(logdensity_fn), layout)


def _check_data(fn: Callable, args: tuple, kwargs: dict) -> None:
    """Raise ``TypeError`` for data no JAX program can hold (a string), before tracing."""
    named = [(f"argument {i}", a) for i, a in enumerate(args)] + list(kwargs.items())
    for where, value in named:
        path_leaves = jax.tree_util.tree_flatten_with_path(value)[0]
        for path, leaf in path_leaves:
            if isinstance(leaf, str | bytes):
                at = where + jax.tree_util.keystr(path)
                raise TypeError(
                    f"model {fn.__name__}: data {at} is a string ({leaf!r:.40}); data must "
                    "be arrays or numbers: convert it (e.g. jnp.asarray(values)), or encode "
                    "categories as integer codes."
                )


def _named_parameters(fn: Callable) -> set[str]:
    import inspect as pyinspect

    try:
        params = pyinspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def model(fn: Callable) -> Callable[..., Model]:
    """Decorator: ``@pplx.model`` makes ``fn(*data)`` return a bound :class:`Model`.

    The bound model takes one keyword of pplx's own, ``coords``: coordinate values by
    dimension name (``coords={"school": names}``), checked against the plate sizes at
    once and shown on every ArviZ group of every run of the model (coords given to a
    run are merged in and win). A model function with its own ``coords`` parameter
    keeps it; give that model its coords at call time (``pplx.nuts(..., coords=...)``).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def normal_mean(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> m = normal_mean(jnp.zeros(3))
        >>> float(m.logdensity(jnp.zeros(1))) < 0
        True
    """

    own_coords = "coords" in _named_parameters(fn)

    @functools.wraps(fn)
    def bind(*args, **kwargs) -> Model:
        coords = None if own_coords else kwargs.pop("coords", None)
        _check_data(fn, args, kwargs)
        return Model(fn, args, kwargs, coords=coords)

    bind.model_fn = fn
    return bind
