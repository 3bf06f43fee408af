"""The handler stack: the only global mutable state in pplx.

A model function calls primitives (``sample``, ``deterministic``, ``factor``); each call
builds a :class:`Message` and hands it to the handlers on the stack, innermost first.
Handlers read and rewrite the message (give it a value, a key, a scale) and may stop it
from reaching outer handlers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

_STACK: list[Handler] = []


@dataclasses.dataclass
class PlateFrame:
    """One enclosing plate of a site: its name, size and batch dimension (negative)."""

    name: str
    size: int
    dim: int


@dataclasses.dataclass
class Message:
    """What a primitive call tells the handlers.

    Attributes:
        type: ``"sample"``, ``"deterministic"`` or ``"factor"``.
        name: the site name, unique within a model.
        fn: the distribution of a sample site (None otherwise).
        value: the site's value once known.
        is_observed: True when ``value`` is data (``obs=``) rather than a latent draw.
        key: a PRNG key for drawing the value, set by ``seed``.
        scale: multiplier of the site's log density (``scale`` handler, minibatching).
        mask: boolean array broadcastable to the batch shape, or None (``mask`` handler).
        plates: enclosing plates, outermost first.
        dims: optional user names for the site's dimensions.
        infer: free-form options for inference algorithms.
        stop: when True, outer handlers do not see this message.

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     with pplx.plate("i", 2):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=[0.0, 1.0])
        >>> msg = pplx.handlers.trace(f).get_trace()["y"]
        >>> msg.type, msg.name, msg.is_observed, msg.value.shape, [p.name for p in msg.plates]
        ('sample', 'y', True, (2,), ['i'])
    """

    type: str
    name: str
    fn: Any = None
    value: Any = None
    is_observed: bool = False
    key: Any = None
    scale: Any = None
    mask: Any = None
    plates: list[PlateFrame] = dataclasses.field(default_factory=list)
    dims: tuple[str, ...] | None = None
    infer: dict = dataclasses.field(default_factory=dict)
    stop: bool = False


class Handler:
    """Base class of effect handlers.

    A handler is used either as a context manager around model code or by wrapping a
    function: ``handler(fn)(*args)`` runs ``fn`` with the handler on the stack. The stack
    is restored even when the wrapped code raises.

    A subclass overrides :meth:`process` (on the way in) and/or :meth:`postprocess` (on
    the way out) to read or rewrite each :class:`Message`.

    Example:
        >>> import pplx
        >>> import pplx.distributions as dist
        >>> class names(pplx.handlers.Handler):
        ...     def __init__(self, fn=None):
        ...         super().__init__(fn)
        ...         self.seen = []
        ...     def process(self, msg):
        ...         self.seen.append((msg.type, msg.name))
        >>> def f():
        ...     x = pplx.sample("x", dist.Normal(0.0, 1.0), obs=0.5)
        ...     pplx.deterministic("y", 2 * x)
        >>> h = names(f)
        >>> h()
        >>> h.seen
        [('sample', 'x'), ('deterministic', 'y')]
    """

    def __init__(self, fn: Callable | None = None):
        self.fn = fn

    def __enter__(self) -> Handler:
        _STACK.append(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Remove this handler and anything a failing inner block left above it.
        if self in _STACK:
            del _STACK[_STACK.index(self) :]

    def __call__(self, *args, **kwargs):
        if self.fn is None:
            raise TypeError(
                f"{type(self).__name__} wraps no function: build it as "
                f"{type(self).__name__}(fn, ...) or use it in a `with` block."
            )
        with self:
            return self.fn(*args, **kwargs)

    def process(self, msg: Message) -> None:
        """Called on the way in (innermost handler first)."""

    def postprocess(self, msg: Message) -> None:
        """Called on the way out (outermost seen handler first)."""


def apply_stack(msg: Message) -> Message:
    """Send ``msg`` through the handler stack, give it a default value, post-process it."""
    seen = []
    for handler in reversed(_STACK):
        seen.append(handler)
        handler.process(msg)
        if msg.stop:
            break
    _default_value(msg)
    for handler in reversed(seen):
        handler.postprocess(msg)
    return msg


def _default_value(msg: Message) -> None:
    if msg.value is not None or msg.type != "sample":
        return
    if msg.key is None:
        raise RuntimeError(
            f"sample site '{msg.name}' has no value and no random key. Run the model "
            "through inference (pplx.nuts, ...) or wrap it in pplx.handlers.seed(fn, key)."
        )
    msg.value = msg.fn.sample(msg.key)


def stack_is_empty() -> bool:
    """True when no handler is active (the model runs as plain Python)."""
    return not _STACK
