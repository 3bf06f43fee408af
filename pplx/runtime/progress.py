"""A progress bar for compiled runs, fed from inside ``lax.scan`` by host callbacks.

The compiled loop holds only a small hashable :class:`ProgressHook` (so a new bar does not
mean a new compilation); it calls the host every ``every`` iterations through
``jax.debug.callback``, and the host forwards to the bar opened by :func:`start`. Nothing
here runs unless a progress bar was asked for, so a run without one has no host
callbacks in its program.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import jax

_ACTIVE: dict = {}


class ProgressHook(NamedTuple):
    """The static description of a bar: run lengths and the update period."""

    num_warmup: int
    num_samples: int
    num_chains: int
    every: int = 0
    passes: int = 1

    @property
    def per_pass(self) -> int:
        """Iterations of one pass (all chains vectorised, or one chain in sequence)."""
        return self.num_warmup + self.num_samples

    @property
    def total(self) -> int:
        return self.per_pass * self.passes

    @property
    def period(self) -> int:
        return self.every or max(1, self.total // 100)

    def hook(self, iteration, divergences, step_size) -> None:
        """Device side: report every ``period`` iterations and at the last one."""
        due = ((iteration + 1) % self.period == 0) | (iteration + 1 == self.total)

        def emit():
            jax.debug.callback(report, iteration, divergences, step_size)

        jax.lax.cond(due, emit, lambda: None)


def start(hook: ProgressHook) -> None:
    """Open the host-side bar that the next run's callbacks will move."""
    from tqdm.auto import tqdm

    finish()
    bar = tqdm(
        total=hook.total,
        file=sys.stderr,
        dynamic_ncols=True,
        unit="it",
        desc=f"warmup   {hook.num_chains} chains",
    )
    _ACTIVE.update(bar=bar, hook=hook, done=0)


def finish() -> None:
    """Close the bar, if one is open."""
    bar = _ACTIVE.pop("bar", None)
    _ACTIVE.clear()
    if bar is not None:
        bar.close()


def report(iteration, divergences, step_size, **figures) -> None:
    """Host side: move the open bar to ``iteration`` (0-based) with the run's figures
    (``figures``: more name=value pairs to show, e.g. the worst R-hat of a run until
    converged)."""
    bar = _ACTIVE.get("bar")
    if bar is None:
        return
    hook = _ACTIVE["hook"]
    iteration = int(iteration) + 1
    within = (iteration - 1) % hook.per_pass + 1
    phase = "warmup  " if within <= hook.num_warmup else "sampling"
    chains = (
        f"chain {(iteration - 1) // hook.per_pass + 1}/{hook.passes}"
        if hook.passes > 1
        else f"{hook.num_chains} chains"
    )
    bar.set_description(f"{phase} {chains}", refresh=False)
    bar.set_postfix(
        divergences=int(divergences), step_size=f"{float(step_size):.3g}", **figures, refresh=False
    )
    bar.update(iteration - _ACTIVE["done"])
    _ACTIVE["done"] = iteration


def end_at(iteration) -> None:
    """Host side: the run stopped early, after ``iteration + 1`` iterations (a run until
    converged): the bar's total becomes that, so it closes full."""
    bar = _ACTIVE.get("bar")
    if bar is not None:
        bar.total = int(iteration) + 1
        bar.refresh()
