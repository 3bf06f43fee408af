"""ADVI steps per second: pplx.vi.advi against NumPyro SVI (AutoNormal), side by side.

Same model (Bayesian logistic regression, simulated), same optimiser (Adam 1e-2), same
number of steps, one ELBO draw per step, float32 by default. Compile time is measured
apart (first call minus a second call with the same shapes). Run:

    python bench/vi_speed.py [--n 1000] [--d 10] [--steps 5000]
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax


def data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    beta = rng.normal(size=d).astype(np.float32)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-X @ beta))).astype(np.float32)
    return jnp.asarray(X), jnp.asarray(y)


def timed(fn):
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    return first, time.perf_counter() - t0


def bench_pplx(X, y, steps):
    import pplx
    import pplx.distributions as dist
    import pplx.infer.vi

    @pplx.model
    def logistic(X, y):
        beta = pplx.sample("beta", dist.Normal(0.0, 1.0).expand((X.shape[1],)).to_event(1))
        with pplx.plate("obs", X.shape[0]):
            pplx.sample("y", dist.Bernoulli(logits=X @ beta), obs=y)

    m = logistic(X, y)
    opt = optax.adam(1e-2)
    return timed(
        lambda: (
            pplx.vi.advi(
                m, jax.random.key(0), num_steps=steps, optimizer=opt, convergence=None
            ).mean
        )
    )


def bench_numpyro(X, y, steps):
    import numpyro
    import numpyro.distributions as ndist
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal

    def logistic(X, y):
        beta = numpyro.sample("beta", ndist.Normal(0.0, 1.0).expand((X.shape[1],)).to_event(1))
        with numpyro.plate("obs", X.shape[0]):
            numpyro.sample("y", ndist.Bernoulli(logits=X @ beta), obs=y)

    guide = AutoNormal(logistic)
    svi = SVI(logistic, guide, optax.adam(1e-2), Trace_ELBO())
    return timed(lambda: svi.run(jax.random.key(0), steps, X, y, progress_bar=False).params)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()
    X, y = data(args.n, args.d)
    rows = {
        "pplx ADVI (meanfield)": bench_pplx(X, y, args.steps),
        "NumPyro SVI (AutoNormal)": bench_numpyro(X, y, args.steps),
    }
    print(
        f"logistic regression n={args.n} d={args.d}, {args.steps} steps, Adam 1e-2, "
        f"{jax.devices()[0].platform}"
    )
    print(f"{'':26s} {'first call s':>13s} {'second call s':>14s} {'steps/s':>10s}")
    for name, (first, second) in rows.items():
        print(f"{name:26s} {first:13.2f} {second:14.2f} {args.steps / second:10.0f}")
    (_, a), (_, b) = rows.values()
    print(f"pplx / NumPyro steps-per-second ratio: {b / a:.2f}")


if __name__ == "__main__":
    main()
