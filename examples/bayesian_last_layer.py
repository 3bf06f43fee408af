"""A Bayesian last layer: an Equinox feature network trained jointly with a pplx ELBO.

The network maps inputs to features; a pplx model puts a Gaussian prior on the last
layer's weights and a learned noise scale, and the variational Gaussian over them is
fitted together with the network by one optax optimiser. The loss is ``-pplx.vi.elbo``:
the network's features replace the bound model's data leaf inside the jitted step, so
gradients flow into the network.

Small simulated data; runs in well under a minute on a CPU:

    python examples/bayesian_last_layer.py
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

import pplx
import pplx.distributions as dist
import pplx.infer.vi  # noqa: F401  (until pplx/__init__.py exports vi)


@pplx.model
def last_layer(features, y=None):
    k = features.shape[1]
    w = pplx.sample("w", dist.Normal(0.0, 1.0).expand((k,)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(1.0))
    with pplx.plate("obs", features.shape[0]):
        pplx.sample("y", dist.Normal(features @ w, sigma), obs=y)


def simulate(key, n=256):
    kx, ke = jax.random.split(key)
    x = jax.random.uniform(kx, (n, 1), minval=-3.0, maxval=3.0)
    y = jnp.sin(2.0 * x[:, 0]) + 0.3 * x[:, 0] + 0.1 * jax.random.normal(ke, (n,))
    return x, y


def main(num_steps: int = 1500):
    key = jax.random.key(0)
    data_key, net_key, fit_key, draw_key = jax.random.split(key, 4)
    x, y = simulate(data_key)
    net = eqx.nn.MLP(1, 16, width_size=32, depth=2, activation=jnp.tanh, key=net_key)
    features = jax.vmap(net)(x)
    template = last_layer(features, y)  # bound once; new features replace its data leaf
    q = pplx.vi.init_params(template, "meanfield", init_scale=0.1)
    params = (net, q)
    opt = optax.adam(3e-3)
    opt_state = opt.init(eqx.filter(params, eqx.is_array))

    @eqx.filter_jit
    def train_step(params, opt_state, key):
        def loss(params):
            net, q = params
            # the features are the model's first data leaf: gradients flow into the net
            model = eqx.tree_at(lambda m: m.data[0], template, jax.vmap(net)(x))
            return -pplx.vi.elbo(model, q, key, num_samples=4)

        value, grads = eqx.filter_value_and_grad(loss)(params)
        updates, opt_state = opt.update(grads, opt_state, eqx.filter(params, eqx.is_array))
        return eqx.apply_updates(params, updates), opt_state, -value

    for i in range(num_steps):
        params, opt_state, elbo = train_step(params, opt_state, jax.random.fold_in(fit_key, i))
        if i % 300 == 0 or i == num_steps - 1:
            print(f"step {i:5d}  ELBO {float(elbo):9.2f}")

    net, q = params
    model = last_layer(jax.vmap(net)(x), y)
    approx = pplx.vi.Approximation(
        model=model,
        mean=q.mean,
        scale=jnp.exp(q.log_std),
        elbo_trace=jnp.zeros((0,)),
        num_steps=jnp.array(num_steps),
        converged=jnp.array(False),
    )
    draws = approx.sample(draw_key, 500)
    sigma = draws["sigma"]
    print(
        f"posterior noise scale: {float(sigma.mean()):.3f} +- {float(sigma.std()):.3f} "
        "(simulated: 0.1)"
    )
    mean_fit = jax.vmap(net)(x) @ draws["w"].mean(0)
    rmse = float(jnp.sqrt(jnp.mean((mean_fit - y) ** 2)))
    print(f"training RMSE of the predictive mean: {rmse:.3f}")
    if __name__ == "__main__":
        plot(net, draws, x, y)
    return float(sigma.mean())


def plot(net, draws, x, y) -> None:
    """The predictive mean and 90% band of the last layer on a grid, over the data."""
    import matplotlib.pyplot as plt

    grid = jnp.linspace(-3.5, 3.5, 200)[:, None]
    curves = draws["w"] @ jax.vmap(net)(grid).T  # (draws, grid)
    low, mid, high = jnp.percentile(curves, jnp.array([5.0, 50.0, 95.0]), axis=0)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.scatter(x[:, 0], y, s=6, color="grey", label="data")
    ax.fill_between(grid[:, 0], low, high, alpha=0.3, label="90% band of the mean")
    ax.plot(grid[:, 0], mid, label="posterior median of the mean")
    ax.set(xlabel="x", ylabel="y", title="Bayesian last layer on an MLP's features")
    ax.legend(loc="upper left")
    plt.show()


if __name__ == "__main__":
    main()
