"""A Gaussian process: regression with a squared-exponential kernel, fitted by NUTS.

Thirty noisy observations of a smooth function. The GP's amplitude, length scale and
noise level get priors; the latent function is integrated out, so the likelihood is one
multivariate normal with covariance ``K + noise^2 I``. Predictions on a grid use the
Gaussian conditional at each posterior draw.
"""

import jax
import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist


def kernel(xa, xb, amplitude, length):
    sq = (xa[:, None] - xb[None, :]) ** 2
    return amplitude**2 * jnp.exp(-0.5 * sq / length**2)


@pplx.model
def gp(x, y=None):
    amplitude = pplx.sample("amplitude", dist.HalfNormal(2.0))
    length = pplx.sample("length", dist.InverseGamma(5.0, 5.0))
    noise = pplx.sample("noise", dist.HalfNormal(1.0))
    cov = kernel(x, x, amplitude, length) + (noise**2 + 1e-6) * jnp.eye(x.shape[0])
    pplx.sample("y", dist.MultivariateNormal(jnp.zeros(x.shape[0]), cov), obs=y)


def predict(x, y, grid, amplitude, length, noise):
    """Mean and sd of the latent function on ``grid`` given one draw of the settings."""
    k_xx = kernel(x, x, amplitude, length) + (noise**2 + 1e-6) * jnp.eye(x.shape[0])
    k_gx = kernel(grid, x, amplitude, length)
    chol = jnp.linalg.cholesky(k_xx)
    alpha = jax.scipy.linalg.cho_solve((chol, True), y)
    v = jax.scipy.linalg.solve_triangular(chol, k_gx.T, lower=True)
    var = amplitude**2 - jnp.sum(v**2, axis=0)
    return k_gx @ alpha, jnp.sqrt(jnp.maximum(var, 0.0))


def main() -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0.0, 10.0, 30))
    y = np.sin(x) + 0.3 * np.cos(2.5 * x) + rng.normal(0.0, 0.2, x.size)
    model = gp(jnp.asarray(x), y=jnp.asarray(y))
    idata = pplx.nuts(
        model, jax.random.key(0), num_warmup=300, num_samples=300, num_chains=2, progress_bar=False
    )

    import arviz as az
    import matplotlib.pyplot as plt

    print(az.summary(idata, var_names=["amplitude", "length", "noise"]).to_string())
    print("\nnoise sd used to simulate: 0.2")

    grid = jnp.linspace(-0.5, 10.5, 150)
    post = idata.posterior.stack(sample=("chain", "draw"))
    pick = np.random.default_rng(2).choice(post.sizes["sample"], 200, replace=False)
    settings = [jnp.asarray(post[k].values[pick]) for k in ("amplitude", "length", "noise")]
    x_data, y_data = jnp.asarray(x), jnp.asarray(y)
    means, sds = jax.vmap(lambda *s: predict(x_data, y_data, grid, *s))(*settings)
    # a draw of the latent function per posterior draw: mixture of the conditionals
    f = means + sds * jax.random.normal(jax.random.key(3), means.shape)
    low, mid, high = np.percentile(np.asarray(f), [5, 50, 95], axis=0)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.fill_between(grid, low, high, alpha=0.3, label="90% band of f")
    ax.plot(grid, mid, label="posterior median of f")
    ax.plot(grid, np.sin(grid) + 0.3 * np.cos(2.5 * grid), "k--", lw=1, label="truth")
    ax.scatter(x, y, s=10, color="k", label="data")
    ax.set(xlabel="x", ylabel="y", title="GP regression: posterior of the latent function")
    ax.legend(loc="lower left", fontsize=8)
    plt.show()
    az.plot_pair(idata, var_names=["amplitude", "length", "noise"], kind="scatter", marginals=True)
    plt.show()
    az.plot_trace(idata, var_names=["amplitude", "length", "noise"])
    plt.show()


if __name__ == "__main__":
    main()
