"""ArviZ is imported in a background thread while XLA compiles (pplx.results.prefetch)."""

import subprocess
import sys

import pytest

SCRIPT = """
import sys, threading
import pplx
from pplx.results import prefetch
assert "arviz" not in sys.modules
prefetch.prefetch_arviz()
thread = prefetch._thread
assert thread is not None and thread.name == "pplx-import-arviz"
prefetch.prefetch_arviz()  # a second call starts nothing new
assert prefetch._thread is thread
from pplx.results.posterior import import_arviz
az = import_arviz()  # waits for the thread
assert not thread.is_alive() and az is sys.modules["arviz"]
print("ok")
"""


def test_prefetch_imports_arviz_once_in_a_thread():
    out = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


DRIVER_SCRIPT = """
import sys, warnings
import jax, jax.numpy as jnp
import pplx
import pplx.distributions as dist
from pplx.results import prefetch
warnings.simplefilter("ignore")

@pplx.model
def coin(y):
    k = pplx.sample("k", dist.Bernoulli(probs=0.5))
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(mu + k, 1.0).expand(y.shape).to_event(1), obs=y)

@pplx.model
def mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)

y, key, tiny = jnp.zeros(3), jax.random.key(0), dict(num_warmup=20, num_samples=10)
run = {
    "compound": lambda: pplx.compound.sample(coin(y), key, num_chains=1, **tiny),
    "prior_predictive": lambda: pplx.prior_predictive(mean(y), key, num_samples=5),
    "nuts_many": lambda: pplx.nuts_many(mean, [y, y + 1.0], key, num_chains=1, **tiny),
}[sys.argv[1]]
assert "arviz" not in sys.modules
run()
assert prefetch._thread is not None and prefetch._thread.name == "pplx-import-arviz"
print("ok")
"""


@pytest.mark.parametrize("driver", ["compound", "prior_predictive", "nuts_many"])
def test_drivers_that_return_inferencedata_import_arviz_while_compiling(driver):
    out = subprocess.run(
        [sys.executable, "-c", DRIVER_SCRIPT, driver],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
