"""Effect handlers: each changes how the primitives of a model behave.

Every handler can wrap a function (``seed(fn, key)(*args)``) or be used in a ``with``
block (``with seed(key=key): ...``).

Example:
    >>> import jax, pplx
    >>> import pplx.distributions as dist
    >>> def f():
    ...     x = pplx.sample("x", dist.Normal(0.0, 1.0))
    ...     return pplx.sample("y", dist.Normal(x, 1.0))
    >>> with pplx.handlers.trace() as tr, pplx.handlers.seed(key=jax.random.key(0)):
    ...     with pplx.handlers.condition(data={"y": 2.0}):
    ...         y = f()
    >>> float(y), list(tr.sites), tr.sites["y"].is_observed
    (2.0, ['x', 'y'], True)
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from pplx.core.stack import Handler, Message


def stable_hash(name: str) -> int:
    """A hash of ``name`` that is the same in every process (unlike Python's ``hash``).

    Example:
        >>> import zlib, pplx
        >>> h = pplx.handlers.stable_hash("x")
        >>> h == zlib.crc32(b"x") & 0x7FFFFFFF, 0 <= h < 2**31
        (True, True)
    """
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def site_key(key: jax.Array, name: str) -> jax.Array:
    """The random key of site ``name``: ``fold_in(key, stable_hash(name))``.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> key = jax.random.key(0)
        >>> f = lambda: pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> x = pplx.handlers.seed(f, key)()
        >>> bool(x == dist.Normal(0.0, 1.0).sample(pplx.handlers.site_key(key, "x")))
        True
    """
    return jax.random.fold_in(key, stable_hash(name))


class seed(Handler):
    """Give every unobserved sample site a key ``fold_in(key, stable_hash(name))``.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> f = lambda: pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> a = pplx.handlers.seed(f, jax.random.key(1))()
        >>> b = pplx.handlers.seed(f, jax.random.key(1))()
        >>> bool(a == b)
        True
    """

    def __init__(self, fn: Callable | None = None, key: jax.Array | None = None):
        super().__init__(fn)
        if key is None:
            raise ValueError("seed needs a key: seed(fn, jax.random.key(0)).")
        if isinstance(key, int):
            key = jax.random.key(key)
        self.key = key

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.value is None and msg.key is None:
            msg.key = site_key(self.key, msg.name)


class trace(Handler):
    """Record every site's message, in execution order, in ``self.sites``.

    A name used twice raises a ``ValueError`` naming it.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     x = pplx.sample("x", dist.Normal(0.0, 1.0))
        ...     pplx.deterministic("y", 2 * x)
        >>> tr = pplx.handlers.trace(pplx.handlers.seed(f, jax.random.key(0)))
        >>> list(tr.get_trace())
        ['x', 'y']
    """

    def __init__(self, fn: Callable | None = None):
        super().__init__(fn)
        self.sites: dict[str, Message] = {}

    def __enter__(self):
        self.sites = {}
        return super().__enter__()

    def postprocess(self, msg: Message) -> None:
        if msg.name in self.sites:
            raise ValueError(
                f"site name '{msg.name}' is used twice in the model; every sample, "
                "deterministic and factor site needs its own name."
            )
        self.sites[msg.name] = msg

    def get_trace(self, *args, **kwargs) -> dict[str, Message]:
        """Run the wrapped function and return its sites by name."""
        self(*args, **kwargs)
        return self.sites


class substitute(Handler):
    """Use ``data[name]`` (or ``substitute_fn(msg)``) as the value of latent sites.

    Observed sites keep their data. Deterministic sites may be substituted too.

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     x = pplx.sample("x", dist.Normal(0.0, 1.0))
        ...     return pplx.sample("y", dist.Normal(x, 1.0), obs=3.0)
        >>> tr = pplx.handlers.trace(pplx.handlers.substitute(f, data={"x": 0.5}))
        >>> sites = tr.get_trace()
        >>> float(sites["x"].value), float(sites["y"].value), sites["x"].is_observed
        (0.5, 3.0, False)
    """

    def __init__(
        self,
        fn: Callable | None = None,
        data: dict | None = None,
        substitute_fn: Callable[[Message], Any] | None = None,
    ):
        super().__init__(fn)
        if (data is None) == (substitute_fn is None):
            raise ValueError("substitute needs exactly one of data= or substitute_fn=.")
        self.data, self.substitute_fn = data, substitute_fn

    def process(self, msg: Message) -> None:
        if msg.type not in ("sample", "deterministic") or msg.is_observed:
            return
        value = self.data.get(msg.name) if self.data is not None else self.substitute_fn(msg)
        if value is not None:
            msg.value = jnp.asarray(value)


class condition(Handler):
    """Treat the sites named in ``data`` as observed with the given values.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> f = lambda: pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> float(pplx.handlers.condition(f, {"x": 0.5})())
        0.5
    """

    def __init__(self, fn: Callable | None = None, data: dict | None = None):
        super().__init__(fn)
        self.data = dict(data or {})

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.name in self.data:
            msg.value = jnp.asarray(self.data[msg.name])
            msg.is_observed = True


class do(Handler):
    """Intervene: fix the named sites to values and cut them from the log density.

    Unlike ``condition``, the intervened site contributes no log density: its value is
    set, not observed (Pearl's do-operator).

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     x = pplx.sample("x", dist.Normal(0.0, 1.0))
        ...     return pplx.deterministic("y", 2.0 * x)
        >>> tr = pplx.handlers.trace(pplx.handlers.do(f, {"x": 1.5}))
        >>> sites = tr.get_trace()
        >>> float(sites["y"].value), sites["x"].infer, sites["x"].is_observed
        (3.0, {'intervened': True}, False)
    """

    def __init__(self, fn: Callable | None = None, data: dict | None = None):
        super().__init__(fn)
        self.data = dict(data or {})

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.name in self.data:
            msg.value = jnp.asarray(self.data[msg.name])
            msg.infer["intervened"] = True


class block(Handler):
    """Hide sites from the handlers outside this one.

    Args:
        hide: names to hide; if None and ``expose`` is None, hide every site.
        expose: names to let through (everything else hidden).

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        ...     pplx.sample("y", dist.Normal(0.0, 1.0))
        >>> seeded = pplx.handlers.seed(f, jax.random.key(0))
        >>> list(pplx.handlers.trace(pplx.handlers.block(seeded, hide=["x"])).get_trace())
        ['y']
        >>> list(pplx.handlers.trace(pplx.handlers.block(seeded, expose=["x"])).get_trace())
        ['x']
    """

    def __init__(
        self,
        fn: Callable | None = None,
        hide: list[str] | None = None,
        expose: list[str] | None = None,
    ):
        super().__init__(fn)
        self.hide = None if hide is None else set(hide)
        self.expose = None if expose is None else set(expose)

    def process(self, msg: Message) -> None:
        if self.expose is not None:
            msg.stop = msg.name not in self.expose
        elif self.hide is not None:
            msg.stop = msg.name in self.hide
        else:
            msg.stop = True


class scale(Handler):
    """Multiply the log density of sample and factor sites by ``factor``.

    Nested ``scale`` handlers multiply their factors.

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     pplx.sample("y", dist.Normal(0.0, 1.0), obs=0.0)
        ...     pplx.factor("bonus", 1.0)
        >>> inner = pplx.handlers.scale(f, factor=10.0)
        >>> sites = pplx.handlers.trace(pplx.handlers.scale(inner, factor=0.5)).get_trace()
        >>> float(sites["y"].scale), float(sites["bonus"].scale)
        (5.0, 5.0)
    """

    def __init__(self, fn: Callable | None = None, factor: Any = 1.0):
        super().__init__(fn)
        self.factor = factor

    def process(self, msg: Message) -> None:
        if msg.type in ("sample", "factor"):
            msg.scale = self.factor if msg.scale is None else msg.scale * self.factor


class mask(Handler):
    """Drop the log density of sample sites where ``mask`` is False.

    Nested ``mask`` handlers combine with a logical and.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> def f(y):
        ...     with pplx.plate("i", 3):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)
        >>> keep = jnp.array([True, False, True])
        >>> tr = pplx.handlers.trace(pplx.handlers.mask(f, mask=keep))
        >>> tr.get_trace(jnp.zeros(3))["y"].mask.tolist()
        [True, False, True]
    """

    def __init__(self, fn: Callable | None = None, mask: Any = True):
        super().__init__(fn)
        self.mask = mask

    def process(self, msg: Message) -> None:
        if msg.type == "sample":
            msg.mask = self.mask if msg.mask is None else jnp.logical_and(msg.mask, self.mask)


class replay(Handler):
    """Reuse the values of latent sites recorded in a previous ``trace``.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> f = lambda: pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> old = pplx.handlers.trace(pplx.handlers.seed(f, jax.random.key(0))).get_trace()
        >>> new = pplx.handlers.seed(pplx.handlers.replay(f, old), jax.random.key(1))()
        >>> bool(new == old["x"].value)
        True
    """

    def __init__(self, fn: Callable | None = None, trace: dict[str, Message] | None = None):
        super().__init__(fn)
        self.trace = dict(trace or {})

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and not msg.is_observed and msg.name in self.trace:
            msg.value = self.trace[msg.name].value
