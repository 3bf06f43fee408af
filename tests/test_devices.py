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
        timeout=600,
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
    with pytest.raises(ValueError, match="not with chain_method='parallel'"):
        pplx.infer.nuts_run(MODEL, jax.random.key(0), chain_method="parallel", data_sharding="obs")


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
