"""Draws streamed to the host in blocks (``stream_block=``, pplx/infer/streaming.py): the
same draws as one program, and a device buffer of one block instead of the whole run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.infer import chains, streaming
from pplx.kernels.spec import DEFAULT_KERNEL

D = 32


@pplx.model
def iid(y):
    x = pplx.sample("x", dist.Normal(0.0, 1.0).expand((D,)).to_event(1))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(jnp.sum(x), 4.0), obs=y)


MODEL = iid(jnp.linspace(-1.0, 1.0, 5))
QUIET = dict(progress_bar=False, return_inferencedata=False)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_streamed_draws_equal_the_one_program_draws():
    run = dict(num_warmup=50, num_samples=30, num_chains=2, thinning=2, log_likelihood=True)
    whole = pplx.nuts(MODEL, jax.random.key(0), chain_method="vectorized", **run, **QUIET)
    blocks = pplx.nuts(
        MODEL, jax.random.key(0), chain_method="vectorized", stream_block=13, **run, **QUIET
    )
    assert blocks.draws["x"].shape == (2, 30, D)  # warmup draws are not kept
    for name in whole.draws:
        np.testing.assert_allclose(blocks.draws[name], whole.draws[name], rtol=0, atol=1e-9)
    for name in whole.stats:
        np.testing.assert_allclose(
            np.asarray(blocks.stats[name], float), np.asarray(whole.stats[name], float), atol=1e-9
        )
    np.testing.assert_allclose(blocks.log_likelihood["y"], whole.log_likelihood["y"], atol=1e-9)
    assert isinstance(blocks.draws["x"], np.ndarray)  # on the host


def _output_bytes(fn, *args) -> int:
    analysis = jax.jit(fn).lower(*args).compile().memory_analysis()
    return int(analysis.output_size_in_bytes)  # draws, stats and the chains' state


def test_the_device_holds_one_block_of_draws():
    # 2 chains x 400 draws x d=32 in float64: 204.8 kB of positions in one program; in
    # blocks of 25 transitions the compiled block's buffer is 25 draws long (12.8 kB)
    num_chains, num_warmup, num_samples, block = 2, 300, 400, 25
    total = num_warmup + num_samples
    segments, _, length = chains.segment_plan(
        chains.schedule(num_warmup, num_samples),
        streaming.block_plan(total, block, 20),
    )
    assert length <= block
    key = jax.random.key(0)
    carry = streaming._start(
        MODEL,
        None,
        None,
        num_chains=num_chains,
        num_warmup=num_warmup,
        dense_mass=False,
        kernel=DEFAULT_KERNEL,
        adaptation="stan",
    )
    settings = dict(target_accept=0.8, kernel=DEFAULT_KERNEL, adaptation="stan")

    def one_block(carry, steps):
        return streaming._block.__wrapped__(
            MODEL,
            key,
            carry,
            steps,
            chain_method="vectorized",
            sharding=None,
            buffer_size=length,
            **settings,
        )

    steps = chains.Steps(*(jnp.asarray(a) for a in segments[-1]))
    positions = jax.eval_shape(one_block, carry, steps)[1][0]
    assert positions.shape == (length, num_chains, D)

    def whole_run(key, positions):
        run = chains.run_chains(
            MODEL.logdensity, key, positions, num_warmup=num_warmup, num_samples=num_samples
        )
        return run.positions, run.info

    start = jnp.zeros((num_chains, D))
    assert jax.eval_shape(whole_run, key, start)[0].shape == (num_chains, num_samples, D)
    full = num_chains * num_samples * D * 8
    block_bytes = _output_bytes(one_block, carry, steps)
    assert _output_bytes(whole_run, key, start) >= full
    assert block_bytes < full / 4, (block_bytes, full)


def test_a_bad_stream_block_is_refused_before_compiling():
    with pytest.raises(ValueError, match="stream_block must be a positive int"):
        pplx.nuts(MODEL, jax.random.key(0), stream_block=0, **QUIET)
    with pytest.raises(ValueError, match="stream_block=None"):
        pplx.nuts(MODEL, jax.random.key(0), stream_block=10, until=pplx.Converged(), **QUIET)
