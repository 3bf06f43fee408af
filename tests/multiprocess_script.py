"""One process of a two-process run (tests/test_devices.py): ``python
multiprocess_script.py PORT PROCESS_ID [NUM_PROCESSES]``, 2 CPU devices a process.

All processes run the same program (SPMD) over the mesh of every device; the draws are
gathered on every process and process 0 prints a checksum.
"""

import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
port, pid = sys.argv[1], int(sys.argv[2])
nproc = int(sys.argv[3]) if len(sys.argv) > 3 else 2
if nproc > 1:
    jax.distributed.initialize(f"localhost:{port}", num_processes=nproc, process_id=pid)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.experimental import multihost_utils  # noqa: E402

import pplx  # noqa: E402
import pplx.distributions as dist  # noqa: E402


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    s = pplx.sample("s", dist.HalfNormal(2.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, s), obs=y)


model = normal_mean(jnp.asarray(np.random.default_rng(0).normal(1.0, 1.0, size=20)))
method = "parallel" if nproc > 1 else "sequential"
# the key and data are constants of the program: the same on every process
run = jax.jit(
    lambda: (
        pplx.infer.nuts_run(
            model,
            jax.random.key(0),
            num_warmup=100,
            num_samples=50,
            num_chains=4,
            chain_method=method,
        ).draws
    )
)
draws = run()
if nproc > 1:
    draws = multihost_utils.process_allgather(draws, tiled=True)
if pid == 0:
    out = {k: np.asarray(v).tolist() for k, v in draws.items()}
    print("RESULT " + json.dumps({"devices": len(jax.devices()), "draws": out}))
