"""``pplx.nuts(..., until=pplx.Converged(...))``: the friendly side of a run until converged.

Compiles :func:`pplx.infer.until.nuts_until` once per model shape and settings, keeps only
the draws made, and records why the run stopped in the result's attributes
(``until_reason``: ``"converged"`` or ``"max_draws"``; ``until_num_draws``; the worst
R-hat and ESS at the last check).
"""

from __future__ import annotations

import jax
import numpy as np

from pplx.infer.until import Converged, nuts_until
from pplx.runtime.jit import filter_jit

_compiled = filter_jit(nuts_until)


def drive_until(model, key, until: Converged, max_tree_depth: int, **options):
    """Run :func:`nuts_until` with the options of :func:`pplx.nuts`; see its docstring.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> until = pplx.Converged(ess_bulk=100, ess_tail=100, max_draws=400, check_every=50)
        >>> idata = pplx.nuts(mean_model(jnp.ones(5)), jax.random.key(0), num_warmup=200,
        ...                   num_chains=2, until=until, progress_bar=False)
        >>> idata.posterior.attrs["until_reason"], idata.posterior["mu"].shape[1] <= 400
        ('converged', True)
    """
    from pplx.infer import drivers
    from pplx.runtime.timing import Timer

    if not isinstance(until, Converged):
        raise TypeError(f"until must be a pplx.Converged, got {type(until).__name__}.")
    if options.pop("thinning") != 1:
        raise ValueError("until= keeps every draw: use thinning=1.")
    if options.pop("chain_method") not in ("auto", "vectorized"):
        raise ValueError("until= runs chains together (vectorised): use chain_method='auto'.")
    if options.pop("data_sharding", None) is not None:
        raise ValueError("until= does not shard data yet: use data_sharding=None.")
    options.pop("num_samples")
    options.pop("progress_bar")  # the loop runs without host callbacks: no bar yet
    coords = model.check_coords(options.pop("coords"))
    as_idata = options.pop("return_inferencedata")
    init = options.pop("init")
    num_chains = options["num_chains"]
    until.check(num_chains)
    init_positions = drivers._user_init(model, init, key, num_chains)
    with Timer() as timer:
        result, info = _compiled(
            model,
            key,
            until,
            max_tree_depth=max_tree_depth,
            init_positions=init_positions,
            **options,
        )
        result = jax.block_until_ready(result)
    n = int(info.num_draws)
    keep = lambda tree: {k: np.asarray(v)[:, :n] for k, v in tree.items()}
    result = result._replace(
        draws=keep(result.draws),
        stats=keep(result.stats),
        log_likelihood=keep(result.log_likelihood),
    )
    kernel = drivers.NUTSSpec(max_tree_depth)
    posterior = drivers._report(model, result, timer, kernel, False, coords)
    posterior.attrs.update(
        until_reason="converged" if bool(info.converged) else "max_draws",
        until_num_draws=n,
        until_max_rhat=float(np.nanmax(np.asarray(info.rhat))),
        until_min_ess_bulk=float(np.nanmin(np.asarray(info.ess_bulk))),
        until_min_ess_tail=float(np.nanmin(np.asarray(info.ess_tail))),
    )
    return posterior.to_arviz() if as_idata else posterior
