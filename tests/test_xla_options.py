"""The XLA option pplx sets at import: flag editing, when it applies, and same draws."""

import json
import os
import subprocess
import sys

import pytest

from pplx.runtime import xla_options
from pplx.runtime.xla_options import OPTION, apply_small_loop_option, with_small_loop_option

SET = f"--xla_backend_extra_options={OPTION}=1048576"


@pytest.mark.parametrize(
    "flags, expected",
    [
        ("", SET),
        ("--xla_dump_to=d", "--xla_dump_to=d " + SET),
        (
            "--xla_backend_extra_options=a=1 --xla_dump_to=d",
            f"--xla_backend_extra_options=a=1,{OPTION}=1048576 --xla_dump_to=d",
        ),
        # several extra-option flags: added to the last, which XLA reads last
        (
            "--xla_backend_extra_options=a=1 --xla_backend_extra_options=b=2",
            f"--xla_backend_extra_options=a=1 --xla_backend_extra_options=b=2,{OPTION}=1048576",
        ),
        # the user's own value is kept, wherever it is
        (
            f"--xla_backend_extra_options=a=1,{OPTION}=0",
            f"--xla_backend_extra_options=a=1,{OPTION}=0",
        ),
        (f"--xla_backend_extra_options={OPTION}=5 x", f"--xla_backend_extra_options={OPTION}=5 x"),
    ],
)
def test_option_is_added_once_and_never_overrides_the_user(flags, expected):
    assert with_small_loop_option(flags, 1048576) == expected


@pytest.fixture
def restore_status():
    saved = dict(xla_options._status)
    yield
    xla_options._status.update(saved)


def test_option_is_set_while_the_backends_are_not_started(monkeypatch, restore_status):
    monkeypatch.setattr(xla_options, "_backends_started", lambda: False)
    environ = {"XLA_FLAGS": "--xla_dump_to=d"}
    assert apply_small_loop_option(environ) == "set by pplx"
    assert environ["XLA_FLAGS"] == with_small_loop_option("--xla_dump_to=d")
    assert xla_options.xla_loop_status() == "set by pplx"
    assert xla_options.small_loops_active()


@pytest.mark.parametrize("value", ["0", "false", "OFF", " no "])
def test_opting_out_leaves_the_flags_alone(monkeypatch, restore_status, value):
    monkeypatch.setattr(xla_options, "_backends_started", lambda: False)
    environ = {"PPLX_XLA_CPU_LOOPS": value}
    assert apply_small_loop_option(environ) == "off"
    assert "XLA_FLAGS" not in environ
    assert not xla_options.small_loops_active()


@pytest.mark.parametrize("value, active", [("0", False), ("65536", True), ("1e9", False)])
def test_a_users_setting_is_reported_not_touched(restore_status, value, active):
    flags = f"--xla_backend_extra_options=a=1,{OPTION}={value}"
    environ = {"XLA_FLAGS": flags, "PPLX_XLA_CPU_LOOPS": "0"}
    assert apply_small_loop_option(environ) == "set before pplx"
    assert environ["XLA_FLAGS"] == flags
    assert xla_options.small_loops_active() is active


def test_too_late_warns_with_what_to_do(monkeypatch, restore_status):
    monkeypatch.setattr(xla_options, "_backends_started", lambda: True)
    environ = {}
    with pytest.warns(UserWarning, match="Import pplx before running any JAX computation"):
        assert apply_small_loop_option(environ) == "too late"
    assert "XLA_FLAGS" not in environ


def _python(code: str, **env) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "PPLX_XLA_CPU_LOOPS")}
    environ.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def test_import_sets_the_option_in_a_fresh_process():
    out = _python("import os, pplx; print(pplx.xla_loop_status(), os.environ['XLA_FLAGS'])")
    assert out == f"set by pplx {SET}"


def test_import_after_a_jax_computation_warns_once():
    code = (
        "import warnings, jax.numpy as jnp; jnp.ones(2).sum().block_until_ready()\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always'); import pplx\n"
        "print(pplx.xla_loop_status(), len(caught), 'XLA_FLAGS' in caught[0].message.args[0])"
    )
    assert _python(code) == "too late 1 True"


# Eight schools with NUTS in one sequential chain: the program whose loops XLA compiles
# into single kernels under the option. Prints a checksum of the draws.
EIGHT_SCHOOLS = """
import json, jax, jax.numpy as jnp, numpy as np, pplx, pplx.distributions as dist
jax.config.update("jax_enable_x64", True)
y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])

@pplx.model
def schools(y, sigma):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", 8):
        theta = pplx.sample("theta", dist.Normal(0.0, 1.0))
        pplx.sample("obs", dist.Normal(mu + tau * theta, sigma), obs=y)

post = pplx.nuts(schools(y, sigma), jax.random.key(3), num_chains=2, num_warmup=200,
                 num_samples=200, chain_method="sequential", progress_bar=False,
                 return_inferencedata=False)
mu = np.asarray(post.draws["mu"])
print(json.dumps([pplx.xla_loop_status(), float(mu.sum()), float((mu**2).sum())]))
"""


def test_draws_are_the_same_with_and_without_the_option():
    on = json.loads(_python(EIGHT_SCHOOLS))
    off = json.loads(_python(EIGHT_SCHOOLS, PPLX_XLA_CPU_LOOPS="0"))
    assert (on[0], off[0]) == ("set by pplx", "off")
    # Both compile the same program; the single-kernel code may round differently.
    assert on[1:] == pytest.approx(off[1:], rel=1e-9, abs=1e-9)


def test_import_survives_a_jax_without_the_private_backend_query(monkeypatch):
    from jax._src import xla_bridge

    monkeypatch.delattr(xla_bridge, "backends_are_initialized")
    assert xla_options._backends_started() is False
