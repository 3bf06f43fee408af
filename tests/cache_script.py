"""Eight schools (four schools) sampled with the default progress bar, for
tests/test_compilation_cache.py: run as a script with a cache folder, it switches the
persistent compilation cache on there and prints, as JSON, the cache's lookups, hits
and misses and the ``mu`` draws of each chain method. The test imports the same model to
compare draws."""

import json
import sys

import jax
import numpy as np

import pplx
import pplx.distributions as dist

SIGMA = np.array([15.0, 10.0, 16.0, 11.0])
Y = np.array([28.0, 8.0, -3.0, 7.0])
SETTINGS = dict(num_warmup=60, num_samples=40, num_chains=2)
CHAIN_METHODS = ("sequential", "vectorized")
CACHE_EVENTS = {
    "/jax/compilation_cache/compile_requests_use_cache": "requests",
    "/jax/compilation_cache/cache_hits": "hits",
    "/jax/compilation_cache/cache_misses": "misses",
}


@pplx.model
def schools(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", sigma.shape[0]):
        z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(mu + tau * z, sigma), obs=y)


def mu_draws(progress_bar: bool) -> dict[str, list]:
    """The ``mu`` draws ``(chain, draw)`` of each chain method, key 0."""
    draws = {}
    for method in CHAIN_METHODS:
        idata = pplx.nuts(
            schools(SIGMA, y=Y),
            jax.random.key(0),
            chain_method=method,
            progress_bar=progress_bar,
            **SETTINGS,
        )
        draws[method] = idata.posterior["mu"].values.tolist()
    return draws


def main(folder: str) -> None:
    from jax._src import monitoring

    events = dict.fromkeys(CACHE_EVENTS.values(), 0)

    def on_event(event, **kwargs):
        if event in CACHE_EVENTS:
            events[CACHE_EVENTS[event]] += 1

    monitoring.register_event_listener(on_event)
    pplx.enable_compilation_cache(folder)
    mu = mu_draws(progress_bar=True)
    print(json.dumps({"events": events, "mu": mu}))


if __name__ == "__main__":
    main(sys.argv[1])
