"""Checks run in a fresh process with 4 forced CPU devices (tests/test_devices.py).

Prints one JSON object of results; the test file asserts on it. XLA_FLAGS must hold
``--xla_force_host_platform_device_count=4`` before this process starts JAX.
"""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
import pplx  # noqa: E402
import pplx.distributions as dist  # noqa: E402
from pplx.infer import devices  # noqa: E402

out = {"xla_flags": os.environ.get("XLA_FLAGS", ""), "num_devices": len(jax.devices())}


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    s = pplx.sample("s", dist.HalfNormal(2.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, s), obs=y)


@pplx.model
def logreg(X, y):
    b0 = pplx.sample("b0", dist.Normal(0.0, 2.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 1.0).expand((X.shape[1],)).to_event(1))
    with pplx.plate("obs", X.shape[0]):
        pplx.sample("y", dist.Bernoulli(logits=b0 + X @ beta), obs=y)


def max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


model = normal_mean(jnp.asarray(np.random.default_rng(0).normal(1.0, 1.0, size=20)))
run = dict(num_warmup=100, num_samples=50, num_chains=8)
for name, entry in (("nuts", pplx.infer.nuts_run), ("hmc", pplx.infer.hmc_run)):
    par = entry(model, jax.random.key(0), chain_method="parallel", **run)
    # what each device runs for its 2 chains on a CPU: chains in sequence
    one = entry(model, jax.random.key(0), chain_method="sequential", **run)
    out[f"{name}_draws_diff"] = max_diff(par.draws, one.draws)
    out[f"{name}_step_size_diff"] = float(
        jnp.max(jnp.abs(par.state.step_size - one.state.step_size))
    )
# per-chain early warmup ends (pplx.Settled): each device's chains end their own warmup
settled = dict(run, num_warmup=300, adaptation=pplx.Settled(tolerance=0.5))
par = pplx.infer.nuts_run(model, jax.random.key(0), chain_method="parallel", **settled)
one = pplx.infer.nuts_run(model, jax.random.key(0), chain_method="sequential", **settled)
out["settled_draws_diff"] = max_diff(par.draws, one.draws)
out["settled_warmup_draws"] = np.asarray(par.warmup_stats["draws"]).tolist()
out["settled_warmup_equal"] = bool(
    np.array_equal(par.warmup_stats["draws"], one.warmup_stats["draws"])
)
out["local_method"] = devices.local_chain_method(8, 4)
# the program holds the chains' shard_map: one compiled program, split over devices
lowered = jax.jit(
    lambda k: pplx.infer.nuts_run(model, k, chain_method="parallel", **run).draws["mu"]
).lower(jax.random.key(0))
out["program_text_sharded"] = "manual" in lowered.as_text().lower()
try:
    pplx.infer.nuts_run(
        model,
        jax.random.key(0),
        chain_method="parallel",
        num_warmup=10,
        num_samples=5,
        num_chains=6,
    )
    out["indivisible_error"] = ""
except ValueError as err:
    out["indivisible_error"] = str(err)

# the sharded likelihood: N = 103 rows over 4 devices (26 each, 1 padded row)
rng = np.random.default_rng(1)
X = rng.normal(size=(103, 3))
y = (rng.random(103) < 1 / (1 + np.exp(-X @ np.array([1.0, -0.5, 0.2])))).astype(float)
lr = logreg(jnp.asarray(X), jnp.asarray(y))
f = jax.jit(jax.value_and_grad(devices.sharded_logdensity(lr, "obs")))
g = jax.jit(jax.value_and_grad(lr.logdensity))
value_diff, grad_diff = 0.0, 0.0
for _ in range(5):
    z = jnp.asarray(rng.normal(size=lr.num_dims))
    (a, ga), (b, gb) = f(z), g(z)
    value_diff = max(value_diff, abs(float(a - b)))
    grad_diff = max(grad_diff, float(jnp.max(jnp.abs(ga - gb))))
out["loglik_value_diff"], out["loglik_grad_diff"] = value_diff, grad_diff
out["loglik_value"] = float(g(jnp.zeros(lr.num_dims))[0])
short = dict(num_warmup=100, num_samples=50, num_chains=2, chain_method="sequential")
sharded = pplx.infer.nuts_run(lr, jax.random.key(3), data_sharding="obs", **short)
plain = pplx.infer.nuts_run(lr, jax.random.key(3), **short)
out["nuts_sharded_data_diff"] = max_diff(sharded.draws, plain.draws)
two = devices.data_sharding("obs", devices.Mesh(np.array(jax.devices()[:2]), ("data",)))
out["two_device_value_diff"] = abs(
    float(devices.sharded_logdensity(lr, two)(jnp.zeros(lr.num_dims)) - out["loglik_value"])
)


# chains x data on a 2-D mesh: 2 chains over the "chain" axis, each chain's 103 rows
# split over the "data" axis (2 x 2), against the unsplit chains in sequence
grid = dict(num_warmup=100, num_samples=50, num_chains=2, chain_method="parallel")
auto = pplx.infer.nuts_run(lr, jax.random.key(3), data_sharding="obs", **grid)
out["grid_auto_mesh"] = dict(devices.resolve_sharding("obs", "parallel", 2).mesh.shape)
out["grid_draws_diff"] = max_diff(auto.draws, plain.draws)
given = devices.data_sharding("obs", mesh=(2, 2))  # the same mesh, given as a shape
out["grid_given_mesh"] = dict(devices.resolve_sharding(given, "parallel", 2).mesh.shape)
lowered = jax.jit(
    lambda k: pplx.infer.nuts_run(lr, k, data_sharding="obs", **grid).draws["b0"]
).lower(jax.random.key(3))
text = lowered.as_text()
out["grid_has_psum"] = "all_reduce" in text or "all-reduce" in text


def error_of(fn):
    try:
        fn()
    except (ValueError, TypeError) as err:
        return str(err)
    return ""


flat = devices.data_sharding("obs")  # one axis "data": no room for the chains
out["grid_no_chain_axis_error"] = error_of(
    lambda: pplx.infer.nuts_run(lr, jax.random.key(3), data_sharding=flat, **grid)
)
out["grid_indivisible_error"] = error_of(
    lambda: pplx.infer.nuts_run(
        lr, jax.random.key(3), data_sharding=given, **{**grid, "num_chains": 3}
    )
)
out["grid_too_big_error"] = error_of(lambda: devices.data_sharding("obs", mesh=(4, 2)))


# compound (Gibbs + NUTS) chains over devices: 8 chains, 2 a device, against 8 in sequence
@pplx.model
def coin_or_die(y):
    k = pplx.sample("k", dist.Bernoulli(probs=0.5))
    mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)


cd = coin_or_die(jnp.array([1.0, 2.5, 1.7]))
crun = dict(num_warmup=60, num_samples=40, num_chains=8)
cpar = pplx.compound.sample_run(cd, jax.random.key(5), chain_method="parallel", **crun)
cseq = pplx.compound.sample_run(cd, jax.random.key(5), chain_method="sequential", **crun)
out["compound_draws_diff"] = max_diff(cpar.draws, cseq.draws)
out["compound_k_varies"] = float(np.std(np.asarray(cpar.draws["k"])))
out["compound_indivisible_error"] = error_of(
    lambda: pplx.compound.sample_run(
        cd, jax.random.key(5), chain_method="parallel", **{**crun, "num_chains": 6}
    )
)

# ADVI restarts over devices: 4 restarts, one a device, against 4 in sequence
fits = {
    method: pplx.vi.advi_restarts(
        model, jax.random.key(7), num_restarts=4, chain_method=method, num_steps=300
    )
    for method in ("parallel", "sequential")
}
out["advi_restarts_diff"] = max(
    float(jnp.max(jnp.abs(a.mean - b.mean)) + jnp.max(jnp.abs(a.scale - b.scale)))
    for a, b in zip(fits["parallel"], fits["sequential"], strict=True)
)
out["advi_starts_differ"] = float(
    jnp.max(jnp.abs(fits["parallel"][0].mean - fits["parallel"][1].mean))
)
out["advi_indivisible_error"] = error_of(
    lambda: pplx.vi.advi_restarts(
        model, jax.random.key(7), num_restarts=6, chain_method="parallel", num_steps=10
    )
)

# draws streamed to the host in blocks equal the one-program run (chains over devices)
stream = dict(num_warmup=60, num_samples=40, num_chains=8, chain_method="parallel")
quiet = dict(progress_bar=False, return_inferencedata=False)
whole = pplx.nuts(model, jax.random.key(2), **stream, **quiet)
blocks = pplx.nuts(model, jax.random.key(2), stream_block=16, **stream, **quiet)
out["stream_parallel_diff"] = max_diff(whole.draws, blocks.draws)
print("RESULT " + json.dumps(out))
