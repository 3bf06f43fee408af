"""Runs over many devices (pplx.infer.devices): chains split over devices, one plate's
data split over devices. The multi-device checks run in one fresh process with 4 forced
CPU devices (tests/devices_script.py): XLA reads the device count when JAX starts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh

import pplx
import pplx.distributions as dist
from pplx.infer import devices

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def four_devices():
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "JAX_PLATFORMS": "cpu",
    }
    env.pop("PPLX_XLA_CPU_LOOPS", None)
    out = subprocess.run(
        [sys.executable, str(HERE / "devices_script.py")],
        env=env,
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=1500,  # ~80 s of CPU; a shared machine stretches it
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = [s for s in out.stdout.splitlines() if s.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def test_the_device_flag_and_pplx_flag_both_survive_import(four_devices):
    flags = four_devices["xla_flags"].split()
    assert "--xla_force_host_platform_device_count=4" in flags
    assert any("xla_cpu_small_while_loop_byte_threshold" in f for f in flags)
    assert four_devices["num_devices"] == 4


@pytest.mark.parametrize("kernel", ["nuts", "hmc"])
def test_chains_over_devices_equal_chains_on_one_device(four_devices, kernel):
    # 8 chains, 2 a device, in sequence on each (the CPU choice of "auto"), against the
    # same 8 chains in sequence on one device: the same keys, the same program per chain
    assert four_devices["local_method"] == "sequential"
    assert four_devices[f"{kernel}_draws_diff"] <= 1e-10
    assert four_devices[f"{kernel}_step_size_diff"] <= 1e-12


def test_settled_warmup_ends_per_chain_on_every_device(four_devices):
    # a loose tolerance: most chains end warmup early (fixed key: 7 of 8 at 200 of 300),
    # each on its own device, exactly as when the same chains run in sequence on one
    lengths = four_devices["settled_warmup_draws"]
    assert all(d <= 300 for d in lengths) and sum(d < 300 for d in lengths) >= 4
    assert four_devices["settled_warmup_equal"]
    assert four_devices["settled_draws_diff"] <= 1e-10


def test_parallel_run_is_one_sharded_program(four_devices):
    assert four_devices["program_text_sharded"]


def test_chains_not_divisible_by_devices_name_both_numbers(four_devices):
    message = four_devices["indivisible_error"]
    assert "4 devices" in message and "num_chains=6" in message


def test_sharded_loglik_equals_unsharded_for_rows_not_divisible(four_devices):
    # N = 103 rows over 4 devices: one padded row, masked; float64
    assert four_devices["loglik_value_diff"] <= 1e-10
    assert four_devices["loglik_grad_diff"] <= 1e-10
    assert four_devices["two_device_value_diff"] <= 1e-10


def test_nuts_with_sharded_data_gives_the_unsharded_draws(four_devices):
    # the gradients differ only by summation order (~1e-14), so the chains agree closely
    assert four_devices["nuts_sharded_data_diff"] <= 1e-6


@pplx.model
def regression(x, y):
    a = pplx.sample("a", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(a * x, 1.0), obs=y)


@pplx.model
def with_latent_rows(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Normal(mu, 1.0))
        pplx.sample("y", dist.Normal(z, 1.0), obs=y)


MODEL = regression(jnp.linspace(-1.0, 1.0, 7), jnp.linspace(0.0, 2.0, 7))


def test_one_device_sharded_loglik_equals_the_model():
    f = devices.sharded_logdensity(MODEL, "obs")
    z = jnp.array([0.3])
    np.testing.assert_allclose(f(z), MODEL.logdensity(z), rtol=1e-12)
    np.testing.assert_allclose(jax.grad(f)(z), MODEL.dlogp(z), rtol=1e-12)


def test_a_mesh_without_the_axis_is_refused_before_tracing():
    mesh = Mesh(np.array(jax.devices()[:1]), ("batch",))
    with pytest.raises(ValueError, match="no axis named 'data'"):
        devices.data_sharding("obs", mesh)
    with pytest.raises(ValueError, match="axis named 'chain'"):
        devices.chain_shards(mesh, 4)
    with pytest.raises(TypeError, match="jax.sharding.Mesh"):
        devices.data_sharding("obs", mesh="data")


def test_unknown_plate_and_latent_rows_are_refused():
    with pytest.raises(ValueError, match="plate 'rows'.*plates are \\['obs'\\]"):
        pplx.infer.nuts_run(MODEL, jax.random.key(0), data_sharding="rows")
    with pytest.raises(ValueError, match="site 'z' is latent inside plate 'obs'"):
        devices.sharded_logdensity(with_latent_rows(jnp.zeros(3)), "obs")


def test_chains_and_data_on_a_2d_mesh_equal_the_unsplit_run(four_devices):
    # 2 chains x 103 rows on 4 devices: the plate's name gets a (2 chain, 2 data) mesh;
    # the sums are added in another order, so the draws agree to rounding (float64)
    assert four_devices["grid_auto_mesh"] == {"chain": 2, "data": 2}
    assert four_devices["grid_draws_diff"] <= 1e-8
    assert four_devices["grid_given_mesh"] == {"chain": 2, "data": 2}
    assert four_devices["grid_has_psum"]


def test_bad_2d_meshes_get_errors_before_tracing(four_devices):
    assert "needs one mesh with an axis 'chain'" in four_devices["grid_no_chain_axis_error"]
    assert "2 devices: num_chains=3" in four_devices["grid_indivisible_error"]
    assert "needs 8 devices; JAX sees 4" in four_devices["grid_too_big_error"]


def test_compound_chains_over_devices_equal_chains_on_one_device(four_devices):
    assert four_devices["compound_draws_diff"] == 0.0  # the same program per chain
    assert four_devices["compound_k_varies"] > 0.1  # the Gibbs site moved: not vacuous
    assert "4 devices: num_chains=6" in four_devices["compound_indivisible_error"]


def test_advi_restarts_over_devices_equal_restarts_on_one_device(four_devices):
    assert four_devices["advi_restarts_diff"] <= 1e-12
    assert four_devices["advi_starts_differ"] > 0.0
    assert "4 devices: num_restarts=6" in four_devices["advi_indivisible_error"]


def test_streamed_parallel_chains_equal_the_one_program_run(four_devices):
    assert four_devices["stream_parallel_diff"] <= 1e-10


def test_2d_mesh_names_are_checked_before_tracing():
    one = jax.devices()[:1]
    odd = Mesh(np.array(one).reshape(1, 1), ("chain", "rows"))
    with pytest.raises(ValueError, match="no axis named 'data'"):
        devices.data_sharding("obs", odd)
    on_chain = devices.data_sharding("obs", odd, axis="chain")
    with pytest.raises(ValueError, match="data axis is 'chain'"):
        pplx.infer.nuts_run(
            MODEL, jax.random.key(0), chain_method="parallel", data_sharding=on_chain
        )
    with pytest.raises(ValueError, match="positive ints"):
        devices.data_sharding("obs", mesh=(0, 1))
    with pytest.raises(TypeError, match="plate's name or"):
        pplx.infer.nuts_run(MODEL, jax.random.key(0), data_sharding=3)


def test_split_plate_masks_padded_rows_of_the_plate():
    # an oracle by hand: device 1 of 2 holds rows 4..7 of 6, rows 6 and 7 are padding
    def f(y):
        with pplx.plate("obs", 6):
            pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)

    tr = pplx.handlers.trace()
    with tr, pplx.core.primitives.split_plate("obs", 6, 4, 4):
        f(jnp.zeros(4))
    assert tr.sites["y"].mask.tolist() == [True, True, False, False]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _run_processes(num_processes: int, env: dict) -> dict:
    port, script = str(_free_port()), str(HERE / "multiprocess_script.py")
    procs = [
        subprocess.Popen(
            [sys.executable, script, port, str(i), str(num_processes)],
            env=env,
            cwd=HERE.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(num_processes)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
    line = [s for s in outs[0][0].splitlines() if s.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


@pytest.mark.slow
def test_two_processes_give_the_one_process_draws():
    # jax.distributed over 2 processes x 2 CPU devices (gloo), 4 chains, one a device,
    # against the same 4 chains in sequence in one process
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    two = _run_processes(2, env)
    one = _run_processes(1, env)
    assert two["devices"] == 4
    for name, values in one["draws"].items():
        np.testing.assert_allclose(two["draws"][name], values, rtol=0, atol=1e-10)


@pplx.model
def two_means(y):
    # a bimodal posterior: mu = +2 or -2 (y ~ N(mu^2 ...)): restarts find both modes
    mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu**2, 0.5), obs=y)


BIMODAL = two_means(jnp.full(8, 4.0))


def test_advi_restart_zero_is_the_single_fit_and_the_best_is_returned():
    settings = dict(num_steps=400, convergence=None)
    fits = pplx.vi.advi_restarts(BIMODAL, jax.random.key(1), num_restarts=4, **settings)
    single = pplx.vi.advi(BIMODAL, jax.random.key(1), **settings)
    np.testing.assert_allclose(fits[0].mean, single.mean, rtol=1e-10)
    # the random starts reach both modes (|mu| = 2), and the best has the highest ELBO
    modes = sorted(round(float(f.mean[0])) for f in fits)
    assert modes[0] == -2 and modes[-1] == 2, modes
    best = pplx.vi.advi(BIMODAL, jax.random.key(1), num_restarts=4, **settings)
    assert float(best.elbo) == max(float(f.elbo) for f in fits)
    vectorized = pplx.vi.advi_restarts(
        BIMODAL, jax.random.key(1), num_restarts=4, chain_method="vectorized", **settings
    )
    for a, b in zip(fits, vectorized, strict=True):
        np.testing.assert_allclose(a.mean, b.mean, rtol=1e-10)


def test_advi_restarts_bad_settings_are_refused():
    with pytest.raises(ValueError, match="chain_method must be one of"):
        pplx.vi.advi(BIMODAL, jax.random.key(0), num_restarts=2, chain_method="devices")
    with pytest.raises(ValueError, match="num_restarts must be a positive"):
        pplx.vi.advi(BIMODAL, jax.random.key(0), num_restarts=0)
    with pytest.raises(ValueError, match="progress_bar=True shows one fit"):
        pplx.vi.advi(BIMODAL, jax.random.key(0), num_restarts=2, progress_bar=True)


def test_map_chains_gives_the_same_results_for_every_method():
    f = lambda x: jnp.cumsum(x, axis=-1) * 2.0
    x = jnp.arange(12.0).reshape(4, 3)
    results = [devices.map_chains(f, x, m) for m in ("vectorized", "sequential", "parallel")]
    for r in results:
        np.testing.assert_array_equal(r, f(x))
