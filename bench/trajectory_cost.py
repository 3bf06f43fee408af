"""Cost of the NUTS trajectory bookkeeping per leaf, vmapped over many chains.

With ``--chains 1`` the chain runs unbatched, as pplx runs a chain on its own
(``pplx.infer.chains.over_chains``): the figure of ``chain_method="sequential"``.

A cheap target (an iid Gaussian) makes the gradient nearly free, so the time per
chain-leaf is the sampler's own work; comparing ``max_tree_depth`` values shows whether
that work grows with the number of checkpoint slots. Also prints a checksum of the
draws, so that two implementations of the bookkeeping can be checked for identical
output.

Run: ``python -m bench.trajectory_cost [--chains 256] [--dim 10] [--depths 5 10]``.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from pplx.infer.chains import over_chains
from pplx.kernels.trajectory import nuts_kernel


def _run(num_chains: int, dim: int, max_tree_depth: int, num_steps: int, step_size: float):
    logdensity = lambda z: -0.5 * jnp.sum(z**2)  # noqa: E731
    kernel = nuts_kernel(logdensity, max_tree_depth=max_tree_depth)

    def one_chain(key, z):
        def step(z, key):
            new, info = kernel(key, z, logdensity(z), -z, step_size, jnp.ones(dim))
            return new.position, (new.position, info.n_steps)

        return jax.lax.scan(step, z, jax.random.split(key, num_steps))[1]

    run = jax.jit(over_chains(one_chain))
    keys = jax.random.split(jax.random.key(0), num_chains)
    z0 = jax.random.normal(jax.random.key(1), (num_chains, dim))
    jax.block_until_ready(run(keys, z0))
    start = time.perf_counter()
    draws, n_steps = jax.block_until_ready(run(keys, z0))
    seconds = time.perf_counter() - start
    leaves = int(n_steps.sum())
    # Under vmap the chains advance in lockstep: each transition lasts as long as its
    # longest chain (a lower bound on the loop iterations actually run).
    lockstep = int(n_steps.max(axis=0).sum()) * num_chains
    return seconds, leaves, lockstep, float(jnp.sum(draws)), float(jnp.sum(draws**2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, nargs="+", default=[256])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--depths", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--step-size", type=float, default=0.5)
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    for chains in args.chains:
        for depth in args.depths:
            seconds, leaves, lockstep, s1, s2 = _run(
                chains, args.dim, depth, args.steps, args.step_size
            )
            print(
                f"chains {chains:5d}  max_tree_depth {depth:2d}  leaves/chain/draw "
                f"{leaves / chains / args.steps:5.2f}  lockstep/leaves {lockstep / leaves:5.2f}  "
                f"us per chain-leaf {1e6 * seconds / leaves:6.3f}  per lockstep chain-leaf "
                f"{1e6 * seconds / lockstep:6.3f}  checksum {s1:.12e} {s2:.12e}"
            )


if __name__ == "__main__":
    main()
