"""The shape every inference algorithm takes: a pair of pure functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Algorithm(NamedTuple):
    """``init(position) -> state`` and ``step(key, state, *params) -> (state, info)``.

    Static settings are closed over when the algorithm is built; parameters that
    adaptation changes (step size, inverse mass matrix) are arguments of ``step``.
    """

    init: Callable
    step: Callable
