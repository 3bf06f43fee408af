"""JAX's persistent compilation cache across processes: with ``pplx.enable_compilation_cache``
a second process compiles nothing, with the default progress bar too (the drivers then
keep host callbacks out of their programs), and its draws are the first process's."""

import json
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    import jax.numpy as jnp
    from jax._src import monitoring

    jax.config.update("jax_enable_x64", sys.argv[2] == "1")  # as the test process

    import pplx
    import pplx.distributions as dist

    events = {"requests": 0, "hits": 0, "misses": 0}
    names = {
        "/jax/compilation_cache/compile_requests_use_cache": "requests",
        "/jax/compilation_cache/cache_hits": "hits",
        "/jax/compilation_cache/cache_misses": "misses",
    }

    def on_event(event, **kwargs):
        if event in names:
            events[names[event]] += 1

    monitoring.register_event_listener(on_event)
    pplx.enable_compilation_cache(sys.argv[1])

    @pplx.model
    def schools(sigma, y=None):
        mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
        tau = pplx.sample("tau", dist.HalfCauchy(5.0))
        with pplx.plate("school", sigma.shape[0]):
            z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
            pplx.sample("y", dist.Normal(mu + tau * z, sigma), obs=y)

    sigma = jnp.array([15.0, 10.0, 16.0, 11.0])
    y = jnp.array([28.0, 8.0, -3.0, 7.0])
    means = {}
    for method in ("sequential", "vectorized"):
        idata = pplx.nuts(schools(sigma, y=y), jax.random.key(0), num_warmup=60,
                          num_samples=40, num_chains=2, chain_method=method)
        means[method] = idata.posterior["mu"].values.tolist()
    print(json.dumps({"events": events, "mu": means}))
    """
)


def _run(folder):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder), str(int(jax.config.jax_enable_x64))],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "100%" in done.stderr, "the default progress bar was not drawn"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jax-cache")
    return _run(folder), _run(folder)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_a_second_process_compiles_nothing(two_processes):
    first, second = two_processes
    # every program is looked up in the cache (none holds a host callback) ...
    assert first["events"]["requests"] > 0
    assert first["events"]["misses"] == first["events"]["requests"], first["events"]
    # ... and the second process finds every one there: it compiles nothing
    assert second["events"]["misses"] == 0, second["events"]
    assert second["events"]["hits"] == second["events"]["requests"] == first["events"]["requests"]


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_cached_programs_give_the_same_draws(two_processes):
    first, second = two_processes
    assert first["mu"] == second["mu"]

    # the bar between host-driven blocks draws what one program without a bar draws
    @pplx.model
    def schools(sigma, y=None):
        mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
        tau = pplx.sample("tau", dist.HalfCauchy(5.0))
        with pplx.plate("school", sigma.shape[0]):
            z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
            pplx.sample("y", dist.Normal(mu + tau * z, sigma), obs=y)

    sigma = jax.numpy.array([15.0, 10.0, 16.0, 11.0])
    y = jax.numpy.array([28.0, 8.0, -3.0, 7.0])
    for method, mu in first["mu"].items():
        idata = pplx.nuts(
            schools(sigma, y=y),
            jax.random.key(0),
            num_warmup=60,
            num_samples=40,
            num_chains=2,
            chain_method=method,
            progress_bar=False,
        )
        np.testing.assert_allclose(idata.posterior["mu"].values, np.asarray(mu), rtol=1e-5)


def test_the_cache_switch_is_reported(tmp_path):
    from pplx.runtime.cache import compilation_cache_on

    assert not compilation_cache_on()  # the suite runs without the cache
    pplx.enable_compilation_cache(tmp_path)
    try:
        assert compilation_cache_on()
        assert jax.config.jax_compilation_cache_dir == str(tmp_path)
    finally:
        pplx.disable_compilation_cache()
    assert not compilation_cache_on()
