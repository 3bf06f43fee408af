"""The model layer: a model function and its data -> a flat log density."""

from pplx.model.layout import Layout
from pplx.model.model import Model, model
from pplx.model.sites import SiteInfo

__all__ = ["Layout", "Model", "SiteInfo", "model"]
