"""Run until converged with chains over 4 forced CPU devices (tests/test_until_chains.py).

Prints one JSON object of results; the test asserts on it. XLA_FLAGS must hold
``--xla_force_host_platform_device_count=4`` before this process starts JAX.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
import pplx  # noqa: E402
import pplx.distributions as dist  # noqa: E402


@pplx.model
def gauss(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0).expand((2,)).to_event(1))
    pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(2), obs=y)


y = np.stack([np.linspace(-1.0, 2.0, 20), np.linspace(0.0, 1.0, 20)], axis=-1)
model = gauss(jnp.asarray(y))
until = pplx.Converged(ess_bulk=300, ess_tail=300, max_draws=600, check_every=100)
run = dict(num_warmup=250, num_chains=8)
out = {"num_devices": len(jax.devices())}
par, info = pplx.infer.nuts_until(model, jax.random.key(4), until, chain_method="parallel", **run)
seq, seq_info = pplx.infer.nuts_until(
    model, jax.random.key(4), until, chain_method="sequential", **run
)
n = int(info.num_draws)
out.update(
    converged=bool(info.converged),
    num_draws=n,
    num_draws_sequential=int(seq_info.num_draws),
    draws_diff=float(np.max(np.abs(np.asarray(par.draws["mu"]) - np.asarray(seq.draws["mu"])))),
)
try:
    pplx.nuts(model, jax.random.key(0), num_chains=6, until=until, chain_method="parallel")
    out["bad_chains_error"] = ""
except ValueError as err:
    out["bad_chains_error"] = str(err)
print(json.dumps(out))
