"""Run a model function under handlers that place latent values in unconstrained space."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.handlers import site_key, trace
from pplx.core.stack import Handler, Message
from pplx.distributions import biject_to
from pplx.distributions.base import family_name
from pplx.model import missing


def is_latent(msg: Message) -> bool:
    """A sample site whose value inference must choose."""
    return msg.type == "sample" and not msg.is_observed and not msg.infer.get("intervened", False)


class constrain(Handler):
    """Give each latent site the value ``forward(u)`` of its unconstrained value ``u``.

    The support's bijector is built from the distribution at this point of the model, so a
    bound that depends on another parameter is evaluated at that parameter's value. The
    log|det J| of the map is stored in ``msg.infer["log_det"]``.

    Args:
        values: unconstrained values by site name.
        fill_missing: when True a latent absent from ``values`` gets ``u = 0`` (the
            centre of the unconstrained space), used to inspect a model without sampling.
        draw_key: with ``fill_missing``, such a latent gets a draw from its prior with
            this key instead (``u = 0`` where the prior cannot be sampled, e.g. an
            improper one).
    """

    def __init__(
        self,
        fn: Callable | None = None,
        values: dict | None = None,
        fill_missing: bool = False,
        missing: dict | None = None,
        draw_key: jax.Array | None = None,
    ):
        super().__init__(fn)
        self.values = dict(values or {})
        self.fill_missing = fill_missing
        self.missing = dict(missing or {})
        self.draw_key = draw_key

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.is_observed:
            self._impute(msg)
            return
        if not is_latent(msg) or msg.value is not None:
            return
        if msg.fn.is_discrete:
            self._discrete(msg)
            return
        bijector = biject_to(msg.fn.support)
        u = self.values.get(msg.name)
        if u is None:
            if not self.fill_missing:
                raise KeyError(f"no unconstrained value for latent site '{msg.name}'.")
            u = self._fill(msg, bijector)
        x, log_det = bijector.forward_and_log_det(u)
        msg.value = x
        msg.infer["unconstrained"] = u
        msg.infer["log_det"] = log_det

    def _fill(self, msg: Message, bijector) -> jax.Array:
        shape = bijector.inverse_shape(tuple(msg.fn.batch_shape) + tuple(msg.fn.event_shape))
        zero = jnp.zeros(shape, dtype=jnp.result_type(float))
        if self.draw_key is None:
            return zero
        try:
            u = bijector.inverse(msg.fn.sample(site_key(self.draw_key, msg.name)))
        except Exception:  # noqa: BLE001  no sampler (an improper prior): the centre
            return zero
        return jnp.where(jnp.isfinite(u), u, zero).astype(zero.dtype)

    def _impute(self, msg: Message) -> None:
        if self.fill_missing and msg.name not in self.missing:
            index = missing.find_missing(msg)  # inspection: read the NaN pattern
            if index is not None:
                self.missing[msg.name] = index
        index = self.missing.get(msg.name)
        if index is not None:
            u = self.values.get(missing.missing_name(msg.name))
            if u is None and not self.fill_missing:
                raise KeyError(f"no unconstrained value for '{missing.missing_name(msg.name)}'.")
            missing.fill_missing(msg, index, u)

    def _discrete(self, msg: Message) -> None:
        value = self.values.get(msg.name)
        if value is None:
            if not self.fill_missing:
                raise KeyError(f"no value for discrete latent site '{msg.name}'.")
            value = msg.fn.sample(jax.random.key(0))
        msg.value = value


class unconstrain(Handler):
    """Set latent sites to the constrained values in ``point`` and record ``u = inverse(x)``."""

    def __init__(
        self,
        fn: Callable | None = None,
        point: dict | None = None,
        missing: dict | None = None,
        check_support: str | None = None,
    ):
        super().__init__(fn)
        self.point = dict(point or {})
        self.missing = dict(missing or {})
        self.check_support = check_support  # e.g. "init": concrete values are checked

    def process(self, msg: Message) -> None:
        if msg.type == "sample" and msg.is_observed and msg.name in self.missing:
            name = missing.missing_name(msg.name)
            if name not in self.point:
                raise KeyError(f"the point has no value for latent site '{name}'.")
            missing.unconstrain_missing(msg, self.missing[msg.name], self.point[name])
            return
        if not is_latent(msg) or msg.value is not None:
            return
        if msg.name not in self.point:
            raise KeyError(f"the point has no value for latent site '{msg.name}'.")
        x = jnp.asarray(self.point[msg.name], dtype=None if msg.fn.is_discrete else float)
        if self.check_support is not None:
            _require_in_support(msg, x, self.check_support)
        msg.value = x
        if not msg.fn.is_discrete:
            msg.infer["unconstrained"] = biject_to(msg.fn.support).inverse(x)


def _require_in_support(msg: Message, x: jax.Array, what: str) -> None:
    """Raise ``ValueError`` when the concrete value ``x`` given for a latent site lies
    outside the support of its distribution (checked before the model goes on with it)."""
    support = msg.fn.support
    if any(isinstance(a, jax.core.Tracer) for a in jax.tree.leaves((x, support))):
        return
    ok = np.asarray(support.check(x))
    if ok.all():
        return
    family = family_name(msg.fn)
    name = getattr(support, "name", type(support).__name__)
    values = np.asarray(x)
    shown = values if ok.ndim == 0 else values[tuple(np.argwhere(~ok)[0])]
    shown = shown.item() if shown.ndim == 0 else shown.tolist()
    raise ValueError(
        f"{what} for site '{msg.name}': {shown!r} lies outside the support '{name}' of that "
        f"site's family {family}. Give a value inside it."
    )


#: What JAX raises when Python needs the value of a traced array (if/while on it,
#: bool(), float(), int(), np.asarray(), a boolean mask of traced size).
_NEEDS_A_VALUE = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerArrayConversionError,
    jax.errors.NonConcreteBooleanIndexError,
)


def run_traced(fn: Callable, args: tuple, kwargs: dict, *handlers: Handler) -> dict[str, Message]:
    """Run ``fn(*args, **kwargs)`` inside ``handlers`` (first = outermost) and a trace.

    A model that asks Python for the value of a traced array gets a ``TypeError`` naming
    the last site it reached and what to write instead (JAX's error is its cause).
    """
    tr = trace()
    try:
        with tr:
            _enter_all(list(handlers), fn, args, kwargs)
    except _NEEDS_A_VALUE as err:
        raise TypeError(_needs_a_value_message(fn, tr.sites, err)) from err
    return tr.sites


def _needs_a_value_message(fn: Callable, sites: dict, err: Exception) -> str:
    names = [name for name, m in sites.items() if m.type in ("sample", "deterministic")]
    where = (
        f"after site '{names[-1]}' (the last site it reached)"
        if names
        else ("before its first site")
    )
    jax_says = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"model {getattr(fn, '__name__', fn)!s}: Python needed the value of a traced array "
        f"{where}: an `if`/`while` on a value, or bool(), float(), int() or np.asarray() "
        "of one. Latent values (and data) are not known while pplx compiles the model: "
        "use jnp.where(cond, a, b) or jax.lax.cond for a branch, keep values as jax "
        "arrays (no float()/int()), and keep Python control flow to shapes and static "
        f"arguments. (JAX: {jax_says})"
    )


def _enter_all(handlers: list[Handler], fn, args, kwargs):
    if not handlers:
        return fn(*args, **kwargs)
    with handlers[0]:
        return _enter_all(handlers[1:], fn, args, kwargs)


def site_log_prob(msg: Message) -> jax.Array:
    """The elementwise log density of a sample site, masked and scaled."""
    lp = msg.fn.log_prob(msg.value)
    if msg.mask is not None:
        lp = jnp.where(msg.mask, lp, 0.0)
    if msg.scale is not None:
        lp = lp * msg.scale
    return lp


def site_log_density(msg: Message, jacobian: bool = True) -> jax.Array:
    """The summed contribution of one site to the joint log density (a scalar)."""
    if msg.type == "factor":
        total = jnp.sum(msg.value)
        return total if msg.scale is None else total * msg.scale
    if msg.type != "sample" or msg.infer.get("intervened", False):
        return jnp.zeros(())
    total = jnp.sum(site_log_prob(msg))
    if jacobian and "log_det" in msg.infer:
        total = total + jnp.sum(msg.infer["log_det"])
    return total


def joint_log_density(sites: dict[str, Message], jacobian: bool = True) -> jax.Array:
    """Sum of all sites' contributions."""
    terms = [site_log_density(m, jacobian) for m in sites.values()]
    return sum(terms[1:], terms[0]) if terms else jnp.zeros(())


def reported_values(sites: dict[str, Message], latent_names) -> dict:
    """The values a posterior reports: latents in ``latent_names``, deterministics, and
    the imputed values of missing data (``<site>_missing``)."""
    out = {
        name: m.value
        for name, m in sites.items()
        if name in latent_names or m.type == "deterministic"
    }
    for m in sites.values():
        if "missing" in m.infer:
            out[m.infer["missing"][0]] = m.infer["missing"][1]
    return out
