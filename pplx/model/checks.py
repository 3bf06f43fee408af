"""Checks that an entry point runs before it traces anything: a bound model, and (for
gradient-based algorithms) continuous latents only."""

from __future__ import annotations

from typing import Any

from pplx.model.model import Model


def require_bound_model(model: Any, what: str) -> Model:
    """Raise a ``TypeError`` unless ``model`` is a bound model (``f(data)``, not ``f``)."""
    if not isinstance(model, Model):
        raise TypeError(
            f"{what} expects a bound pplx model, got {type(model).__name__}. Decorate the "
            "model function with @pplx.model and call it with its data: "
            f"{what}(my_model(data), ...)."
        )
    return model


def require_continuous_latents(model: Any, what: str) -> Model:
    """A bound model whose latents are all continuous, with at least one of them."""
    require_bound_model(model, what)
    discrete = [s.name for s in model.discrete_vars]
    if discrete:
        raise TypeError(
            f"{what} cannot handle the integer-valued latent site(s) {discrete}: a discrete "
            "latent site has no gradient. Marginalise them out of the model, fix them with "
            "pplx.condition, or sample them with pplx.compound."
        )
    if model.num_dims == 0:
        raise ValueError(f"model {model.fn.__name__} has no continuous latent sites.")
    return model
