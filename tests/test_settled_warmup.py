"""Per-chain warmup that ends once the mass matrix settled (``adaptation=pplx.Settled()``).

Oracles: with a tolerance nothing meets, the run is Stan's (same draws, to rounding); a
one-dimensional target always settles at the first comparison (a 1-D mass matrix has
no shape), so its warmup length is known exactly; the draws after an early end have the
target's mean and sd within Monte Carlo error; skipped transitions cost no gradients.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.kernels.adaptation import window_schedule
from pplx.kernels.adaptation_settle import Settled, shape_change


@pplx.model
def scales(sd):
    pplx.sample("x", dist.Normal(jnp.zeros(sd.shape[0]), sd))


@pplx.model
def one_normal():
    pplx.sample("x", dist.Normal(3.0, 2.0))


def _run(model, adaptation, **kw):
    settings = dict(num_warmup=1000, num_samples=1000, num_chains=2)
    settings.update(kw)
    return pplx.nuts_run(model, jax.random.key(3), adaptation=adaptation, **settings)


def _first_compared_window_end(num_warmup: int) -> int:
    return int(np.flatnonzero(window_schedule(num_warmup)[1])[1])


@pytest.mark.parametrize("chain_method", ["sequential", "vectorized"])
def test_a_tolerance_nothing_meets_is_stans_warmup(chain_method):
    model = scales(jnp.array([0.1, 1.0, 10.0]))
    # short, so that rounding (the two programs fuse differently) has not grown yet
    kw = dict(num_warmup=150, num_samples=20, chain_method=chain_method)
    stan = _run(model, "stan", **kw)
    never = _run(model, Settled(tolerance=1e-12), **kw)
    np.testing.assert_allclose(never.draws["x"], stan.draws["x"], rtol=0, atol=1e-8)
    assert np.asarray(never.warmup_stats["draws"]).tolist() == [150, 150]
    np.testing.assert_array_equal(never.warmup_stats["n_steps"], stan.warmup_stats["n_steps"])


@pytest.mark.parametrize("chain_method", ["sequential", "vectorized"])
def test_one_dimension_settles_at_the_first_comparison(chain_method):
    settled = Settled(final_window=50)
    res = _run(one_normal(), settled, num_chains=4, chain_method=chain_method)
    expected = _first_compared_window_end(1000) + 1 + settled.final_window
    assert expected == 200
    assert np.asarray(res.warmup_stats["draws"]).tolist() == [expected] * 4
    x = np.asarray(res.draws["x"]).ravel()
    # 4000 draws, ESS above 1000: the mean's MC sd is below 0.07, the sd's below 0.05
    assert abs(x.mean() - 3.0) < 0.25 and abs(x.std() - 2.0) < 0.2
    stan = _run(one_normal(), "stan", num_chains=4, chain_method=chain_method)
    # the skipped 800 transitions cost nothing: about a fifth of Stan's warmup gradients
    ratio = np.asarray(res.warmup_stats["n_steps"]) / np.asarray(stan.warmup_stats["n_steps"])
    assert np.all(ratio < 0.35), ratio
    # the step size after a 50-draw final window is noisy: over 6 keys x 4 chains the
    # log ratio to Stan's had sd ~0.2 (largest 0.56); each chain within 3.5 sd, the
    # mean of four within 3 sd of it
    log_ratio = np.log(np.asarray(res.state.step_size) / np.asarray(stan.state.step_size))
    assert np.all(np.abs(log_ratio) < 0.75) and abs(log_ratio.mean()) < 0.3, log_ratio


def test_settled_chains_sample_the_target_in_several_dimensions():
    sd = jnp.array([0.1, 1.0, 10.0])
    res = _run(scales(sd), Settled(tolerance=0.2), num_chains=4)
    draws = np.asarray(res.warmup_stats["draws"])
    assert np.all(draws <= 1000) and np.all(draws >= 200)
    x = np.asarray(res.draws["x"]).reshape(-1, 3)
    err = np.abs(x.std(0) / np.asarray(sd) - 1.0)
    assert np.all(err < 0.12), err  # sd's relative MC sd ~ 0.02 with ESS > 1000
    assert np.all(np.abs(x.mean(0)) / np.asarray(sd) < 0.15)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_the_friendly_driver_reports_each_chains_warmup_length():
    idata = pplx.nuts(
        one_normal(),
        jax.random.key(0),
        num_warmup=400,
        num_samples=200,
        num_chains=2,
        adaptation=Settled(),
        chain_method="vectorized",  # with the progress bar: the host-driven segments
        progress_bar=True,
    )
    expected = _first_compared_window_end(400) + 1 + 50
    assert idata.posterior.attrs["warmup_draws"] == [expected, expected]
    assert idata.posterior["x"].shape == (2, 200)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_dense_mass_matrix_and_stream_blocks():
    res = pplx.nuts(
        scales(jnp.array([1.0, 2.0])),
        jax.random.key(1),
        num_warmup=300,
        num_samples=100,
        num_chains=2,
        adaptation=Settled(tolerance=0.5),
        dense_mass=True,
        stream_block=64,
        progress_bar=False,
        return_inferencedata=False,
    )
    assert all(150 <= d <= 300 for d in res.attrs["warmup_draws"])
    assert res.draws["x"].shape == (2, 100, 2)


def test_until_converged_after_a_settled_warmup():
    idata = pplx.nuts(
        one_normal(),
        jax.random.key(2),
        num_warmup=1000,
        num_chains=2,
        adaptation=Settled(),
        until=pplx.Converged(max_draws=2000, check_every=200),
        progress_bar=False,
    )
    assert idata.posterior.attrs["until_reason"] == "converged"
    assert 200 <= idata.posterior["x"].shape[1] <= 2000


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short runs
def test_hmc_takes_it_too():
    idata = pplx.hmc(
        one_normal(),
        jax.random.key(0),
        num_integration_steps=8,
        num_warmup=1000,
        num_samples=50,
        num_chains=1,
        adaptation=Settled(),
        progress_bar=False,
    )
    assert idata.posterior.attrs["warmup_draws"] == [200]


def test_shape_change_ignores_a_common_factor():
    u = jnp.array([1.0, 4.0, 0.25])
    assert float(shape_change(7.0 * u, u)) == pytest.approx(0.0, abs=1e-12)
    assert float(shape_change(jnp.diag(2.0 * u), jnp.diag(u))) == pytest.approx(0.0, abs=1e-12)
    assert float(shape_change(u * jnp.array([1.0, 1.0, 4.0]), u)) > 0.3


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (Settled(tolerance=0.0), "tolerance=0.0"),
        (Settled(tolerance=float("nan")), "finite number > 0"),
        (Settled(tolerance="0.1"), "must be a number"),
        (Settled(final_window=0), "final_window=0"),
        (Settled(final_window=2.5), "int >= 1"),
        ("settled", "pplx.Settled"),
        (Settled, "is the class: call it"),
    ],
)
def test_bad_settings_are_refused_before_tracing(bad, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment.replace("(", r"\(")):
        pplx.nuts(one_normal(), jax.random.key(0), adaptation=bad, progress_bar=False)
