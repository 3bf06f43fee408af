"""Run a model function under handlers that place latent values in unconstrained space."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from pplx.core.handlers import trace
from pplx.core.stack import Handler, Message
from pplx.distributions import biject_to
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
    """

    def __init__(
        self,
        fn: Callable | None = None,
        values: dict | None = None,
        fill_missing: bool = False,
        missing: dict | None = None,
    ):
        super().__init__(fn)
        self.values = dict(values or {})
        self.fill_missing = fill_missing
        self.missing = dict(missing or {})

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
            shape = bijector.inverse_shape(tuple(msg.fn.batch_shape) + tuple(msg.fn.event_shape))
            u = jnp.zeros(shape, dtype=jnp.result_type(float))
        x, log_det = bijector.forward_and_log_det(u)
        msg.value = x
        msg.infer["unconstrained"] = u
        msg.infer["log_det"] = log_det

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
        self, fn: Callable | None = None, point: dict | None = None, missing: dict | None = None
    ):
        super().__init__(fn)
        self.point = dict(point or {})
        self.missing = dict(missing or {})

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
        msg.value = x
        if not msg.fn.is_discrete:
            msg.infer["unconstrained"] = biject_to(msg.fn.support).inverse(x)


def run_traced(fn: Callable, args: tuple, kwargs: dict, *handlers: Handler) -> dict[str, Message]:
    """Run ``fn(*args, **kwargs)`` inside ``handlers`` (first = outermost) and a trace."""
    tr = trace()
    with tr:
        _enter_all(list(handlers), fn, args, kwargs)
    return tr.sites


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
