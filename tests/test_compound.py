"""Compound (Metropolis-within-Gibbs) sampling of models with discrete latents.

Oracles: exact posteriors of the discrete variables, found by enumerating them with the
continuous parameters integrated out in closed form (conjugate Normal means; conjugate
Gamma rates), compared with the sampled frequencies within z * MCSE.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import pplx
import pplx.distributions as dist
from pplx import compound, diagnostics

Z = 4.0  # several marginals compared per test


def posterior_run(*args, **kwargs):
    """The compound driver's Posterior (its documented ``return_inferencedata=False``)."""
    return compound.sample(*args, return_inferencedata=False, **kwargs)


# ----- two-component mixture with explicit assignments --------------------------------
Y_MIX = np.array([-2.1, -1.4, 0.3, 1.9, 2.6])
PRIOR_MEANS, PRIOR_SD, P1 = np.array([-2.0, 2.0]), 1.5, 0.4


@pplx.model
def mixture(y):
    mu = pplx.sample("mu", dist.Normal(jnp.asarray(PRIOR_MEANS), PRIOR_SD))
    with pplx.plate("obs", y.shape[0]):
        k = pplx.sample("k", dist.Bernoulli(probs=P1))
        pplx.sample("y", dist.Normal(mu[k], 1.0), obs=y)


def exact_mixture_marginals():
    """P(k_i = 1 | y) by enumerating the 2^n assignments; each component's mean
    integrated out: y_group ~ MVN(m 1, I + s^2 11^T)."""
    n = len(Y_MIX)
    logw, ks = [], []
    for k in itertools.product((0, 1), repeat=n):
        k = np.array(k)
        lw = np.sum(np.where(k == 1, np.log(P1), np.log(1 - P1)))
        for c in (0, 1):
            yc = Y_MIX[k == c]
            if yc.size:
                cov = np.eye(yc.size) + PRIOR_SD**2 * np.ones((yc.size, yc.size))
                lw += stats.multivariate_normal.logpdf(yc, PRIOR_MEANS[c] * np.ones(yc.size), cov)
        logw.append(lw)
        ks.append(k)
    w = np.exp(np.array(logw) - special.logsumexp(logw))
    return w @ np.array(ks)


def assert_within_mcse(indicators, exact, what, ess=None):
    """indicators: (chain, draw, m) 0/1 draws; exact: (m,) probabilities.

    With ``ess`` given (the effective sample size of the variable the indicators are
    events of), each tolerance is the binomial standard error at the exact probability,
    ``sqrt(p (1 - p) / ess)``: an MCSE estimated from the indicator draws themselves is
    meaningless for a rare value visited a handful of times."""
    for j, p in enumerate(exact):
        x = indicators[..., j].astype(float)
        if ess is None:
            mcse = max(diagnostics.mcse_mean(x), 1e-3)
        else:
            mcse = max(np.sqrt(p * (1 - p) / ess), 1e-3)
        assert abs(x.mean() - p) < Z * mcse, (what, j, x.mean(), p, mcse)


def test_mixture_assignments_match_enumeration():
    post = posterior_run(
        mixture(jnp.asarray(Y_MIX)), jax.random.key(1), num_warmup=300, num_samples=1000
    )
    assert post.draws["k"].shape == (4, 1000, len(Y_MIX))
    assert post.draws["mu"].shape == (4, 1000, 2)
    assert "nuts_diverging" in post.stats and "gibbs_acceptance_rate" in post.stats
    assert post.stats["nuts_diverging"].sum() == 0
    assert_within_mcse(post.draws["k"], exact_mixture_marginals(), "k")


# ----- change point with a discrete switch ---------------------------------------------
COUNTS = np.array([4, 5, 3, 6, 4, 5, 1, 0, 2, 1, 1, 0])
A, B = 2.0, 0.5  # Gamma(shape, rate) prior of both rates


@pplx.model
def change_point(y):
    n = y.shape[0]
    tau = pplx.sample("tau", dist.Categorical(probs=jnp.ones(n) / n))
    early = pplx.sample("early", dist.Gamma(A, B))
    late = pplx.sample("late", dist.Gamma(A, B))
    rate = jnp.where(jnp.arange(n) < tau, early, late)
    with pplx.plate("t", n):
        pplx.sample("y", dist.Poisson(rate), obs=y)


def exact_switch_posterior():
    """p(tau | y) with both rates integrated out (Gamma-Poisson, closed form)."""

    def log_marginal(seg):
        s, m = seg.sum(), seg.size
        return (
            A * np.log(B)
            - special.gammaln(A)
            + special.gammaln(A + s)
            - (A + s) * np.log(B + m)
            - special.gammaln(seg + 1).sum()
        )

    logp = np.array(
        [log_marginal(COUNTS[:t]) + log_marginal(COUNTS[t:]) for t in range(len(COUNTS))]
    )
    return np.exp(logp - special.logsumexp(logp))


@pytest.mark.parametrize("method", ["gibbs", "metropolis"])
def test_change_point_switch_matches_closed_form(method):
    post = posterior_run(
        change_point(jnp.asarray(COUNTS, float)),
        jax.random.key(2),
        num_warmup=300,
        num_samples=1000,
        step={"tau": method},
    )
    tau = post.draws["tau"]
    indicators = (tau[..., None] == np.arange(len(COUNTS))).astype(float)
    ess = float(diagnostics.ess_bulk(tau.astype(float)))
    assert ess > 100, f"tau mixes poorly with {method}: bulk ESS {ess:.0f}"
    assert_within_mcse(indicators, exact_switch_posterior(), f"tau ({method})", ess=ess)
    prefix = "gibbs" if method == "gibbs" else "discrete_metropolis"
    assert f"{prefix}_acceptance_rate" in post.stats


# ----- small runs: determinism, overrides, errors, ArviZ -------------------------------
@pplx.model
def small(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 2.0))
    n = pplx.sample("n", dist.Poisson(2.0))
    k = pplx.sample("k", dist.Bernoulli(probs=0.5))
    pplx.sample("y", dist.Normal(mu + k + 0.1 * n, 1.0), obs=y)


def test_same_key_same_draws_and_defaults():
    m = small(jnp.array(0.7))
    run = lambda key: posterior_run(
        m, key, num_warmup=30, num_samples=20, num_chains=2, step={"mu": "slice"}
    )
    a, b = run(jax.random.key(3)), run(jax.random.key(3))
    for name in ("mu", "n", "k"):
        np.testing.assert_array_equal(a.draws[name], b.draws[name])
    assert np.unique(a.draws["mu"]).size > 10  # the chains move
    assert a.attrs["step_methods"] == str({"k": "gibbs", "mu": "slice", "n": "metropolis"})
    assert {"slice_n_steps", "gibbs_n_changed", "discrete_metropolis_acceptance_rate"} <= set(
        a.stats
    )


def test_continuous_metropolis_and_to_arviz():
    post = posterior_run(
        small(jnp.array(0.7)), jax.random.key(0), 30, 10, 2, step={"mu": "metropolis"}
    )
    idata = post.to_arviz()
    assert set(idata.posterior.data_vars) >= {"mu", "n", "k"}
    assert "metropolis_acceptance_rate" in idata.sample_stats


@pytest.mark.parametrize(
    "step, error, match",
    [
        ({"nope": "gibbs"}, ValueError, "not a latent site"),
        ({"y": "gibbs"}, ValueError, "not a latent site"),
        ({"mu": "hmc"}, ValueError, "choose one of"),
        ({"mu": "gibbs"}, TypeError, "continuous"),
        ({"k": "nuts"}, TypeError, "integer-valued"),
        ({"n": "gibbs"}, TypeError, "unboundedly many"),
    ],
)
def test_clear_errors(step, error, match):
    with pytest.raises(error, match=match):
        posterior_run(small(jnp.array(0.7)), jax.random.key(0), 10, 10, 1, step=step)


def test_unbound_model_is_rejected():
    with pytest.raises(TypeError, match="bound pplx model"):
        posterior_run(small, jax.random.key(0))


# ----- InferenceData by default, and pplx.sample's step assignment ----------------------
def test_default_result_is_inferencedata():
    idata = compound.sample(small(jnp.array(0.7)), jax.random.key(0), 30, 10, 2)
    assert idata.posterior["k"].shape == idata.posterior["n"].shape == (2, 10)
    assert "gibbs_acceptance_rate" in idata.sample_stats
    assert idata.posterior.attrs["step_methods"] == str(
        {"k": "gibbs", "mu": "nuts", "n": "metropolis"}
    )


RUN = dict(num_warmup=40, num_samples=20, num_chains=2)


@pplx.model
def continuous(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 2.0))
    pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_sample_picks_nuts_for_continuous_models(capsys):
    idata = pplx.sample(continuous(jnp.array(0.3)), jax.random.key(0), **RUN)
    assert idata.posterior.attrs["step_methods"] == str({"mu": "nuts"})
    assert idata.posterior.attrs["sampler"] == "nuts"
    assert capsys.readouterr().err.count("pplx.sample: steps {mu: nuts}") == 1


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_sample_picks_compound_unless_allowed_to_marginalise(capsys):
    m = small(jnp.array(0.7))
    idata = pplx.sample(m, jax.random.key(0), progress_bar=False, **RUN)
    assert idata.posterior.attrs["step_methods"] == str(
        {"mu": "nuts", "n": "metropolis", "k": "gibbs"}
    )
    assert {"mu", "n", "k"} <= set(idata.posterior.data_vars)
    assert capsys.readouterr().err == ""  # progress_bar=False: quiet
    # allowed: k is summed out, the unbounded n keeps its Metropolis step
    idata = pplx.sample(m, jax.random.key(0), marginalize="auto", progress_bar=False, **RUN)
    assert idata.posterior.attrs["step_methods"] == str(
        {"mu": "nuts", "n": "metropolis", "k": "marginalized"}
    )
    assert idata.posterior.attrs["marginalized"] == "k"
    assert "k" not in idata.posterior and "n" in idata.posterior


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_sample_marginalises_then_runs_nuts():
    idata = pplx.sample(
        mixture(jnp.asarray(Y_MIX)), jax.random.key(0), marginalize="auto",
        progress_bar=False, **RUN,
    )  # fmt: skip
    assert idata.posterior.attrs["step_methods"] == str({"mu": "nuts", "k": "marginalized"})
    assert idata.posterior.attrs["sampler"] == "nuts" and "k" not in idata.posterior
    with pytest.raises(ValueError, match="compound step.*does not take \\['thinning'\\]"):
        pplx.sample(small(jnp.array(0.7)), jax.random.key(0), thinning=2, **RUN)
