"""A time series: an AR(2) process, fitted by NUTS and checked by posterior prediction.

Two hundred values of a simulated AR(2) series with a constant. ``dist.AR`` is the whole
series as one site (its event shape is the series' length); its coefficients and
innovation scale are sampled with NUTS. A posterior predictive check compares the
autocorrelations of replicated series with the data's.
"""

import jax
import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist

STEPS, TRUE = 198, {"c": 0.5, "rho1": 0.6, "rho2": -0.3, "sigma": 0.8}


@pplx.model
def ar2(y=None):
    c = pplx.sample("c", dist.Normal(0.0, 2.0))
    rho = pplx.sample("rho", dist.Normal(0.0, 0.5).expand((2,)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(1.0))
    coefs = jnp.concatenate([c[None], rho])
    pplx.sample(
        "y",
        dist.AR(coefs, sigma, constant=True, init_dist=dist.Normal(0.0, 3.0), steps=STEPS),
        obs=y,
    )


def simulate(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.zeros(STEPS + 2)
    for t in range(2, y.size):
        y[t] = (
            TRUE["c"]
            + TRUE["rho1"] * y[t - 1]
            + TRUE["rho2"] * y[t - 2]
            + TRUE["sigma"] * rng.normal()
        )
    return y


def autocorrelation(y: np.ndarray, lags: int = 8) -> np.ndarray:
    y = y - y.mean(-1, keepdims=True)
    var = (y * y).mean(-1)
    return np.stack(
        [(y[..., k:] * y[..., : y.shape[-1] - k]).mean(-1) / var for k in range(1, lags + 1)], -1
    )


def main() -> None:
    y = simulate()
    model = ar2(y=jnp.asarray(y))
    idata = pplx.nuts(
        model, jax.random.key(0), num_warmup=500, num_samples=500, num_chains=2, progress_bar=False
    )
    idata.extend(pplx.posterior_predictive(model, idata, jax.random.key(1)))

    import arviz as az
    import matplotlib.pyplot as plt

    print(az.summary(idata, var_names=["c", "rho", "sigma"]).to_string())
    print(f"\nsimulated with {TRUE}")
    reps = idata.posterior_predictive["y"].values.reshape(-1, y.size)
    acf_rep, acf_obs = autocorrelation(reps), autocorrelation(y)
    inside = np.mean(
        (np.percentile(acf_rep, 5, 0) <= acf_obs) & (acf_obs <= np.percentile(acf_rep, 95, 0))
    )
    print(f"data's autocorrelations inside the replicated 90% band at {inside:.0%} of lags 1-8")

    az.plot_trace(idata, var_names=["c", "rho", "sigma"])
    plt.show()
    az.plot_posterior(idata, var_names=["rho"], ref_val=[TRUE["rho1"], TRUE["rho2"]])
    plt.show()
    fig, ax = plt.subplots(figsize=(7, 3))
    lags = np.arange(1, 9)
    ax.fill_between(
        lags, *np.percentile(acf_rep, [5, 95], 0), alpha=0.3, label="replicated series, 90%"
    )
    ax.plot(lags, acf_obs, "ko-", label="data")
    ax.set(xlabel="lag", ylabel="autocorrelation", title="Posterior predictive check")
    ax.legend()
    plt.show()


if __name__ == "__main__":
    main()
