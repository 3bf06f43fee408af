"""Keys at every entry point: an int seed is accepted as ``jax.random.key(seed)`` (the
oracle: the same numbers as with that key), and anything else that is not a key gets a
TypeError saying "pass jax.random.key(0)", raised before anything is traced.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist


@pplx.model
def scale_model(y):
    s = pplx.sample("s", dist.HalfNormal(1.0))
    with pplx.plate("i", y.shape[0]):
        pplx.sample("y", dist.Normal(0.0, s), obs=y)


Y = jnp.ones(3)
M = scale_model(Y)
SHORT = dict(num_warmup=5, num_samples=5, num_chains=1)
QUIET = dict(SHORT, progress_bar=False, return_inferencedata=False)
POSTERIOR = {"s": np.ones((1, 4))}

# (entry point, a call with the key or seed k, the arrays to compare)
ENTRIES = [
    ("nuts", lambda k: pplx.nuts(M, k, **QUIET).draws["s"]),
    ("hmc", lambda k: pplx.hmc(M, k, **QUIET).draws["s"]),
    ("sample", lambda k: pplx.sample(M, k, **QUIET).draws["s"]),
    ("compound.sample", lambda k: pplx.compound.sample(M, k, **QUIET).draws["s"]),
    ("infer.nuts_run", lambda k: pplx.infer.nuts_run(M, k, **SHORT).draws["s"]),
    ("infer.hmc_run", lambda k: pplx.infer.hmc_run(M, k, **SHORT).draws["s"]),
    ("infer.mcmc_run", lambda k: pplx.infer.mcmc_run(M, k, **SHORT).draws["s"]),
    (
        "nuts_many",
        lambda k: pplx.nuts_many(scale_model, [Y, Y], k, **SHORT).posterior["s"],
    ),
    ("vi.advi", lambda k: pplx.vi.advi(M, k, num_steps=5, progress_bar=False).mean),
    ("vi.elbo", lambda k: pplx.vi.elbo(M, pplx.vi.init_params(M), k)),
    ("vi.pathfinder", lambda k: pplx.vi.pathfinder(M, k, num_draws=4)["s"]),
    ("vi.nuts_init", lambda k: pplx.vi.nuts_init(M, k, num_chains=2, num_steps=5)),
    (
        "prior_predictive",
        lambda k: pplx.prior_predictive(M, k, num_samples=4, return_inferencedata=False)["y"],
    ),
    (
        "posterior_predictive",
        lambda k: pplx.posterior_predictive(M, POSTERIOR, k, return_inferencedata=False)["y"],
    ),
]


# each compiles a sampler: the drivers' shared key path is checked through two of them
SAME_DRAWS = [e for e in ENTRIES if e[0] not in ("hmc", "infer.hmc_run", "infer.mcmc_run")]


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
@pytest.mark.parametrize("what, call", SAME_DRAWS, ids=[e[0] for e in SAME_DRAWS])
def test_an_int_seed_gives_the_draws_of_jax_random_key(what, call):
    a, b = call(3), call(jax.random.key(3))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("what, call", ENTRIES, ids=[e[0] for e in ENTRIES])
@pytest.mark.parametrize("bad", [0.5, "0", None], ids=["float", "str", "None"])
def test_a_non_key_says_pass_jax_random_key(what, call, bad):
    with pytest.raises(TypeError) as info:
        call(bad)
    assert "jax.random.key(0)" in str(info.value), (what, str(info.value))
