"""One timed run: a (model, contender, seed) in a fresh process, written as JSON.

    python -m bench.worker --model eight_schools --contender pplx --seed 0 --out r.json

``bench.run`` starts one of these per run and passes ``--t0``, its clock just before the
process was spawned, so that the total wall time counts interpreter start-up, imports,
tracing, compilation, warmup and sampling, up to the draws being NumPy arrays on the
host. Everything after that point (diagnostics with ArviZ, the gradient cost) is not
timed.
"""

from __future__ import annotations

import time

T_WORKER_START = time.time()

import argparse  # noqa: E402
import functools  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402

from bench.common import (  # noqa: E402
    CONTENDERS,
    EXTRA_CONTENDERS,
    NUTPIE_CONTENDERS,
    NUTPIE_DEFAULT_WARMUP,
    Settings,
    resolve_model,
)
from bench.metrics import diagnostics, gradient_cost, versions  # noqa: E402

COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


class CompileClock:
    """Collects JAX's compile events through ``jax.monitoring`` listeners.

    Durations are summed per event; the time spans of all compile events are also kept,
    and ``seconds`` is the length of their union, so that nested events (tracing an
    outer function traces the inner ones) are not counted twice.
    """

    def __init__(self):
        self.durations: dict[str, list[float]] = {}
        self.spans: list[tuple[float, float]] = []
        self.cache_hits = 0

    def install(self):
        import jax.monitoring as mon

        def on_duration(event, duration, **kwargs):
            if event in COMPILE_EVENTS:
                self.durations.setdefault(event, []).append(float(duration))

        def on_span(event, start, end, **kwargs):
            if event in COMPILE_EVENTS:
                self.spans.append((float(start), float(end)))

        def on_event(event, **kwargs):
            if event == "/jax/compilation_cache/cache_hits":
                self.cache_hits += 1

        mon.register_event_duration_secs_listener(on_duration)
        mon.register_event_time_span_listener(on_span)
        mon.register_event_listener(on_event)

    def seconds(self, since: float = 0.0, until: float = float("inf")) -> float:
        """Union of compile spans clipped to [since, until]."""
        total, cur_start, cur_end = 0.0, None, None
        for start, end in sorted(self.spans):
            start, end = max(start, since), min(end, until)
            if end <= start:
                continue
            if cur_end is None or start > cur_end:
                if cur_end is not None:
                    total += cur_end - cur_start
                cur_start, cur_end = start, end
            else:
                cur_end = max(cur_end, end)
        if cur_end is not None:
            total += cur_end - cur_start
        return total

    def breakdown(self) -> dict:
        return {
            event.rsplit("/", 1)[-1]: {"count": len(v), "seconds": sum(v)}
            for event, v in self.durations.items()
        }


# ---------------------------------------------------------------------------------
# The contenders. Each returns a dict with host NumPy arrays:
#   draws: name -> (chain, draw, *shape) constrained, deterministics included
#   n_steps: (chain, draw) integration steps of the sampling phase
#   n_steps_warmup: (chain, warmup) or None where the library does not expose it
#   diverging: (chain, draw) bool
# and, untimed, ``grad_target``: a (log density function, point) pair.


def run_pplx(
    posterior: str,
    s: Settings,
    seed: int,
    chain_method: str = "auto",
    adaptation: str = "stan",
    num_warmup: int | None = None,
) -> dict:
    import jax

    import pplx
    from bench.models_pplx import bound_model

    m = bound_model(posterior)
    run = pplx.filter_jit(pplx.infer.nuts_run)  # pplx's compiler options, as pplx.nuts
    settings = dict(
        num_warmup=s.num_warmup if num_warmup is None else num_warmup,
        num_samples=s.num_samples,
        num_chains=s.num_chains,
        target_accept=s.target_accept,
        max_tree_depth=s.max_tree_depth,
        dense_mass=False,
        chain_method=chain_method,
        adaptation=adaptation,
    )
    res = run(m, jax.random.key(seed), **settings)
    draws = {k: np.asarray(v) for k, v in res.draws.items()}
    stats = {k: np.asarray(v) for k, v in res.stats.items()}
    warm = getattr(res, "warmup_stats", None)
    warm_steps = None if warm is None or "n_steps" not in warm else np.asarray(warm["n_steps"])
    return {
        "draws": draws,
        "n_steps": stats["n_steps"],
        "n_steps_warmup": warm_steps,
        "diverging": stats["diverging"],
        "step_size": np.asarray(res.state.step_size),
        "grad_target": lambda: (m.logdensity, _uniform_like(jax.numpy.zeros(m.num_dims), seed)),
        "rerun": lambda: _rerun(run, m, seed, settings),
    }


def _rerun(run, model, seed, settings):
    """Prepare (untimed) a run on new data of the same shape; return it as a thunk."""
    import jax

    new, key = jax.block_until_ready((_new_data(model), jax.random.key(seed + 1)))
    return lambda: jax.block_until_ready(run(new, key, **settings).draws)


def _new_data(model):
    """The model with its floating-point data nudged: new arrays of the same shapes."""
    import equinox as eqx
    import jax

    arrays, static = eqx.partition(model, eqx.is_array)
    nudge = lambda a: a * (1 + 1e-6) if jax.numpy.issubdtype(a.dtype, jax.numpy.floating) else a
    return eqx.combine(jax.tree.map(nudge, arrays), static)


def _run_numpyro(posterior: str, s: Settings, seed: int, chain_method: str) -> dict:
    import jax
    from numpyro.infer import MCMC, NUTS

    from bench.models_numpyro import model_and_data

    model, data = model_and_data(posterior)
    kernel = NUTS(
        model,
        target_accept_prob=s.target_accept,
        max_tree_depth=s.max_tree_depth,
        dense_mass=False,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=s.num_warmup,
        num_samples=s.num_samples,
        num_chains=s.num_chains,
        chain_method=chain_method,
        progress_bar=False,
    )
    # Collect from iteration 0 rather than from num_warmup, to count the warmup's
    # gradient evaluations. The compiled loop computes the same thing either way
    # (NumPyro post-processes every iteration and only masks the store); only the
    # output buffer is twice as long.
    total = s.num_warmup + s.num_samples
    with_warmup = hasattr(mcmc, "_set_collection_params")
    if with_warmup:
        mcmc._set_collection_params(0, total, total)
    mcmc.run(jax.random.PRNGKey(seed), extra_fields=("num_steps", "diverging"), **data)
    samples = mcmc.get_samples(group_by_chain=True)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    w = s.num_warmup if with_warmup else 0
    draws = {k: np.asarray(v)[:, w:] for k, v in samples.items()}
    steps = np.asarray(extra["num_steps"])
    diverging = np.asarray(extra["diverging"])

    def grad_target():
        from numpyro.infer.util import initialize_model

        info = initialize_model(jax.random.PRNGKey(seed), model, model_kwargs=data)
        pot = info.potential_fn
        point = jax.tree.map(lambda x: _uniform_like(x, seed), info.param_info.z)
        return (lambda u: -pot(u)), point

    return {
        "draws": draws,
        "n_steps": steps[:, w:],
        "n_steps_warmup": steps[:, :w] if with_warmup else None,
        "diverging": diverging[:, w:],
        "step_size": _numpyro_step_size(mcmc),
        "grad_target": grad_target,
    }


def _numpyro_step_size(mcmc):
    """The adapted step size of each chain (None if this NumPyro hides it)."""
    try:
        return np.asarray(mcmc.last_state.adapt_state.step_size)
    except AttributeError:
        return None


def run_numpyro_sequential(posterior, s, seed):
    return _run_numpyro(posterior, s, seed, "sequential")


def run_numpyro_vectorized(posterior, s, seed):
    return _run_numpyro(posterior, s, seed, "vectorized")


def run_blackjax(posterior: str, s: Settings, seed: int) -> dict:
    import blackjax
    import jax

    from bench.models_blackjax import BlackJAXModel

    bm = BlackJAXModel(posterior)

    def one_chain(key):
        init_key, warm_key, sample_key = jax.random.split(key, 3)
        position = bm.initial_position(init_key)
        adaptation = blackjax.window_adaptation(
            blackjax.nuts,
            bm.logdensity,
            is_mass_matrix_diagonal=True,
            target_acceptance_rate=s.target_accept,
            max_num_doublings=s.max_tree_depth,
        )
        (state, params), warm_info = adaptation.run(warm_key, position, num_steps=s.num_warmup)
        # params: step_size, inverse_mass_matrix and the extra max_num_doublings
        kernel = blackjax.nuts(bm.logdensity, **params)

        def step(state, key):
            state, info = kernel.step(key, state)
            return state, (state.position, info.num_integration_steps, info.is_divergent)

        keys = jax.random.split(sample_key, s.num_samples)
        _, (positions, n_steps, diverging) = jax.lax.scan(step, state, keys)
        values = jax.vmap(bm.constrain)(positions)
        warm_steps = warm_info.info.num_integration_steps
        return values, n_steps, diverging, warm_steps, params["step_size"]

    @jax.jit
    def run(key):
        return jax.vmap(one_chain)(jax.random.split(key, s.num_chains))

    values, n_steps, diverging, warm_steps, step_size = run(jax.random.key(seed))
    draws = {k: np.asarray(v) for k, v in values.items()}
    return {
        "draws": draws,
        "n_steps": np.asarray(n_steps),
        "n_steps_warmup": np.asarray(warm_steps),
        "diverging": np.asarray(diverging),
        "step_size": np.asarray(step_size),
        "grad_target": lambda: (
            bm.logdensity,
            {k: _uniform_like(np.zeros(v), seed) for k, v in bm.shapes.items()},
        ),
    }


def run_nutpie(posterior: str, s: Settings, seed: int, tune: int | None = None) -> dict:
    """nutpie (numba backend) on the PyMC model; ``tune=None``: nutpie's default warmup.

    Chains and draws follow the settings (nutpie's own default is 6 chains), and so do
    the target acceptance and tree depth (nutpie's defaults are the same, 0.8 and 10).
    The warmup's draws and stats are kept (``save_warmup``) to count its gradients.
    nutpie compiles with numba, not JAX: its compile time is timed here directly.
    """
    import nutpie

    from bench.models_pymc import pymc_model

    m = pymc_model(posterior)
    t_compile = time.time()
    cm = nutpie.compile_pymc_model(m)
    compile_s = time.time() - t_compile
    kwargs = {} if tune is None else {"tune": tune}
    idata = nutpie.sample(
        cm,
        draws=s.num_samples,
        chains=s.num_chains,
        seed=seed,
        target_accept=s.target_accept,
        maxdepth=s.max_tree_depth,
        save_warmup=True,
        progress_bar=False,
        **kwargs,
    )
    post = idata.posterior
    draws = {k: np.asarray(post[k].values) for k in post.data_vars}
    stats = idata.sample_stats
    warm = idata.warmup_sample_stats
    return {
        "draws": draws,
        "n_steps": np.asarray(stats["n_steps"].values),
        "n_steps_warmup": np.asarray(warm["n_steps"].values),
        "diverging": np.asarray(stats["diverging"].values),
        "step_size": np.asarray(stats["step_size"].values[:, -1]),
        "compile_s": compile_s,
        "grad_cost": lambda: _pymc_grad_cost(m),
    }


def _pymc_grad_cost(m, budget_s: float = 0.6) -> dict:
    """Median wall time of one call of the log density and its gradient, compiled by
    PyTensor with numba as nutpie does, called from Python (so dispatch is included;
    there is no in-loop figure, ``loop_s`` is None)."""
    import pytensor

    values = list(m.value_vars)
    logp = m.logp(jacobian=True)
    grads = pytensor.grad(logp, values)
    fn = pytensor.function(values, [logp, *grads], mode="NUMBA")
    ip = m.initial_point()
    rng = np.random.default_rng(1000)
    args = [
        np.asarray(ip[v.name] + rng.uniform(-0.1, 0.1, np.shape(ip[v.name])), dtype=v.dtype)
        for v in values
    ]
    fn(*args)
    t = time.perf_counter()
    fn(*args)
    first = max(time.perf_counter() - t, 1e-7)
    repeats = int(min(2000, max(20, budget_s / 2 / first)))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return {"call_s": float(np.median(times)), "call_repeats": repeats, "loop_s": None}


RUNNERS = {
    "pplx": run_pplx,
    "pplx_vectorized": functools.partial(run_pplx, chain_method="vectorized"),
    "pplx_sequential": functools.partial(run_pplx, chain_method="sequential"),
    "pplx_fisher": functools.partial(
        run_pplx, adaptation="fisher", num_warmup=NUTPIE_DEFAULT_WARMUP
    ),
    "pplx_fisher_full": functools.partial(run_pplx, adaptation="fisher"),
    "numpyro_sequential": run_numpyro_sequential,
    "numpyro_vectorized": run_numpyro_vectorized,
    "blackjax": run_blackjax,
    "nutpie": run_nutpie,
    "nutpie_1000": functools.partial(run_nutpie, tune=1000),
}
assert set(RUNNERS) == set(CONTENDERS + EXTRA_CONTENDERS)

#: imported (and timed as ``import_s``) before the runner starts
IMPORTS = {
    "pplx": ("equinox", "pplx", "bench.models_pplx"),
    "pplx_vectorized": ("equinox", "pplx", "bench.models_pplx"),
    "pplx_sequential": ("equinox", "pplx", "bench.models_pplx"),
    "pplx_fisher": ("equinox", "pplx", "bench.models_pplx"),
    "pplx_fisher_full": ("equinox", "pplx", "bench.models_pplx"),
    "numpyro_sequential": ("numpyro", "numpyro.infer", "bench.models_numpyro"),
    "numpyro_vectorized": ("numpyro", "numpyro.infer", "bench.models_numpyro"),
    "blackjax": ("blackjax", "bench.models_blackjax"),
    "nutpie": ("pymc", "nutpie", "bench.models_pymc"),
    "nutpie_1000": ("pymc", "nutpie", "bench.models_pymc"),
}


def _uniform_like(x, seed: int):
    """A fixed point uniform in (-2, 2), shaped like ``x``."""
    rng = np.random.default_rng(1000 + seed)
    return np.asarray(rng.uniform(-2.0, 2.0, np.shape(x)), dtype=np.float64)


# ---------------------------------------------------------------------------------
# Untimed measurements.


def measure(args) -> dict:
    t0 = args.t0 if args.t0 is not None else T_WORKER_START
    settings = Settings(
        num_chains=args.chains,
        num_warmup=args.warmup,
        num_samples=args.draws,
        target_accept=args.target_accept,
        max_tree_depth=args.max_tree_depth,
    )
    posterior = resolve_model(args.model)
    clock = CompileClock()
    t_import = time.time()
    if args.contender not in NUTPIE_CONTENDERS:  # nutpie runs without JAX (numba)
        import jax

        jax.config.update("jax_enable_x64", True)
        clock.install()
    runner = RUNNERS[args.contender]
    for module in IMPORTS[args.contender]:
        importlib.import_module(module)
    t_run = time.time()
    out = runner(posterior, settings, args.seed)  # imports the library, builds, runs
    t_end = time.time()  # draws are NumPy arrays on the host

    compile_total = clock.seconds(until=t_end)
    compile_in_run = clock.seconds(since=t_run, until=t_end)
    if "compile_s" in out:  # a library that compiles without JAX (nutpie: numba)
        compile_total = compile_in_run = out["compile_s"]
    breakdown = clock.breakdown()
    n_steps = out["n_steps"]
    warm = out["n_steps_warmup"]
    grads_sampling = int(np.sum(n_steps))
    grads_warmup = None if warm is None else int(np.sum(warm))
    grads_total = None if warm is None else grads_sampling + grads_warmup

    record = {
        "model": posterior,
        "contender": args.contender,
        "seed": args.seed,
        "settings": settings.__dict__,
        "status": "ok",
        "total_wall_s": t_end - t0,
        "startup_s": T_WORKER_START - t0,
        "import_s": t_run - t_import,
        "run_s": t_end - t_run,
        "compile_s": compile_total,
        "compile_in_run_s": compile_in_run,
        "compile_events": breakdown,
        "cache_hits": clock.cache_hits,
        "sampling_s": max(t_end - t_run - compile_in_run, 0.0),
        "grad_evals_sampling": grads_sampling,
        "grad_evals_warmup": grads_warmup,
        "grad_evals_total": grads_total,
        "divergences": int(np.sum(out["diverging"])),
        "mean_tree_steps": float(np.mean(n_steps)),
        "step_size": _median_or_none(out.get("step_size")),
    }
    record.update(diagnostics(posterior, out["draws"]))
    if "rerun" in out:  # a second run with new data of the same shape, same settings
        rerun = out["rerun"]()
        t_rerun = time.time()
        rerun()
        record["rerun_s"] = time.time() - t_rerun
        record["rerun_compile_s"] = clock.seconds(since=t_rerun)
    if "grad_cost" in out:
        cost = out["grad_cost"]()
    else:
        fn, point = out["grad_target"]()
        cost = gradient_cost(fn, point)
    record["grad_cost_s"] = cost["call_s"]
    record["grad_cost_loop_s"] = cost["loop_s"]
    record["grad_cost_detail"] = cost
    record.update(derived(record))
    record["versions"] = versions()
    for mod in ("nutpie", "pymc", "pytensor"):
        if mod in sys.modules:
            record["versions"][mod] = getattr(sys.modules[mod], "__version__", "?")
    record["xla_flags"] = os.environ.get("XLA_FLAGS", "")  # after the library's import
    return record


def _median_or_none(a):
    return None if a is None else float(np.median(a))


def derived(r: dict) -> dict:
    """Metrics derived from the raw measurements of one run."""

    def div(a, b):
        return None if a is None or b in (None, 0) else a / b

    grads = r["grad_evals_total"]
    work_call = None if None in (grads, r["grad_cost_s"]) else grads * r["grad_cost_s"]
    work_loop = None if None in (grads, r["grad_cost_loop_s"]) else grads * r["grad_cost_loop_s"]
    return {
        "ess_per_s": div(r["min_ess_bulk"], r["total_wall_s"]),
        "ess_per_sampling_s": div(r["min_ess_bulk"], r["sampling_s"]),
        "ess_per_1k_grad": div(r["min_ess_bulk"], r["grad_evals_sampling"] / 1000.0),
        # warmup included (None where the library hides the warmup's steps)
        "ess_per_1k_grad_total": div(r["min_ess_bulk"], div(grads, 1000.0)),
        "overhead": div(r["sampling_s"], work_call),
        "overhead_loop": div(r["sampling_s"], work_loop),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="one timed benchmark run")
    parser.add_argument("--model", required=True)
    parser.add_argument("--contender", required=True, choices=CONTENDERS + EXTRA_CONTENDERS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--target-accept", type=float, default=0.8)
    parser.add_argument("--max-tree-depth", type=int, default=10)
    parser.add_argument("--t0", type=float, default=None, help="parent's time.time() at spawn")
    parser.add_argument("--out", default=None, help="JSON file (default: stdout)")
    args = parser.parse_args(argv)
    try:
        record = measure(args)
        code = 0
    except Exception as err:
        record = {
            "model": args.model,
            "contender": args.contender,
            "seed": args.seed,
            "status": "error",
            "error": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
        }
        code = 1
    text = json.dumps(record, indent=1, default=float)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
