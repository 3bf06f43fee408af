"""Checks that an entry point runs before it traces anything: a bound model, and (for
gradient-based algorithms) continuous latents only."""

from __future__ import annotations

from typing import Any

from pplx.model.execute import run_traced, unconstrain
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


def require_point_in_support(model: Model, point: dict, what: str = "init") -> None:
    """Raise a ``ValueError`` naming the first latent site whose value in ``point``
    (constrained values by site) lies outside the support of that site's family,
    checked site by site in model order, so a value outside one support is reported as
    such, not as an invalid parameter of a later site that uses it."""
    args, kwargs = model._args_kwargs()
    handler = unconstrain(point=point, missing=model.missing_index, check_support=what)
    run_traced(model.fn, args, kwargs, handler)
