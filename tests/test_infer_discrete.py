"""Summed-out sites drawn back from their conditional posterior (``pplx.infer_discrete``).

Oracles: at fixed continuous values, the exact conditional probabilities of the discrete
sites (enumerated with the joint log density, or ``GaussianHMM.posterior_marginals`` for
a chain), against the frequencies of many draws by a chi-square test; end to end, the
closed-form posterior of a change point (both rates integrated out, Gamma-Poisson).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import pplx
import pplx.distributions as dist
from pplx import diagnostics
from pplx.model.discrete import joint_logdensity
from pplx.model.enumerate import sample_marginalized

NUM = 4000
COUNTS = np.array([4.0, 5, 3, 6, 4, 5, 1, 0, 2, 1, 1, 0])
A, B = 2.0, 0.5


@pytest.fixture
def broadcasting():
    with jax.numpy_rank_promotion("allow"):
        yield


@pplx.model
def change_point(y):
    n = y.shape[0]
    tau = pplx.sample("tau", dist.DiscreteUniform(0, n - 1))
    early = pplx.sample("early", dist.Gamma(A, B))
    late = pplx.sample("late", dist.Gamma(A, B))
    rate = pplx.deterministic("rate", jnp.where(jnp.arange(n) < tau, early, late))
    with pplx.plate("year", n):
        pplx.sample("y", dist.Poisson(rate), obs=y)


def chi_square_p(counts, probs):
    """p-value of observed counts against probabilities (bins with expectation < 5 merged)."""
    expected = probs * counts.sum()
    keep = expected >= 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


def draws_at(model, values, num=NUM):
    keys = jax.random.split(jax.random.key(0), num)
    return jax.jit(jax.vmap(lambda k: sample_marginalized(model, k, values)))(keys)


def test_change_point_conditional_frequencies(broadcasting):
    m0 = change_point(jnp.asarray(COUNTS))
    m = pplx.marginalize(m0)
    z = jnp.log(jnp.array([4.5, 1.0]))  # early, late on the log scale
    lp = np.array([float(joint_logdensity(m0, z, jnp.array([t]))) for t in range(12)])
    exact = np.exp(lp - special.logsumexp(lp))
    tau = np.asarray(draws_at(m, m.constrain(z))["tau"])
    assert tau.shape == (NUM,)
    assert chi_square_p(np.bincount(tau, minlength=12), exact) > 1e-3


@pplx.model
def mixture(y):
    mu = pplx.sample("mu", dist.Normal(jnp.array([-1.0, 1.5]), 2.0).to_event(1))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Categorical(probs=jnp.array([0.4, 0.6])))
        pplx.sample("y", dist.Normal(mu[z], 1.0), obs=y)


def test_mixture_assignments_conditional_frequencies():
    y = jnp.array([-1.0, 0.2, 0.4, 2.5])
    m = pplx.marginalize(mixture(y))
    mu = jnp.array([-1.0, 1.5])
    z = np.asarray(draws_at(m, {"mu": mu})["z"])
    assert z.shape == (NUM, 4)
    lik = stats.norm.logpdf(np.asarray(y)[:, None], np.asarray(mu)[None], 1.0) + np.log([0.4, 0.6])
    exact = np.exp(lik - special.logsumexp(lik, axis=1, keepdims=True))
    for i in range(4):  # elements are independent given mu: one test each
        assert chi_square_p(np.bincount(z[:, i], minlength=2), exact[i]) > 1e-3 / 4


PI = jnp.array([0.5, 0.3, 0.2])
TRANS = jnp.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6]])
LOCS = jnp.array([0.0, 1.0, 2.0])


@pplx.model
def hmm(y):
    s = pplx.sample("s", dist.HalfNormal(1.0))
    x = pplx.markov("x", PI, TRANS, num_steps=y.shape[0])
    with pplx.plate("t", y.shape[0]):
        pplx.sample("y", dist.Normal(LOCS[x], s), obs=y)


def test_hmm_paths_match_posterior_marginals():
    y = jnp.array([0.1, 1.2, 2.3, 2.1, -0.4, 0.3, 1.1])
    m = pplx.marginalize(hmm(y))
    s = 0.8
    paths = np.asarray(draws_at(m, {"s": jnp.array(s)})["x"])
    assert paths.shape == (NUM, 7)
    exact = np.exp(  # posterior_marginals gives log probabilities
        dist.GaussianHMM(PI, TRANS, LOCS, s * jnp.ones(3), num_steps=7).posterior_marginals(y)
    )
    for t in range(7):
        assert chi_square_p(np.bincount(paths[:, t], minlength=3), exact[t]) > 1e-3 / 7
    # consecutive pairs (x_2, x_3): the joint, not only the marginals, against brute force
    dens = np.zeros((3,) * 7)
    for path in np.ndindex(*dens.shape):
        p = np.asarray(path)
        dens[path] = (
            np.log(PI[p[0]]) + np.log(np.asarray(TRANS)[p[:-1], p[1:]]).sum()
            + stats.norm.logpdf(np.asarray(y), np.asarray(LOCS)[p], s).sum()
        )  # fmt: skip
    joint = np.exp(dens - special.logsumexp(dens)).sum(axis=(0, 1, 4, 5, 6)).ravel()
    pair = np.bincount(paths[:, 2] * 3 + paths[:, 3], minlength=9)
    assert chi_square_p(pair, joint) > 1e-3


def exact_switch_posterior():
    def log_marginal(seg):
        s, n = seg.sum(), seg.size
        return (
            A * np.log(B)
            - special.gammaln(A)
            + special.gammaln(A + s)
            - (A + s) * np.log(B + n)
            - special.gammaln(seg + 1).sum()
        )

    logp = np.array([log_marginal(COUNTS[:t]) + log_marginal(COUNTS[t:]) for t in range(12)])
    return np.exp(logp - special.logsumexp(logp))


@pytest.mark.slow
def test_infer_discrete_end_to_end(broadcasting):
    m = change_point(jnp.asarray(COUNTS))
    idata = pplx.nuts(
        m, jax.random.key(1), marginalize="auto", num_warmup=300, num_samples=1000,
        num_chains=2, progress_bar=False,
    )  # fmt: skip
    assert "tau" not in idata.posterior and idata.posterior.attrs["marginalized"] == "tau"
    out = pplx.infer_discrete(m, idata, jax.random.key(2))
    assert "tau" not in idata.posterior  # a new object
    tau, rate = np.asarray(out.posterior["tau"]), np.asarray(out.posterior["rate"])
    assert tau.shape == (2, 1000) and rate.shape == (2, 1000, 12)
    assert out.posterior["rate"].dims == ("chain", "draw", "rate_dim_0")
    early = np.asarray(out.posterior["early"])[..., None]
    late = np.asarray(out.posterior["late"])[..., None]
    np.testing.assert_allclose(rate, np.where(np.arange(12) < tau[..., None], early, late))
    # frequencies against the closed form; the draws' error is at most that of
    # independent draws from the posterior given NUTS's ESS of the rates
    ess = min(float(diagnostics.ess_bulk(out.posterior[v].values)) for v in ("early", "late"))
    exact = exact_switch_posterior()
    for t in range(12):
        freq = (tau == t).mean()
        se = max(np.sqrt(exact[t] * (1 - exact[t]) / ess), 2e-3)
        assert abs(freq - exact[t]) < 4 * se, (t, freq, exact[t])
