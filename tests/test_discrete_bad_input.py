"""Bad input around discrete latents: what cannot be summed out is refused with an error
that names the site and what to do, from every entry that sums sites out, before any
sampler is compiled."""

import jax
import jax.numpy as jnp
import pytest

import pplx
import pplx.distributions as dist


@pytest.fixture(autouse=True)
def broadcasting():
    """Models written for broadcasting (an enumerated value gains dims on the left)."""
    with jax.numpy_rank_promotion("allow"):
        yield


RUN = dict(num_warmup=5, num_samples=5, num_chains=1, progress_bar=False)


@pplx.model
def with_count(y):
    n = pplx.sample("n", dist.Poisson(3.0))
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(n + mu, 1.0), obs=y)


@pplx.model
def two_large(y):
    a = pplx.sample("a", dist.DiscreteUniform(0, 199))
    b = pplx.sample("b", dist.DiscreteUniform(0, 99))
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(0.01 * a + 0.02 * b + mu, 1.0), obs=y)


@pplx.model
def one_huge(y):
    a = pplx.sample("a", dist.DiscreteUniform(0, 99_999))
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(1e-5 * a + mu, 1.0), obs=y)


ENTRIES = {
    # the joint support of dependent sites is known when the marginalised model first
    # runs (its inspection: free_vars), still before anything is compiled
    "marginalize": lambda m, sites: pplx.marginalize(m, sites).free_vars,
    "nuts": lambda m, sites: pplx.nuts(m, jax.random.key(0), marginalize=sites, **RUN),
    "sample": lambda m, sites: pplx.sample(m, jax.random.key(0), marginalize=sites, **RUN),
}
UNBOUNDED = r"site 'n' \(Poisson.*unboundedly many values.*pplx.compound"


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_an_unbounded_site_asked_by_name_is_refused(entry):
    with pytest.raises(ValueError, match=UNBOUNDED):
        ENTRIES[entry](with_count(jnp.array(1.0)), ["n"])


def test_auto_in_nuts_refuses_the_unbounded_site_pplx_sample_leaves_to_gibbs():
    with pytest.raises(ValueError, match=UNBOUNDED):
        ENTRIES["nuts"](with_count(jnp.array(1.0)), "auto")


@pytest.mark.parametrize("entry", ["marginalize", "sample"])
def test_a_too_large_joint_support_names_the_sites_and_sizes(entry):
    with pytest.raises(ValueError, match=r"\['a', 'b'\].*200 x 100 = 20000.*max_support"):
        ENTRIES[entry](two_large(jnp.array(1.0)), "auto")


@pytest.mark.parametrize("entry", ["marginalize", "nuts"])
def test_a_single_site_above_max_support_is_refused_when_planned(entry):
    with pytest.raises(ValueError, match=r"site 'a' takes 100000 values, above max_support"):
        ENTRIES[entry](one_huge(jnp.array(1.0)), ["a"])
    # below the limit the same site is summed out
    assert pplx.marginalize(one_huge(jnp.array(1.0)), ["a"], max_support=100_000).num_dims == 1
