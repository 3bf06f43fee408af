"""Logistic regression on 5,000 rows with minibatch ADVI.

Each ADVI step sees a minibatch of 256 rows: the likelihood sits in a plate with
``subsample_size``, which draws the batch's indices from the step's key and scales the
batch's log-likelihood by N / B, so the ELBO and its gradient stay unbiased. The fitted
mean-field Gaussian is compared with the coefficients that simulated the data, and with
a NUTS run on all the data.
"""

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pplx.vi

import pplx
import pplx.distributions as dist

NUM_ROWS, NUM_FEATURES, BATCH = 5_000, 5, 256
TRUE_BETA = np.array([1.5, -2.0, 0.5, 0.0, 1.0])


@pplx.model
def logistic(X, y, batch=None):
    intercept = pplx.sample("intercept", dist.Normal(0.0, 2.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 2.0).expand((X.shape[1],)).to_event(1))
    with pplx.plate("obs", X.shape[0], subsample_size=batch) as idx:
        pplx.sample("y", dist.Bernoulli(logits=intercept + X[idx] @ beta), obs=y[idx])


def simulate(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(NUM_ROWS, NUM_FEATURES))
    logits = -0.5 + X @ TRUE_BETA
    y = (rng.uniform(size=NUM_ROWS) < 1.0 / (1.0 + np.exp(-logits))).astype(np.float64)
    return jnp.asarray(X), jnp.asarray(y)


def main() -> None:
    X, y = simulate()
    start = time.perf_counter()
    approx = pplx.vi.advi(
        logistic(X, y, batch=BATCH),
        jax.random.key(0),
        num_steps=2000,
        optimizer=optax.adam(1e-2),
        convergence=None,
    )
    jax.block_until_ready(approx.mean)
    advi_s = time.perf_counter() - start
    draws = approx.sample(jax.random.key(1), 2000)

    start = time.perf_counter()
    idata = pplx.nuts(
        logistic(X, y),
        jax.random.key(2),
        num_warmup=200,
        num_samples=200,
        num_chains=2,
        progress_bar=False,
    )
    nuts_s = time.perf_counter() - start
    nuts_beta = idata.posterior["beta"].values.reshape(-1, NUM_FEATURES)

    print(
        f"ADVI: 2000 steps of {BATCH} rows in {advi_s:.1f} s; NUTS on all "
        f"{NUM_ROWS} rows (2 x 200 draws) in {nuts_s:.1f} s\n"
    )
    print("coefficient   true    ADVI mean (sd)    NUTS mean (sd)")
    for j in range(NUM_FEATURES):
        a, n = draws["beta"][:, j], nuts_beta[:, j]
        print(
            f"beta[{j}]      {TRUE_BETA[j]:5.2f}   {float(a.mean()):6.3f} ({float(a.std()):.3f})"
            f"    {float(n.mean()):6.3f} ({float(n.std()):.3f})"
        )
    print(
        f"intercept     -0.50   {float(draws['intercept'].mean()):6.3f} "
        f"({float(draws['intercept'].std()):.3f})"
    )

    import arviz as az
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    elbo = np.asarray(approx.elbo_trace)
    ax.plot(elbo, lw=0.5)
    ax.set(xlabel="step", ylabel="ELBO (minibatch estimate)", ylim=(np.percentile(elbo, 5), None))
    ax.set_title("Minibatch ADVI: the ELBO per step")
    plt.show()
    advi_idata = approx.to_arviz(jax.random.key(3))
    az.plot_forest(
        [advi_idata, idata],
        model_names=["ADVI (minibatch)", "NUTS (all data)"],
        var_names=["intercept", "beta"],
        combined=True,
    )
    plt.show()


if __name__ == "__main__":
    main()
