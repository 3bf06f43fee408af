"""Bad input, as a new user writes it: each row is (what is wrong, a call, the exception
type, words the message must contain). The oracle is the message itself: it names the
site or argument and says what to do, and is raised before any sampling.
"""

import jax
import jax.numpy as jnp
import pytest

import pplx
import pplx.distributions as dist


@pplx.model
def mean_model(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)


@pplx.model
def not_a_distribution():
    pplx.sample("x", 3.0)


Y = jnp.ones(3)
RUN = dict(num_warmup=10, num_samples=10, num_chains=1, progress_bar=False)


def _nuts(**kwargs):
    return lambda: pplx.nuts(mean_model(Y), jax.random.key(0), **{**RUN, **kwargs})


CASES = [
    ("init with an unknown site", _nuts(init={"nu": 1.0}), ValueError, ["'nu'", "['mu']"]),
    ("init missing a site", _nuts(init={}), ValueError, ["'mu'", "every one"]),
    ("init not a dict", _nuts(init=[1.0]), TypeError, ["init must be a dict"]),
    (
        "a float seed",
        lambda: pplx.nuts(mean_model(Y), 0.5, **RUN),
        TypeError,
        ["jax.random.key(0)"],
    ),
    ("a non-distribution to pplx.sample", not_a_distribution, TypeError, ["'x'", "float"]),
    ("string data", lambda: mean_model("abc"), TypeError, ["argument 0", "string"]),
    (
        "string data in a dict",
        lambda: mean_model(y={"a": "b"}),
        TypeError,
        ["y['a']", "string"],
    ),
    (
        "an unknown kernel",
        lambda: pplx.mcmc(mean_model(Y), jax.random.key(0), kernel="x"),
        ValueError,
        ["kernel must be one of"],
    ),
    ("a bad target_accept", _nuts(target_accept=1.5), ValueError, ["target_accept"]),
]


@pytest.mark.parametrize("what, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (what, str(info.value))


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_an_int_seed_is_accepted_as_jax_random_key():
    # the oracle: the same draws as with jax.random.key(3)
    kw = {**RUN, "return_inferencedata": False}
    a = pplx.nuts(mean_model(Y), 3, **kw).draws["mu"]
    b = pplx.nuts(mean_model(Y), jax.random.key(3), **kw).draws["mu"]
    assert (a == b).all()
