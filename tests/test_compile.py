"""Compilation behaviour: one program per model shape, no retracing on new data, no host
callbacks without a progress bar, and the pure entry under jit and vmap."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

SIGMA = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
Y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SETTINGS = dict(num_warmup=50, num_samples=50, num_chains=2)


def make_model(counter):
    @pplx.model
    def schools(sigma, y=None):
        if isinstance(sigma, jax.core.Tracer):
            counter["traces"] += 1
        mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
        tau = pplx.sample("tau", dist.HalfCauchy(5.0))
        with pplx.plate("school", sigma.shape[0]):
            z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
            pplx.sample("y", dist.Normal(mu + tau * z, sigma), obs=y)

    return schools


@pytest.fixture
def compile_events():
    events = []

    def listener(event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            events.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listener)
    yield events
    jax.monitoring.unregister_event_duration_listener(listener)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_one_compilation_per_model_shape(compile_events):
    counter = {"traces": 0}
    schools = make_model(counter)
    pplx.nuts(
        schools(SIGMA, y=Y),
        jax.random.key(0),
        progress_bar=False,
        return_inferencedata=False,
        **SETTINGS,
    )
    first_traces = counter["traces"]
    # binding's inspection, then the search for a start and a step size (one loop,
    # one call site in the loop body: pplx/kernels/initialize.py), the kernel's step
    # (traced once for the buffer's shapes and the loop), the constrained draws and the
    # observed data (read once, compiled)
    assert first_traces == 5, first_traces
    new_data, new_key = Y + 1.0, jax.random.key(1)
    compiles_before = len(compile_events)
    pplx.nuts(
        schools(SIGMA, y=new_data),
        new_key,
        progress_bar=False,
        return_inferencedata=False,
        **SETTINGS,
    )
    assert counter["traces"] == first_traces, "new data of the same shape retraced the model"
    assert len(compile_events) == compiles_before, "new data of the same shape recompiled"


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_second_call_on_the_same_model_compiles_nothing(compile_events):
    model = make_model({"traces": 0})(SIGMA, y=Y)
    pplx.nuts(model, jax.random.key(0), progress_bar=False, **SETTINGS)
    compiles_before = len(compile_events)
    idata = pplx.nuts(model, jax.random.key(1), progress_bar=False, **SETTINGS)
    assert len(compile_events) == compiles_before, "the same model recompiled"
    np.testing.assert_array_equal(idata.observed_data["y"].values, np.asarray(Y))


def test_log_density_traced_a_bounded_number_of_times():
    counter = {"traces": 0}
    model = make_model(counter)(SIGMA, y=Y)
    # binding's inspection, then the initial-point search, kernel init, step, the two
    # step-size searches and the constrained draws: once each
    checked = eqx.debug.assert_max_traces(model.fn, max_traces=7)
    bound = pplx.Model(checked, (SIGMA,), {"y": Y})
    jax.jit(lambda m, k: pplx.nuts_run(m, k, **SETTINGS).draws)(bound, jax.random.key(0))


def _has_callback(jaxpr) -> bool:
    text = str(jaxpr)
    return "callback" in text


def test_no_host_callbacks_without_progress_bar():
    model = make_model({"traces": 0})(SIGMA, y=Y)
    plain = jax.make_jaxpr(lambda k: pplx.nuts_run(model, k, **SETTINGS).draws)(jax.random.key(0))
    assert not _has_callback(plain)
    hook = pplx.runtime.progress.ProgressHook(50, 50, 2)
    with_bar = jax.make_jaxpr(lambda k: pplx.nuts_run(model, k, progress=hook, **SETTINGS).draws)(
        jax.random.key(0)
    )
    assert _has_callback(with_bar)


# Batched and unbatched arithmetic may round differently in the last bit. A single
# sequential chain runs unbatched code (``run.over_chains``) while the same run vmapped
# over datasets is batched, and warmup's step-size adaptation amplifies those last bits
# (to ~1e-2 over 50 warmup transitions); without warmup the two agree to rounding.
@pytest.mark.parametrize(
    ("chain_method", "num_warmup", "rtol"), [("vectorized", 50, 1e-6), ("sequential", 0, 1e-12)]
)
def test_pure_entry_under_jit_and_vmap_over_datasets(chain_method, num_warmup, rtol):
    schools = make_model({"traces": 0})
    datasets = Y[None, :] + jnp.arange(3.0)[:, None] * 5.0
    settings = {**SETTINGS, "num_warmup": num_warmup}

    @jax.jit
    def run(key, y):
        model = schools(SIGMA, y=y)
        return pplx.infer.nuts_run(model, key, chain_method=chain_method, **settings).draws["mu"]

    keys = jax.random.split(jax.random.key(0), 3)
    batched = jax.vmap(run)(keys, datasets)
    assert batched.shape == (3, 2, 50)
    single = run(keys[1], datasets[1])
    np.testing.assert_allclose(batched[1], single, rtol=rtol, atol=1e-12)
    assert not np.allclose(batched[0], single)  # each dataset's own run


def test_same_key_same_draws():
    model = make_model({"traces": 0})(SIGMA, y=Y)
    a = pplx.nuts_run(model, jax.random.key(5), **SETTINGS).draws["tau"]
    b = pplx.nuts_run(model, jax.random.key(5), **SETTINGS).draws["tau"]
    np.testing.assert_array_equal(a, b)


def test_compound_run_compiles_once_per_plan(compile_events):
    @pplx.model
    def switch(y):
        k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        with pplx.plate("obs", y.shape[0]):
            pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)

    run = lambda y, key: pplx.compound.sample(
        switch(y), key, num_warmup=20, num_samples=10, num_chains=2, return_inferencedata=False
    )
    first = run(jnp.array([1.0, 2.5]), jax.random.key(0))
    compiles_before = len(compile_events)
    second = run(jnp.array([0.0, 4.0]), jax.random.key(1))
    assert len(compile_events) == compiles_before  # new data, same shapes: no compile
    assert first.draws["mu"].shape == second.draws["mu"].shape == (2, 10)
    assert not np.array_equal(first.draws["mu"], second.draws["mu"])
