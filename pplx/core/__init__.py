"""The effect system: primitives, the handler stack and the handlers."""

from pplx.core import handlers
from pplx.core.primitives import deterministic, factor, plate, sample
from pplx.core.stack import Handler, Message, PlateFrame

__all__ = [
    "Handler",
    "Message",
    "PlateFrame",
    "deterministic",
    "factor",
    "handlers",
    "plate",
    "sample",
]
