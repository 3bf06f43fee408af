"""Run options: chain methods, resume, thinning, checkpoints."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

REPO = Path(__file__).resolve().parent.parent


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    s = pplx.sample("s", dist.HalfNormal(2.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, s), obs=y)


MODEL = normal_mean(jnp.asarray(np.random.default_rng(0).normal(1.0, 1.0, size=20)))
RUN = dict(num_warmup=100, num_chains=3)


def test_sequential_chains_give_the_same_draws_as_vectorized():
    a = pplx.nuts_run(MODEL, jax.random.key(0), num_samples=50, chain_method="vectorized", **RUN)
    b = pplx.nuts_run(MODEL, jax.random.key(0), num_samples=50, chain_method="sequential", **RUN)
    np.testing.assert_allclose(a.draws["mu"], b.draws["mu"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.state.step_size, b.state.step_size, rtol=1e-8)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the CPU rule of 'auto'")
def test_auto_runs_chains_sequentially_on_cpu(monkeypatch):
    from pplx.infer import chains as run
    from pplx.infer.chains import AUTO_SEQUENTIAL_MAX_CHAINS, resolve_chain_method

    many = AUTO_SEQUENTIAL_MAX_CHAINS + 1
    monkeypatch.setattr(run, "small_loops_active", lambda: True)
    assert [resolve_chain_method("auto", n) for n in (4, many, 1024)] == ["sequential"] * 3
    # without single-kernel loops, a batch shares the loop's per-kernel cost
    monkeypatch.setattr(run, "small_loops_active", lambda: False)
    assert resolve_chain_method("auto", 4) == "sequential"
    assert resolve_chain_method("auto", many) == "vectorized"
    assert resolve_chain_method("vectorized", 4) == "vectorized"
    monkeypatch.undo()
    default = pplx.nuts_run(MODEL, jax.random.key(0), num_samples=20, **RUN)
    seq = pplx.nuts_run(MODEL, jax.random.key(0), num_samples=20, chain_method="sequential", **RUN)
    np.testing.assert_array_equal(default.draws["mu"], seq.draws["mu"])


def test_unknown_chain_method_is_named_in_the_error():
    with pytest.raises(ValueError, match="chain_method must be one of.*'auto'.*'pmap'"):
        pplx.nuts_run(MODEL, jax.random.key(0), num_samples=20, chain_method="pmap", **RUN)


def test_resume_equals_one_longer_run():
    long = pplx.nuts_run(MODEL, jax.random.key(1), num_samples=80, **RUN)
    first = pplx.nuts_run(MODEL, jax.random.key(1), num_samples=50, **RUN)
    rest = pplx.nuts_run(
        MODEL, jax.random.key(1), num_samples=30, num_warmup=0, num_chains=3, state=first.state
    )
    joined = np.concatenate([first.draws["mu"], rest.draws["mu"]], axis=1)
    np.testing.assert_array_equal(joined, long.draws["mu"])
    np.testing.assert_array_equal(rest.stats["step_size"][:, 0], first.state.step_size)


def test_resume_needs_no_warmup():
    first = pplx.nuts_run(MODEL, jax.random.key(1), num_samples=5, **RUN)
    with pytest.raises(ValueError, match="num_warmup=0"):
        pplx.nuts_run(MODEL, jax.random.key(1), num_samples=5, state=first.state, **RUN)


def test_thinning_keeps_every_kth_draw():
    full = pplx.nuts_run(MODEL, jax.random.key(2), num_samples=60, **RUN)
    thin = pplx.nuts_run(MODEL, jax.random.key(2), num_samples=20, thinning=3, **RUN)
    np.testing.assert_array_equal(thin.draws["mu"], full.draws["mu"][:, 2::3])
    with pytest.raises(ValueError, match="thinning"):
        pplx.nuts_run(MODEL, jax.random.key(2), num_samples=20, thinning=0, **RUN)


def test_checkpoint_round_trip(tmp_path):
    first = pplx.nuts_run(MODEL, jax.random.key(3), num_samples=10, **RUN)
    pplx.save_state(tmp_path / "state.npz", first.state)
    loaded = pplx.load_state(tmp_path / "state.npz")
    for a, b in zip(jax.tree.leaves(first.state), jax.tree.leaves(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    direct = pplx.nuts_run(
        MODEL, jax.random.key(3), num_samples=10, num_warmup=0, num_chains=3, state=first.state
    )
    via_disk = pplx.nuts_run(
        MODEL, jax.random.key(3), num_samples=10, num_warmup=0, num_chains=3, state=loaded
    )
    np.testing.assert_array_equal(direct.draws["mu"], via_disk.draws["mu"])
    np.save(tmp_path / "other.npy", np.zeros(3))
    with pytest.raises(ValueError, match="not a pplx chain state"):
        np.savez(tmp_path / "bad.npz", x=np.zeros(2))
        pplx.load_state(tmp_path / "bad.npz")


def test_unknown_chain_method():
    with pytest.raises(ValueError, match="chain_method must be one of"):
        pplx.nuts_run(MODEL, jax.random.key(0), chain_method="threads", **RUN)


def test_parallel_chains_on_four_host_devices():
    script = textwrap.dedent("""
        import jax, jax.numpy as jnp, numpy as np
        jax.config.update("jax_enable_x64", True)
        import pplx, pplx.distributions as dist
        assert len(jax.devices()) == 4, jax.devices()
        @pplx.model
        def m(y):
            mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
            with pplx.plate("obs", y.shape[0]):
                pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        model = m(jnp.arange(5.0))
        run = dict(num_warmup=100, num_samples=50, num_chains=4)
        par = pplx.nuts_run(model, jax.random.key(0), chain_method="parallel", **run)
        vec = pplx.nuts_run(model, jax.random.key(0), **run)
        np.testing.assert_allclose(par.draws["mu"], vec.draws["mu"], rtol=1e-8, atol=1e-10)
        try:
            pplx.nuts_run(model, jax.random.key(0), chain_method="parallel",
                          num_warmup=10, num_samples=5, num_chains=3)
        except ValueError as err:
            assert "multiple of it" in str(err)
        else:
            raise AssertionError("3 chains on 4 devices should be refused")
        print("parallel ok")
    """)
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "JAX_PLATFORMS": "cpu",
    }
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "parallel ok" in out.stdout


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short run
def test_progress_bar_run_in_segments_gives_the_pure_entrys_draws(capsys):
    from pplx.infer.entry import _mcmc_compiled

    settings = dict(
        num_warmup=100, num_samples=40, num_chains=3, thinning=2, chain_method="vectorized"
    )
    shown = pplx.nuts(
        MODEL, jax.random.key(4), progress_bar=True, return_inferencedata=False, **settings
    )
    pure = _mcmc_compiled(MODEL, jax.random.key(4), **settings)
    # two programs (segments vs one call): XLA may fuse, and so round, differently
    np.testing.assert_allclose(shown.draws["mu"], pure.draws["mu"], rtol=1e-10)
    np.testing.assert_array_equal(shown.stats["n_steps"], pure.stats["n_steps"])
    np.testing.assert_array_equal(shown.state.iteration, pure.state.iteration)
    assert "sampling 3 chains" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short chains
def test_progress_bar_of_sequential_chains_moves_through_every_chain(capsys):
    """Sequential chains report through host callbacks, one pass per chain."""
    from pplx.infer.entry import _mcmc_compiled

    settings = dict(num_warmup=100, num_samples=40, num_chains=3, chain_method="sequential")
    shown = pplx.nuts(
        MODEL, jax.random.key(4), progress_bar=True, return_inferencedata=False, **settings
    )
    pure = _mcmc_compiled(MODEL, jax.random.key(4), **settings)
    # the host callbacks change how XLA fuses the program: equal up to rounding
    np.testing.assert_allclose(shown.draws["mu"], pure.draws["mu"], rtol=1e-8, atol=1e-10)
    err = capsys.readouterr().err
    assert "sampling chain 3/3" in err and "420/420" in err


def test_segment_plan_covers_the_schedule_once():
    from pplx.infer.chains import schedule, segment_plan

    steps = schedule(num_warmup=7, num_samples=5, thinning=2)
    segments, kept, length = segment_plan(steps, 4)
    assert length == 5 and sum(kept) == 5 and len(segments) == 4
    assert sum(int(s.active.sum()) for s in segments) == 17
    assert [int(s.is_last_warmup.sum()) for s in segments] == [0, 1, 0, 0]


def test_funnel_divergences_are_reported_by_name():
    """Neal's funnel in the centred form: NUTS diverges in the neck, and the warning says
    how many transitions diverged and what to try."""

    @pplx.model
    def funnel():
        log_scale = pplx.sample("log_scale", dist.Normal(0.0, 3.0))
        with pplx.plate("x_dim", 5):
            pplx.sample("x", dist.Normal(0.0, jnp.exp(log_scale / 2)))

    with pytest.warns(pplx.ConvergenceWarning) as caught:
        post = pplx.nuts(
            funnel(),
            jax.random.key(0),
            num_warmup=300,
            num_samples=300,
            num_chains=2,
            progress_bar=False,
            return_inferencedata=False,
        )
    divergent = int(post.stats["diverging"].sum())
    assert divergent > 0
    messages = [str(w.message) for w in caught]
    assert any(
        f"{divergent} divergent transitions" in m and "target_accept" in m for m in messages
    ), messages
