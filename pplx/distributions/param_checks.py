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
_KEEP_CONCRETE: list[bool] = []


@contextlib.contextmanager
def deferred_checks(keep_concrete: bool = False):
    """Inside, :func:`check_when_concrete` (and so :func:`check_param`) keeps the checks
    that meet traced arrays instead of skipping them; yields the list they go to. With
    ``keep_concrete`` it keeps the checks of concrete arrays too, instead of running them
    at once: the caller runs them after the model, knowing which site each one preceded.

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
    _KEEP_CONCRETE.append(keep_concrete)
    try:
        yield pending
    finally:
        _COLLECTORS.pop()
        _KEEP_CONCRETE.pop()


def check_when_concrete(check: Callable, *arrays) -> None:
    """Call ``check(*arrays)`` now when no array is traced; inside
    :func:`deferred_checks` keep it for the arrays' values; otherwise skip it (inside a
    user's ``jit``, where the values are never known before the program runs)."""
    if is_concrete(*arrays) and not (_KEEP_CONCRETE and _KEEP_CONCRETE[-1]):
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


def _tolerance(arr: np.ndarray) -> float:
    """Rounding slack for a sum or a symmetry check: float32 rounds at ~1e-7 per term."""
    return 1e-6 if arr.dtype == np.float64 else 1e-4


def check_simplex(dist_name, param_name, probs):
    """Raise ``ValueError`` (when ``probs`` is concrete, or kept inside
    :func:`deferred_checks`) unless ``probs`` is nonnegative and sums to one over its last
    axis, within rounding: probabilities that do not are a mistake to report, not to
    renormalise quietly.

    Example:
        >>> import numpy as np
        >>> check_simplex("Categorical", "probs", np.array([0.5, 1.5]))
        Traceback (most recent call last):
        ValueError: Categorical: probs must sum to 1 over the last axis, got 2.0. Normalise...
    """
    check_when_concrete(functools.partial(_require_simplex, dist_name, param_name), probs)


def _require_simplex(dist_name, param_name, probs):
    arr = np.asarray(probs)
    if not np.all(arr >= 0):
        index = tuple(int(i) for i in np.argwhere(~(arr >= 0))[0])
        raise ValueError(
            f"{dist_name}: {param_name} must be nonnegative, got {arr[index].item()!r} at "
            f"index {index}"
        )
    sums = arr.sum(-1)
    bad = np.abs(sums - 1.0) > _tolerance(arr) * max(1, arr.shape[-1])
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" (row {index})" if index else ""
        raise ValueError(
            f"{dist_name}: {param_name} must sum to 1 over the last axis, got "
            f"{sums[index].item()!r}{where}. Normalise them ({param_name} / "
            f"{param_name}.sum(-1, keepdims=True)), or give logits, which need not be "
            "normalised."
        )


def check_symmetric(dist_name, param_name, matrix):
    """Raise ``ValueError`` (when ``matrix`` is concrete, or kept inside
    :func:`deferred_checks`) unless ``matrix`` equals its transpose within rounding: a
    factorisation would read one triangle and quietly ignore the other.

    Example:
        >>> import numpy as np
        >>> check_symmetric("MultivariateNormal", "covariance_matrix",
        ...                 np.array([[1.0, 0.5], [0.0, 1.0]]))
        Traceback (most recent call last):
        ValueError: MultivariateNormal: covariance_matrix must be symmetric, but entry (0, 1)...
    """
    check_when_concrete(functools.partial(_require_symmetric, dist_name, param_name), matrix)


def _require_symmetric(dist_name, param_name, matrix):
    m = np.asarray(matrix)
    if m.ndim < 2:
        return  # the shape check of the family reports it
    gap = np.abs(m - np.swapaxes(m, -1, -2))
    scale = np.maximum(np.abs(m).max(axis=(-2, -1), keepdims=True), 1e-30)
    bad = gap > _tolerance(m) * scale
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        i, j = index[-2:]
        swapped = index[:-2] + (j, i)
        where = f" of batch {index[:-2]}" if index[:-2] else ""
        raise ValueError(
            f"{dist_name}: {param_name} must be symmetric, but entry ({i}, {j}){where} is "
            f"{m[index].item()!r} and entry ({j}, {i}) is {m[swapped].item()!r}. Pass a "
            "symmetric matrix (e.g. (m + m.T) / 2 if the asymmetry is rounding)."
        )


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
