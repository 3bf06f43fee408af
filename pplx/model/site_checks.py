"""Parameter checks of a model's distributions, run after the model has run, each named
by the site whose distribution it checks.

Binding runs the model with every latent at the centre of its unconstrained space
(``u = 0``). A parameter computed from latents can be invalid there although the model
is not (``Normal(0.0, a - 5.0)`` with ``a ~ Normal(10, 1)`` has scale -5 at ``a = 0``),
so a check that fails at the centre is tried again with the latents at a draw from their
priors; the model is refused only when it fails there too, and the error reports the
value at that draw. A check of values that no latent changes (data, constants) fails at
both points alike and is reported as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from pplx.core.stack import Handler, Message
from pplx.distributions.param_checks import PendingCheck, deferred_checks
from pplx.model.execute import run_traced


class _CheckMarks(Handler):
    """Records, at each sample site, how many checks the model has made so far: those
    made since the previous site are the checks of this site's distribution."""

    def __init__(self, pending: list[PendingCheck]):
        super().__init__()
        self.pending = pending
        self.marks: list[tuple[str, int]] = []

    def process(self, msg: Message) -> None:
        if msg.type == "sample":
            self.marks.append((msg.name, len(self.pending)))


class _Failure(NamedTuple):
    site: str | None  # None: a check made after the last site
    error: ValueError
    index: int  # its position among the model's checks


class _Run(NamedTuple):
    sites: dict | None  # None when the model raised
    handler: Handler
    pending: list[PendingCheck]
    failure: _Failure | None
    error: Exception | None  # what the model raised, if it did


def _is_concrete(check: PendingCheck) -> bool:
    """False where a value is a tracer: the model was bound inside a ``jax.jit`` (or
    another transformation), where no value can be checked."""
    return not any(isinstance(a, jax.core.Tracer) for a in check.arrays)


def _first_failure(pending: list[PendingCheck], marks) -> _Failure | None:
    for i, check in enumerate(pending):
        if not _is_concrete(check):
            continue
        try:
            check.check(*(None if a is None else np.asarray(a) for a in check.arrays))
        except ValueError as err:
            site = next((name for name, count in marks if count > i), None)
            return _Failure(site, err, i)
    return None


def _run(fn: Callable, args: tuple, kwargs: dict, handler: Handler) -> _Run:
    with deferred_checks(keep_concrete=True) as pending:
        marks = _CheckMarks(pending)
        try:
            sites, error = run_traced(fn, args, kwargs, handler, marks), None
        except Exception as err:  # noqa: BLE001  an invalid parameter may be the cause
            sites, error = None, err
    return _Run(sites, handler, pending, _first_failure(pending, marks.marks), error)


def _same_values(a: PendingCheck, b: PendingCheck) -> bool:
    if len(a.arrays) != len(b.arrays):
        return False
    pairs = zip(a.arrays, b.arrays, strict=True)
    return all(
        (x is None and y is None)
        or (x is not None and y is not None and np.array_equal(np.asarray(x), np.asarray(y)))
        for x, y in pairs
    )


def _named(run: _Run, centre: _Run) -> ValueError:
    failure = run.failure
    prefix = f"site '{failure.site}': " if failure.site else ""
    message = prefix + str(failure.error)
    same = failure.index < len(centre.pending) and _same_values(
        centre.pending[failure.index], run.pending[failure.index]
    )
    if not same:  # the value depends on latents: it is the one at the prior draw
        message += (
            " (with the latent sites at a draw from their priors; it fails at the centre "
            "of their unconstrained space too). The parameter is computed from latent "
            "values that make it invalid: give those latents a prior on the valid range "
            "(e.g. HalfNormal for a scale) or map them into it (jnp.exp, "
            "jax.nn.softplus)."
        )
    return ValueError(message)


def run_checked(fn: Callable, args: tuple, kwargs: dict, make_handler: Callable):
    """Run ``fn`` under ``make_handler(None)`` (latents at the centre), checking every
    distribution parameter; where a check fails, run again under
    ``make_handler(jax.random.key(0))`` (latents at a prior draw).

    Returns:
        ``(sites, handler)`` of the run that passed every check.

    Raises:
        ValueError: a check fails at both points, named by its site.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def shifted(y):
        ...     a = pplx.sample("a", dist.Normal(10.0, 1.0))
        ...     pplx.sample("y", dist.Normal(0.0, a - 5.0), obs=y)
        >>> [s.name for s in shifted(jnp.ones(3)).sites]  # scale -5 at a = 0, 5 at a draw
        ['a', 'y']
    """
    centre = _run(fn, args, kwargs, make_handler(None))
    if centre.failure is None:
        if centre.error is not None:
            raise centre.error
        return centre.sites, centre.handler
    drawn = _run(fn, args, kwargs, make_handler(jax.random.key(0)))
    if drawn.failure is not None:
        raise _named(drawn, centre) from None
    if drawn.error is not None:
        raise drawn.error
    return drawn.sites, drawn.handler
