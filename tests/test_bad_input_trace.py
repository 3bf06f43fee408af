"""Bad models found while pplx traces or starts them: Python that needs the value of a
traced array (named by the last site reached, with what to write instead), and a log
density that is NaN inside the support (named as such, with its sites, not as a bad
start or difficult geometry). Each row: (what is wrong, a call, the exception type,
words the message must contain).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.infer.nan_probe import nan_sites_near

RUN = dict(num_warmup=10, num_samples=10, num_chains=1, progress_bar=False)
Y = jnp.ones(3)


def if_on_a_latent(y):
    a = pplx.sample("a", dist.Normal(0.0, 1.0))
    b = 1.0 if a > 0 else 2.0
    pplx.sample("y", dist.Normal(a, b), obs=y)


def float_of_a_latent(y):
    a = pplx.sample("a", dist.Normal(0.0, 1.0))
    pplx.sample("b", dist.Normal(float(a), 1.0))
    pplx.sample("y", dist.Normal(a, 1.0), obs=y)


def int_of_a_latent(y):
    n = pplx.sample("n", dist.Normal(3.0, 1.0))
    pplx.deterministic("k", jnp.arange(int(n)).sum())
    pplx.sample("y", dist.Normal(n, 1.0), obs=y)


def log_of_a_negative(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(jnp.log(mu - 5.0), 1.0), obs=y)  # NaN for every mu < 5


def nan_factor(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.factor("penalty", jnp.sqrt(mu - 5.0))


def _nuts(body):
    return lambda: pplx.nuts(pplx.model(body)(Y), 0, **RUN)


CASES = [
    ("if on a latent", _nuts(if_on_a_latent), TypeError, ["after site 'a'", "jnp.where"]),
    ("float() of a latent", _nuts(float_of_a_latent), TypeError, ["after site 'a'", "float()"]),
    ("int() of a latent", _nuts(int_of_a_latent), TypeError, ["after site 'n'", "lax.cond"]),
    (
        "a NaN log density everywhere inside the support",
        _nuts(log_of_a_negative),
        ValueError,
        ["log density is NaN", "inside the support", "['y']", "log or sqrt of a negative"],
    ),
    ("a NaN factor", _nuts(nan_factor), ValueError, ["log density is NaN", "['penalty']"]),
]


@pytest.mark.parametrize("what, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_model_gets_a_clear_error(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (what, str(info.value))


def test_control_flow_error_keeps_jaxs_as_its_cause():
    with pytest.raises(TypeError) as info:
        _nuts(if_on_a_latent)()
    assert "Tracer" in type(info.value.__cause__).__name__ or "Concretization" in str(
        type(info.value.__cause__)
    )


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_divergences_from_a_nan_inside_the_support_are_named():
    # log(mu) is NaN for mu < 0, half of the prior's mass: the chains start where it is
    # finite and diverge into the NaN region
    @pplx.model
    def log_mean(y):
        mu = pplx.sample("mu", dist.Normal(1.0, 1.0))
        pplx.sample("y", dist.Normal(jnp.log(mu), 1.0), obs=y)

    with pytest.warns(pplx.ConvergenceWarning, match="NaN at points inside the support") as rec:
        pplx.nuts(log_mean(Y), 0, num_warmup=200, num_samples=200, num_chains=4, progress_bar=False)
    nan_warnings = [w for w in rec if "NaN" in str(w.message)]
    assert "site(s) y" in str(nan_warnings[0].message)


def test_the_probe_finds_no_nan_in_a_valid_model():
    # the oracle for the probe's other side: a model finite everywhere has no NaN points
    @pplx.model
    def fine(y):
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)

    found, total = nan_sites_near(fine(Y), jnp.zeros((2, 1)), jax.random.key(0))
    assert found == {} and total == 64
    found, _ = nan_sites_near(pplx.model(log_of_a_negative)(Y), np.zeros((1, 1)), 0)
    assert found == {"y": 64}  # mu - 5 < 0 at every probe point: all NaN
