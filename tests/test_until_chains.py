"""Run until converged with every chain method, with the progress bar, with HMC and with
discrete latents summed out. Oracles: a fixed run of the same length and key, a
conjugate normal posterior, and a 1-D quadrature of a mixture posterior."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx import Converged

HERE = Path(__file__).resolve().parent
PRIOR_SD = 10.0
Y = np.stack([np.linspace(-1.0, 2.0, 20), np.linspace(0.0, 1.0, 20)], axis=-1)
UNTIL = Converged(ess_bulk=300, ess_tail=300, max_draws=600, check_every=100)


@pplx.model
def gauss(y):
    mu = pplx.sample("mu", dist.Normal(0.0, PRIOR_SD).expand((2,)).to_event(1))
    pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(2), obs=y)


def _conjugate():
    precision = Y.shape[0] + PRIOR_SD**-2
    return Y.sum(axis=0) / precision, precision**-0.5


def _within_mcse(draws, mean, z=4.0):
    import arviz as az

    draws = np.asarray(draws)
    mcse = np.asarray(az.mcse(draws, method="mean")) if draws.ndim == 2 else None
    if mcse is None:  # (chain, draw, k): one scalar at a time
        mcse = np.array([az.mcse(draws[..., i], method="mean") for i in range(draws.shape[-1])])
    got = draws.reshape((-1,) + draws.shape[2:]).mean(axis=0)
    assert np.all(np.abs(got - mean) <= z * mcse), (got, mean, mcse)


def test_sequential_and_vectorised_chains_give_a_fixed_runs_draws():
    m = gauss(jnp.asarray(Y))
    key = jax.random.key(4)
    runs = {}
    for method in ("vectorized", "sequential"):
        res, info = pplx.infer.nuts_until(m, key, UNTIL, num_warmup=250, chain_method=method)
        assert bool(info.converged)
        runs[method] = (int(info.num_draws), np.asarray(res.draws["mu"]))
    (n, vec), (n_seq, seq) = runs["vectorized"], runs["sequential"]
    assert n == n_seq
    # the chains' streams depend on the chain only: the same draws either way (programs
    # fuse, and so round, apart), and those of a fixed run of n draws
    np.testing.assert_allclose(seq[:, :n], vec[:, :n], atol=1e-8)
    fixed = pplx.infer.nuts_run(m, key, num_warmup=250, num_samples=n, chain_method="sequential")
    np.testing.assert_allclose(seq[:, :n], np.asarray(fixed.draws["mu"]), atol=1e-10)
    assert np.all(seq[:, n:] == 0.0)  # the buffer past the draws made is untouched
    mean, _ = _conjugate()
    _within_mcse(seq[:, :n], mean)


def test_progress_bar_shows_the_worst_rhat_and_ess(capfd):
    m = gauss(jnp.asarray(Y))
    run = dict(num_warmup=250, until=UNTIL, chain_method="sequential")
    shown = pplx.nuts(m, jax.random.key(4), progress_bar=True, return_inferencedata=False, **run)
    err = capfd.readouterr().err
    quiet = pplx.nuts(m, jax.random.key(4), progress_bar=False, return_inferencedata=False, **run)
    attrs = shown.attrs
    # host-driven blocks run the compiled loop's body: the same draws and stopping point
    assert attrs["until_num_draws"] == quiet.attrs["until_num_draws"]
    np.testing.assert_allclose(shown.draws["mu"], quiet.draws["mu"], atol=1e-10)
    # after the last check the bar shows the run's final figures
    assert f"rhat={attrs['until_max_rhat']:.4g}" in err, err[-500:]
    assert f"ess_bulk={attrs['until_min_ess_bulk']:.4g}" in err
    assert f"ess_tail={attrs['until_min_ess_tail']:.4g}" in err
    assert "sampling" in err and "warmup" in err


def test_hmc_until_converged():
    m = gauss(jnp.asarray(Y))
    post = pplx.hmc(
        m,
        jax.random.key(2),
        num_integration_steps=4,
        jitter=0.5,
        num_warmup=250,
        until=UNTIL,
        chain_method="sequential",
        progress_bar=False,
        return_inferencedata=False,
    )
    n = post.attrs["until_num_draws"]
    assert post.attrs["until_reason"] == "converged" and post.draws["mu"].shape == (4, n, 2)
    assert post.attrs["sampler"] == "hmc" and np.all(post.stats["n_steps"] <= 6)
    _within_mcse(post.draws["mu"], _conjugate()[0])


Y_MIX = np.array([-0.3, 0.4, 1.1, 3.6, 4.4, 4.9, 0.2, 4.1])


@pplx.model
def shifted_mixture(y):
    # each observation is from N(mu, 1) or N(mu + 4, 1): z is summed out
    mu = pplx.sample("mu", dist.Normal(0.0, PRIOR_SD))
    with pplx.plate("obs", y.shape[0]):
        z = pplx.sample("z", dist.Bernoulli(probs=0.5))
        pplx.sample("y", dist.Normal(mu + 4.0 * z, 1.0), obs=y)


def _mixture_posterior_mean():
    from scipy import stats

    grid = np.linspace(-10.0, 10.0, 20001)
    like = 0.5 * stats.norm.pdf(Y_MIX[:, None], grid) + 0.5 * stats.norm.pdf(
        Y_MIX[:, None], grid + 4.0
    )
    logp = stats.norm.logpdf(grid, 0.0, PRIOR_SD) + np.log(like).sum(axis=0)
    weights = np.exp(logp - logp.max())
    return float((grid * weights).sum() / weights.sum())


def test_until_with_discrete_latents_summed_out():
    post = pplx.nuts(
        shifted_mixture(jnp.asarray(Y_MIX)),
        jax.random.key(3),
        marginalize="auto",
        num_warmup=250,
        until=UNTIL,
        chain_method="sequential",
        progress_bar=False,
        return_inferencedata=False,
    )
    assert post.attrs["marginalized"] == "z" and post.attrs["until_reason"] == "converged"
    assert set(post.draws) == {"mu"}
    _within_mcse(post.draws["mu"], _mixture_posterior_mean())


def test_until_program_traces_the_model_as_often_as_a_fixed_run():
    counts = {"n": 0}

    @pplx.model
    def counted(y):
        if isinstance(y, jax.core.Tracer):
            counts["n"] += 1
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)

    m = counted(jnp.ones(3))
    run = dict(num_warmup=100, num_chains=2)
    until = Converged(max_draws=200, check_every=100)
    jax.jit(lambda m, k: pplx.infer.nuts_run(m, k, num_samples=200, **run)).lower(
        m, jax.random.key(0)
    )
    fixed = counts["n"]
    counts["n"] = 0
    jax.jit(lambda m, k: pplx.infer.nuts_until(m, k, until, **run)).lower(m, jax.random.key(0))
    # one kernel in the program: warmup and sampling are blocks of one loop
    assert counts["n"] <= fixed, (counts["n"], fixed)


@pytest.fixture(scope="module")
def four_devices():
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "JAX_PLATFORMS": "cpu",
    }
    env.pop("PPLX_XLA_CPU_LOOPS", None)
    out = subprocess.run(
        [sys.executable, str(HERE / "until_devices_script.py")],
        env=env,
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_until_with_chains_over_devices(four_devices):
    out = four_devices
    assert out["num_devices"] == 4
    assert out["converged"] and out["num_draws"] == out["num_draws_sequential"]
    # each device runs its 2 chains in sequence: the sequential run's draws
    assert out["draws_diff"] < 1e-8, out
    assert "multiple of it" in out["bad_chains_error"]
