"""Discrete latents summed out of the log density (``pplx.marginalize``, ``pplx.markov``).

Oracles: closed-form marginal families (``NormalMixture``, ``GaussianHMM``) and brute-force
enumeration of every joint value of the discrete sites with the joint log density
(``pplx.model.discrete.joint_logdensity``), to 1e-10 in float64.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp

import pplx
import pplx.distributions as dist
from pplx import diagnostics
from pplx.model.discrete import discrete_layout, joint_logdensity

W = jnp.array([0.3, 0.7])
Y_MIX = jnp.array([0.5, -1.2, 2.0, 3.1, -0.4])


@pytest.fixture
def broadcasting():
    """Models written for broadcasting (an enumerated value gains dims on the left)."""
    with jax.numpy_rank_promotion("allow"):
        yield


@pplx.model
def mixture(y):
    mu = pplx.sample("mu", dist.Normal(jnp.array([-1.0, 1.0]), 2.0).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(1.0))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Categorical(probs=W))
        pplx.sample("y", dist.Normal(mu[z], sigma), obs=y)


@pplx.model
def mixture_ref(y):
    mu = pplx.sample("mu", dist.Normal(jnp.array([-1.0, 1.0]), 2.0).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.NormalMixture(W, mu, sigma), obs=y)


def brute_force(model, z):
    """log sum over every joint value of the discrete sites of the joint density."""
    layout = discrete_layout(model)
    ranges = [range(lo, lo + n) for n, lo in zip(layout.num_values, layout.lower, strict=True)]
    ints = jnp.array(list(itertools.product(*ranges)))
    terms = jax.jit(jax.vmap(lambda i: joint_logdensity(model, z, i, layout=layout)))(ints)
    return logsumexp(terms)


def density_and_grad(model):
    return jax.jit(jax.value_and_grad(lambda z: model.logdensity(z)))


def points(d, n=3):
    return [jax.random.normal(jax.random.key(i), (d,)) for i in range(n)]


def test_mixture_equals_normal_mixture():
    m, ref = pplx.marginalize(mixture(Y_MIX), ["z"]), mixture_ref(Y_MIX)
    assert [s.name for s in m.free_vars] == ["mu", "sigma"] and m.num_dims == 3
    f, g = density_and_grad(m), density_and_grad(ref)
    for z in points(3):
        (a, da), (b, db) = f(z), g(z)
        assert abs(float(a - b)) < 1e-10
        np.testing.assert_allclose(da, db, atol=1e-10)


@pytest.mark.slow
def test_mixture_posterior_moments_match_normal_mixture():
    kw = dict(num_warmup=400, num_samples=800, num_chains=2, progress_bar=False)
    a = pplx.nuts(mixture(Y_MIX), jax.random.key(0), marginalize="auto", **kw)
    b = pplx.nuts(mixture_ref(Y_MIX), jax.random.key(1), **kw)
    assert a.posterior.attrs["marginalized"] == "z"
    for name in ("mu", "sigma"):
        xa, xb = np.asarray(a.posterior[name]), np.asarray(b.posterior[name])
        xa, xb = xa.reshape(xa.shape[:2] + (-1,)), xb.reshape(xb.shape[:2] + (-1,))
        for j in range(xa.shape[-1]):
            se = np.hypot(diagnostics.mcse_mean(xa[..., j]), diagnostics.mcse_mean(xb[..., j]))
            assert abs(xa[..., j].mean() - xb[..., j].mean()) < 4 * se, (name, j)


COUNTS = jnp.array([4.0, 5, 3, 6, 4, 5, 1, 0, 2, 1, 1, 0])


@pplx.model
def change_point(y):
    n = y.shape[0]
    tau = pplx.sample("tau", dist.DiscreteUniform(0, n - 1))
    early = pplx.sample("early", dist.Gamma(2.0, 0.5))
    late = pplx.sample("late", dist.Gamma(2.0, 0.5))
    rate = pplx.deterministic("rate", jnp.where(jnp.arange(n) < tau, early, late))
    with pplx.plate("year", n):
        pplx.sample("y", dist.Poisson(rate), obs=y)


def test_change_point_equals_enumeration(broadcasting):
    m0 = change_point(COUNTS)
    m = pplx.marginalize(m0)
    assert "rate" not in m.named_vars  # depends on tau: recomputed by infer_discrete
    f = density_and_grad(m)
    for z in points(2):
        assert abs(float(f(z)[0] - brute_force(m0, z))) < 1e-10


@pplx.model
def two_switches(y):
    a = pplx.sample("a", dist.Bernoulli(probs=0.3))
    b = pplx.sample("b", dist.Categorical(probs=jnp.array([0.2, 0.5, 0.3])))
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu + a * b, 1.0), obs=y)


@pplx.model
def nested(y):
    c = pplx.sample("c", dist.Bernoulli(probs=0.4))
    scale = pplx.sample("scale", dist.HalfNormal(2.0))
    table = jnp.array([[0.8, 0.2], [0.3, 0.7]])
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Categorical(probs=table[c]))
        pplx.sample("y", dist.Normal(scale * (z - 0.5) + c, 1.0), obs=y)


@pytest.mark.parametrize("model_fn,dims", [(two_switches, 1), (nested, 1)])
def test_dependent_sites_equal_enumeration(model_fn, dims, broadcasting):
    m0 = model_fn(jnp.array([0.3, 1.9, 1.1]))
    m = pplx.marginalize(m0)
    assert m.num_dims == dims
    f = density_and_grad(m)
    for z in points(dims):
        assert abs(float(f(z)[0] - brute_force(m0, z))) < 1e-10


def test_too_large_joint_support_names_the_sites(broadcasting):
    with pytest.raises(ValueError, match=r"\['a', 'b'\].*2 x 3 = 6 values.*max_support=5"):
        pplx.marginalize(two_switches(jnp.ones(2)), max_support=5)


@pplx.model
def with_count(y):
    n = pplx.sample("n", dist.Poisson(3.0))
    k = pplx.sample("k", dist.Bernoulli(probs=0.5))
    pplx.sample("y", dist.Normal(n + k, 1.0), obs=y)


def test_unbounded_site_is_refused():
    with pytest.raises(ValueError, match="site 'n' \\(Poisson.*unboundedly many values"):
        pplx.marginalize(with_count(jnp.array(1.0)), ["n"])
    with pytest.raises(ValueError, match="'m' is not a discrete latent site.*\\['n', 'k'\\]"):
        pplx.marginalize(with_count(jnp.array(1.0)), ["m"])
    # the bounded one alone is fine; the count stays a (discrete) latent
    m = pplx.marginalize(with_count(jnp.array(1.0)), ["k"])
    assert [s.name for s in m.discrete_vars] == ["n"]


def test_marginalized_models_compare_equal():
    a, b = pplx.marginalize(mixture(Y_MIX)), pplx.marginalize(mixture(Y_MIX + 1.0))
    assert a.fn == b.fn and hash(a.fn) == hash(b.fn)
    assert pplx.marginalize(mixture_ref(Y_MIX)).fn is mixture_ref.model_fn  # nothing to sum


# ----- Markov chains: the forward algorithm ---------------------------------------------
PI = jnp.array([0.5, 0.3, 0.2])
A = jnp.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]])
Y_HMM = jnp.array([0.1, 1.2, 2.3, 2.1, -0.4, 0.3, 1.1])


@pplx.model
def hmm(y):
    locs = pplx.sample("locs", dist.Normal(jnp.array([0.0, 1.0, 2.0]), 1.0).to_event(1))
    s = pplx.sample("s", dist.HalfNormal(1.0))
    x = pplx.markov("x", PI, A, num_steps=y.shape[0])
    with pplx.plate("t", y.shape[0]):
        pplx.sample("y", dist.Normal(locs[x], s), obs=y)


@pplx.model
def hmm_ref(y):
    locs = pplx.sample("locs", dist.Normal(jnp.array([0.0, 1.0, 2.0]), 1.0).to_event(1))
    s = pplx.sample("s", dist.HalfNormal(1.0))
    hmm = dist.GaussianHMM(PI, A, locs, s * jnp.ones(3), num_steps=y.shape[0])
    pplx.sample("y", hmm, obs=y)


def test_hmm_equals_gaussian_hmm():
    m, ref = pplx.marginalize(hmm(Y_HMM)), hmm_ref(Y_HMM)
    f, g = density_and_grad(m), density_and_grad(ref)
    for z in points(4):
        (a, da), (b, db) = f(z), g(z)
        assert abs(float(a - b)) < 1e-10
        np.testing.assert_allclose(da, db, atol=1e-10)


TRANS = jnp.array([[[0.9, 0.1], [0.4, 0.6]], [[0.5, 0.5], [0.1, 0.9]], [[0.7, 0.3], [0.2, 0.8]]])


@pplx.model
def switching(y):
    c = pplx.sample("c", dist.Bernoulli(probs=0.35))  # a global switch seen by every step
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    x = pplx.markov("x", jnp.array([0.6, 0.4]), TRANS, num_steps=y.shape[0])
    with pplx.plate("t", y.shape[0]):
        pplx.sample("y", dist.Normal(mu + x * (1.0 + c), 1.0), obs=y)


def test_time_varying_chain_with_a_global_site_equals_enumeration(broadcasting):
    y = jnp.array([0.2, 1.4, 2.2, 0.9])
    m = pplx.marginalize(switching(y))
    z = jnp.array([0.4])

    def joint(c, path):
        point = {"c": c, "mu": z[0], "x": path}
        tr = pplx.handlers.trace(pplx.handlers.substitute(switching.model_fn, point))
        sites = tr.get_trace(y).values()
        return sum(jnp.sum(s.fn.log_prob(s.value)) for s in sites if s.type == "sample")

    cs, paths = zip(*itertools.product((0, 1), itertools.product((0, 1), repeat=4)), strict=True)
    terms = jax.jit(jax.vmap(joint))(jnp.array(cs), jnp.array(paths))
    assert abs(float(density_and_grad(m)(z)[0] - logsumexp(terms))) < 1e-10


@pplx.model
def hmm_summed_emission(y):
    x = pplx.markov("x", PI, A, num_steps=y.shape[0])
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(mu + x, 1.0).to_event(1), obs=y)


def test_chain_emissions_must_be_elementwise():
    with pytest.raises(ValueError, match="sums over its time steps.*plate of size 7"):
        pplx.marginalize(hmm_summed_emission(Y_HMM))


@pplx.model
def chain_in_plate():
    with pplx.plate("seq", 2):
        pplx.markov("x", PI, A, num_steps=3)


def test_chain_inside_a_plate_is_refused():
    with pytest.raises(TypeError, match="site 'x'.*markov chain inside a plate"):
        pplx.marginalize(chain_in_plate())


def test_markov_chain_log_prob_sums_to_one():
    from pplx.model.markov import MarkovChain

    d = MarkovChain(PI, A, 4)
    total = sum(
        float(jnp.exp(d.log_prob(jnp.array(p)))) for p in itertools.product(range(3), repeat=4)
    )
    assert abs(total - 1.0) < 1e-12
    draws = d.sample(jax.random.key(0), (4000,))
    assert draws.shape == (4000, 4)
    # the first state's frequencies against PI (4-sigma binomial bands)
    freq = np.bincount(np.asarray(draws[:, 0]), minlength=3) / 4000
    assert np.all(np.abs(freq - np.asarray(PI)) < 4 * np.sqrt(PI * (1 - PI) / 4000))
