"""Checks of distribution parameters: at construction when the values are concrete,
or kept for later when they are traced inside :func:`deferred_checks`."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np


def is_concrete(*xs):
    """True when no argument is a tracer (so it may be inspected on the host)."""
    return not any(isinstance(x, jax.core.Tracer) for x in xs)


class PendingCheck(NamedTuple):
    """A host-side check that met traced arrays, kept to be called on their values."""

    check: Callable  # check(*arrays) raises ValueError when the values fail
    arrays: tuple


_COLLECTORS: list[list[PendingCheck]] = []


@contextlib.contextmanager
def deferred_checks():
    """Inside, :func:`check_when_concrete` (and so :func:`check_param`) keeps the checks
    that meet traced arrays instead of skipping them; yields the list they go to.

    Model inspection traces a model once with its data as arguments, returns the kept
    arrays from that one compiled program, and calls each check on their values (run op
    by op, every distinct operation of the model would be compiled on its own).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> def build(scale):
        ...     with deferred_checks() as pending:
        ...         check_param("Normal", "scale", scale * 2.0, lambda v: v > 0, "must be > 0")
        ...     return pending[0].check, [p.arrays for p in pending]
        >>> found = {}
        >>> arrays = jax.jit(lambda s: found.setdefault("out", build(s))[1])(jnp.array(-2.0))
        >>> found["out"][0](*arrays[0])
        Traceback (most recent call last):
        ValueError: Normal: scale must be > 0, got -4.0
    """
    pending: list[PendingCheck] = []
    _COLLECTORS.append(pending)
    try:
        yield pending
    finally:
        _COLLECTORS.pop()


def check_when_concrete(check: Callable, *arrays) -> None:
    """Call ``check(*arrays)`` now when no array is traced; inside
    :func:`deferred_checks` keep it for the arrays' values; otherwise skip it (inside a
    user's ``jit``, where the values are never known before the program runs)."""
    if is_concrete(*arrays):
        check(*arrays)
    elif _COLLECTORS:
        _COLLECTORS[-1].append(PendingCheck(check, arrays))


def check_param(dist_name, param_name, value, ok, requirement):
    """Raise ``ValueError`` when a concrete parameter fails its requirement.

    Args:
        dist_name: the distribution's name, for the message.
        param_name: the parameter's name.
        value: the parameter (skipped when a tracer, or kept inside
            :func:`deferred_checks`).
        ok: boolean array (or a callable of ``value``), True where valid.
        requirement: e.g. ``"must be positive"``.
    """
    if value is None or not (is_concrete(value) or _COLLECTORS):
        return
    ok = ok(value) if callable(ok) else ok
    report = functools.partial(_raise_if_failed, dist_name, param_name, requirement)
    check_when_concrete(report, value, ok)


def require_cholesky_factor(dist_name, param_name, chol):
    """Raise unless the concrete ``chol`` has a finite, positive diagonal (a Cholesky
    factor of a positive-definite matrix)."""
    diag = np.diagonal(np.asarray(chol), axis1=-2, axis2=-1)
    if not np.all(np.isfinite(diag) & (diag > 0)):
        raise ValueError(f"{dist_name}: {param_name} must be positive definite")


def _raise_if_failed(dist_name, param_name, requirement, value, ok):
    ok = np.asarray(ok)
    if ok.all():
        return
    arr = np.asarray(value)
    if arr.ndim == 0:
        got = f"{arr.item()!r}"
    else:
        index = tuple(int(i) for i in np.argwhere(~np.broadcast_to(ok, arr.shape))[0])
        got = f"{arr[index].item()!r} at index {index}"
    raise ValueError(f"{dist_name}: {param_name} {requirement}, got {got}")
