"""The models of ``bench.discrete`` written for NumPyro and PyMC, and how each peer
samples them: NumPyro's ``DiscreteHMCGibbs`` (NUTS + Gibbs), ``MixedHMC`` (HMC with
discrete moves inside the trajectory) and enumeration (funsor, NUTS on the rest), PyMC's
``pm.sample`` (NUTS + its own Gibbs/Metropolis steps). Same priors, same data, float64.

Each ``run_*`` returns ``(continuous draws, discrete draws)``: dicts of arrays shaped
``(chain, draw, ...)``. Imports are inside the functions: a run imports only its peer.
"""

from __future__ import annotations

import numpy as np

TRANS = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])


def numpyro_model(label: str, enumerate_discrete: bool = False):
    """The NumPyro version of the model ``label`` (a ``bench.discrete`` key)."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as nd

    def enum() -> dict:  # a fresh dict per site: NumPyro writes into a site's infer dict
        return {"enumerate": "parallel"} if enumerate_discrete else {}

    def change_point(y):
        n = y.shape[0]
        tau = numpyro.sample("tau", nd.DiscreteUniform(0, n - 1), infer=enum())
        early = numpyro.sample("early", nd.Gamma(2.0, 0.5))
        late = numpyro.sample("late", nd.Gamma(2.0, 0.5))
        rate = jnp.where(jnp.arange(n) < tau, early, late)
        with numpyro.plate("year", n):
            numpyro.sample("y", nd.Poisson(rate), obs=y)

    def mixture(y):
        mu = numpyro.sample("mu", nd.Normal(jnp.array([-2.0, 2.0]), 2.0).to_event(1))
        sigma = numpyro.sample("sigma", nd.HalfNormal(2.0))
        with numpyro.plate("obs", y.shape[0]):
            z = numpyro.sample("z", nd.Categorical(probs=jnp.array([0.4, 0.6])), infer=enum())
            numpyro.sample("y", nd.Normal(mu[z], sigma), obs=y)

    def spikes(y):
        p = numpyro.sample("p", nd.Beta(1.0, 1.0))
        mu = numpyro.sample("mu", nd.Normal(0.0, 3.0))
        with numpyro.plate("obs", y.shape[0]):
            z = numpyro.sample("z", nd.Bernoulli(probs=p), infer=enum())
            numpyro.sample("y", nd.Normal(mu * z, 1.0), obs=y)

    def hmm(y):
        from numpyro.contrib.control_flow import scan

        locs = numpyro.sample("locs", nd.Normal(jnp.array([-2.0, 0.0, 2.0]), 0.3).to_event(1))
        s = numpyro.sample("s", nd.HalfNormal(1.0))
        trans = jnp.asarray(TRANS)
        x0 = numpyro.sample("x0", nd.Categorical(probs=jnp.ones(3) / 3), infer=enum())
        numpyro.sample("y0", nd.Normal(locs[x0], s), obs=y[0])

        def step(x_prev, y_t):
            x = numpyro.sample("x", nd.Categorical(probs=trans[x_prev]), infer=enum())
            numpyro.sample("y", nd.Normal(locs[x], s), obs=y_t)
            return x, None

        scan(step, x0, y[1:])

    return {"change": change_point, "mixture": mixture, "binary": spikes, "HMM": hmm}[_key(label)]


def _key(label: str) -> str:
    return next(k for k in ("change", "mixture", "binary", "HMM") if k in label)


def run_numpyro(label: str, y, method: str, settings: dict, seed: int = 0):
    """NumPyro's ``DiscreteHMCGibbs(NUTS)``, ``MixedHMC(HMC)`` or enumeration + NUTS."""
    import jax
    from numpyro.infer import HMC, MCMC, NUTS, DiscreteHMCGibbs, MixedHMC

    model = numpyro_model(label, enumerate_discrete=method == "enumeration")
    if method == "DiscreteHMCGibbs":
        kernel = DiscreteHMCGibbs(NUTS(model))
    elif method == "MixedHMC":
        kernel = MixedHMC(HMC(model, trajectory_length=1.2))
    else:
        kernel = NUTS(model)
    mcmc = MCMC(
        kernel,
        num_warmup=settings["num_warmup"],
        num_samples=settings["num_samples"],
        num_chains=settings["num_chains"],
        chain_method="sequential",
        progress_bar=False,
    )
    mcmc.run(jax.random.key(seed), np.asarray(y))
    draws = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    return draws


def pymc_model(label: str, y):
    """The PyMC version of the model ``label``."""
    import pymc as pm

    y = np.asarray(y)
    n = y.shape[0]
    with pm.Model() as model:
        if _key(label) == "change":
            tau = pm.DiscreteUniform("tau", 0, n - 1)
            early = pm.Gamma("early", alpha=2.0, beta=0.5)
            late = pm.Gamma("late", alpha=2.0, beta=0.5)
            pm.Poisson("y", pm.math.switch(np.arange(n) < tau, early, late), observed=y)
        elif _key(label) == "mixture":
            mu = pm.Normal("mu", np.array([-2.0, 2.0]), 2.0, shape=2)
            sigma = pm.HalfNormal("sigma", 2.0)
            z = pm.Categorical("z", p=np.array([0.4, 0.6]), shape=n)
            pm.Normal("y", mu[z], sigma, observed=y)
        else:
            p = pm.Beta("p", 1.0, 1.0)
            mu = pm.Normal("mu", 0.0, 3.0)
            z = pm.Bernoulli("z", p=p, shape=n)
            pm.Normal("y", mu * z, 1.0, observed=y)
    return model


def run_pymc(label: str, y, settings: dict, seed: int = 0):
    """``pm.sample`` with its automatic step assignment, chains one after another."""
    import pymc as pm

    with pymc_model(label, y):
        idata = pm.sample(
            draws=settings["num_samples"],
            tune=settings["num_warmup"],
            chains=settings["num_chains"],
            cores=1,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    return {k: np.asarray(v) for k, v in idata.posterior.data_vars.items()}
