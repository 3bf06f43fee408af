"""A change point in yearly counts, with a discrete latent year, by compound steps.

Counts drop at an unknown year ``tau``. ``tau`` is categorical over the years, so
``pplx.compound.sample`` updates it by Gibbs (exact enumeration of its conditional) and
the two Poisson rates by NUTS, in one compiled program. With Gamma priors the rates
integrate out in closed form, so the exact posterior of ``tau`` is known: the sampled
frequencies are printed beside it.
"""

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln, logsumexp

import pplx
import pplx.distributions as dist
from pplx import compound

A, B = 2.0, 0.5  # Gamma(shape, rate) prior of both rates


@pplx.model
def change_point(y):
    n = y.shape[0]
    tau = pplx.sample("tau", dist.Categorical(probs=jnp.ones(n) / n))
    early = pplx.sample("early", dist.Gamma(A, B))
    late = pplx.sample("late", dist.Gamma(A, B))
    rate = jnp.where(jnp.arange(n) < tau, early, late)
    with pplx.plate("year", n):
        pplx.sample("y", dist.Poisson(rate), obs=y)


def exact_tau_posterior(y: np.ndarray) -> np.ndarray:
    """P(tau = k | y): each segment's Gamma-Poisson marginal likelihood, uniform prior."""

    def segment(counts):
        s, m = counts.sum(), counts.size
        return A * np.log(B) - gammaln(A) + gammaln(A + s) - (A + s) * np.log(B + m)

    logs = np.array([segment(y[:k]) + segment(y[k:]) for k in range(y.size)])
    return np.exp(logs - logsumexp(logs))


def main() -> None:
    rng = np.random.default_rng(3)
    y = np.concatenate([rng.poisson(4.0, 18), rng.poisson(1.2, 22)]).astype(np.float64)
    post = compound.sample(
        change_point(jnp.asarray(y)),
        jax.random.key(0),
        num_warmup=500,
        num_samples=1000,
        num_chains=4,
        return_inferencedata=False,
    )
    print("step methods:", post.attrs["step_methods"])
    tau = np.asarray(post.draws["tau"]).ravel()
    exact = exact_tau_posterior(y)
    print("\nyear   exact P(tau)   sampled   (simulated change at year 18)")
    for k in np.argsort(exact)[::-1][:5]:
        print(f"{k:4d}   {exact[k]:10.3f}   {np.mean(tau == k):7.3f}")
    early, late = np.asarray(post.draws["early"]), np.asarray(post.draws["late"])
    print(f"\nrates: early {early.mean():.2f} (simulated 4.0), late {late.mean():.2f} (1.2)")

    import arviz as az
    import matplotlib.pyplot as plt

    idata = post.to_arviz()
    az.plot_trace(idata, var_names=["early", "late"])
    plt.show()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
    ax1.bar(np.arange(y.size), y, color="grey")
    ax1.set(xlabel="year", ylabel="count", title="data")
    years = np.arange(y.size)
    ax2.bar(years - 0.2, exact, width=0.4, label="exact")
    ax2.bar(
        years + 0.2,
        np.bincount(tau, minlength=y.size) / tau.size,
        width=0.4,
        label="compound sampler",
    )
    ax2.set(xlabel="change year tau", ylabel="posterior probability", xlim=(10, 26))
    ax2.legend()
    plt.show()


if __name__ == "__main__":
    main()
