"""Run until converged: the JAX estimators against ArviZ, and the stopping rule's oracles."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.kernels import convergence as je


def _ar1(rng, chains, draws, phi):
    x = np.zeros((chains, draws))
    x[:, 0] = rng.normal(size=chains) / np.sqrt(1 - phi**2)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=chains)
    return x


CASES = [(4, 501, 0.9), (2, 37, 0.0), (3, 1000, -0.4)]
FNS = (je.split_rhat, je.ess_bulk, je.ess_tail)
_all = jax.jit(lambda a, n: [f(a, n) for f in FNS])


@pytest.mark.parametrize("chains, draws, phi", CASES)
def test_jax_estimators_equal_arviz(chains, draws, phi):
    import arviz as az

    rng = np.random.default_rng(chains * 1000 + draws)
    x = _ar1(rng, chains, draws, phi)
    ref = [az.rhat(x, method="rank"), az.ess(x, method="bulk"), az.ess(x, method="tail")]
    # R-hat to 1e-6 absolute, ESS to 1e-6 relative (ndtri and scipy's ppf round apart)
    tol = np.array([1e-6, 1e-6 * ref[1], 1e-6 * ref[2]])
    got = np.array(_all(x, draws), float)
    assert np.all(np.abs(got - np.array(ref, float)) <= tol), (got, ref)
    # a prefix of a longer buffer (a traced count) gives the same values
    padded = np.concatenate([x, 100.0 + rng.normal(size=(chains, 250))], axis=1)
    prefix = np.array(_all(padded, draws), float)
    assert np.all(np.abs(prefix - np.array(ref, float)) <= tol), (prefix, ref)
    # the fused estimator of the until loop gives the same three values
    fused = np.array(jax.jit(je.all_diagnostics)(padded[..., None], draws), float)[:, 0]
    assert np.all(np.abs(fused - np.array(ref, float)) <= tol), (fused, ref)


def test_jax_estimators_ties_constant_and_separated_chains():
    import arviz as az

    rng = np.random.default_rng(3)
    ties = np.round(_ar1(rng, 4, 200, 0.5))
    rhat, bulk, tail = np.array(_all(ties, 200), float)
    assert abs(bulk - float(az.ess(ties, method="bulk"))) < 1e-6 * bulk
    assert abs(tail - float(az.ess(ties, method="tail"))) < 1e-6 * tail
    assert abs(rhat - float(az.rhat(ties, method="rank"))) < 1e-6
    apart = rng.normal(size=(4, 200)) + np.array([0.0, 0.0, 8.0, 8.0])[:, None]
    const = np.ones((4, 200))
    assert float(_all(apart, 200)[0]) > 1.5
    c_rhat, c_bulk, _ = _all(const, 200)
    assert np.isnan(float(c_rhat)) and float(c_bulk) == 800.0
    assert np.isnan(float(_all(const, 3)[1]))


def test_all_diagnostics_shapes_and_errors():
    x = jax.random.normal(jax.random.key(0), (4, 300, 3))
    r, b, t = jax.jit(je.all_diagnostics)(x)
    assert r.shape == b.shape == t.shape == (3,)
    with pytest.raises(ValueError, match="chain, draw"):
        je.ess_bulk(jnp.ones(10))


# ----- the stopping rule on an AR(1) "sampler" with known ESS per draw -----------------
from pplx.infer.until import Converged, until_loop  # noqa: E402

PHI, CHAINS = 0.5, 4


def _ar_block(offsets, every):
    """A block function drawing AR(1) chains (stationary sd 1) around ``offsets``."""

    def block(carry, index):
        key, x = carry
        key, sub = jax.random.split(key)
        noise = jax.random.normal(sub, (every, CHAINS)) * np.sqrt(1 - PHI**2)

        def step(x, e):
            x = PHI * x + e
            return x, x

        x, xs = jax.lax.scan(step, x, noise)
        return (key, x), (xs[..., None] + offsets[None, :, None], jnp.zeros((every, CHAINS)))

    return block


def _run_ar(key, until, offsets):
    block = _ar_block(offsets, until.check_every)
    key, sub = jax.random.split(key)
    carry = (key, jax.random.normal(sub, (CHAINS,)))
    shapes = jax.eval_shape(block, carry, 0)[1]
    _, buf, info = until_loop(block, carry, until, shapes)
    return buf[0], info


def test_stopping_draw_count_matches_the_true_ess_per_draw():
    from pplx.diagnostics import ess_bulk

    until = Converged(rhat=1.05, ess_bulk=400, ess_tail=None, max_draws=2000, check_every=25)
    keys = jax.random.split(jax.random.key(0), 16)
    run = jax.jit(jax.vmap(lambda k: _run_ar(k, until, jnp.zeros(CHAINS))))
    bufs, info = run(keys)
    stops = np.asarray(info.num_draws)
    # true ESS per draw of AR(1): (1 - phi) / (1 + phi); 4 chains -> 300 draws for 400
    predicted = 400 / (CHAINS * (1 - PHI) / (1 + PHI))
    assert np.all(np.asarray(info.converged))
    # the estimated ESS has ~10% relative error at this size: the mean of 16 stops lies
    # within ~3% of the first crossing; allow 15% (and the check granularity)
    assert abs(stops.mean() - predicted) < 0.15 * predicted + 25, (stops, predicted)
    # each run stops at the first check where ArviZ's bulk ESS (numpy oracle) >= 400
    for b, n in zip(np.asarray(bufs)[:4], stops[:4], strict=True):
        draws = np.swapaxes(b[:n, :, 0], 0, 1)
        assert float(ess_bulk(draws)) >= 400
        assert n == 25 or float(ess_bulk(draws[:, : n - 25])) < 400


def test_separated_chains_never_converge():
    until = Converged(max_draws=1000, check_every=100)
    offsets = jnp.array([-5.0, -5.0, 5.0, 5.0])
    buf, info = jax.jit(lambda k: _run_ar(k, until, offsets))(jax.random.key(1))
    assert not bool(info.converged) and int(info.num_draws) == 1000
    assert float(jnp.max(info.rhat)) > 1.5


@pytest.mark.parametrize(
    "settings, error, match",
    [
        (dict(max_draws=100, check_every=200), ValueError, "below check_every"),
        (dict(max_draws=1000, check_every=300), ValueError, "multiple of check_every"),
        (dict(rhat=0.99), ValueError, "must exceed 1.0"),
        (dict(rhat=1.0), ValueError, "must exceed 1.0"),
        (dict(ess_bulk=1e9, max_draws=1000), ValueError, "ess_bulk=1000000000.0 cannot be reached"),
        (dict(ess_tail=-5.0), ValueError, "ess_tail=-5.0 cannot be reached"),
        (dict(ess_bulk=float("nan")), ValueError, "must be finite"),
        (dict(ess_bulk="400"), TypeError, "must be a number"),
        (dict(check_every=2, max_draws=10), ValueError, ">= 4"),
        (dict(max_draws=2000.0), TypeError, "max_draws must be an int"),
        (dict(rhat=None, ess_bulk=None, ess_tail=None), ValueError, "no target"),
    ],
)
def test_bad_settings_raise(settings, error, match):
    with pytest.raises(error, match=match):
        Converged(**settings).check(num_chains=4)


def test_bad_settings_raise_before_tracing():
    # an R-hat target needs two chains; the ESS cap follows chains x max_draws
    with pytest.raises(ValueError, match="num_chains >= 2"):
        Converged().check(num_chains=1)
    one_chain = dict(rhat=None, ess_tail=None, max_draws=100, check_every=50)
    assert Converged(ess_bulk=50, **one_chain).check(1)
    with pytest.raises(ValueError, match="at most 200"):
        Converged(ess_bulk=300, **one_chain).check(1)
    # the drivers raise before anything is traced: the model function never runs again
    calls = {"n": 0}

    @pplx.model
    def counted(y):
        calls["n"] += 1
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)

    m = counted(jnp.ones(3))
    bound = calls["n"]
    bad = [
        (dict(until=Converged(max_draws=100, check_every=200)), "below check_every"),
        (dict(until=Converged(), num_chains=1), "num_chains >= 2"),
        (dict(until={"rhat": 1.01}), "pplx.Converged"),
        (dict(until=Converged), "is the class: call it"),
        (dict(until=Converged(), thinning=2), "thinning"),
        (dict(until=Converged(), chain_method="threads"), "chain_method"),
        (dict(until=Converged(), state="x", num_warmup=10), "num_warmup=0"),
    ]
    for kwargs, match in bad:
        with pytest.raises((ValueError, TypeError), match=match):
            pplx.nuts(m, jax.random.key(0), progress_bar=False, **kwargs)
    with pytest.raises(ValueError, match="below check_every"):
        pplx.hmc(m, jax.random.key(0), until=Converged(max_draws=100, check_every=200))
    assert calls["n"] == bound


# ----- NUTS end to end -------------------------------------------------------------------


@pplx.model
def _mean_model(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pplx.sample("sigma", dist.HalfNormal(2.0))
    pplx.sample("y", dist.Normal(mu, sigma).expand(y.shape).to_event(1), obs=y)


def test_nuts_until_stops_converged():
    import arviz as az

    m = _mean_model(jnp.linspace(-1.0, 2.0, 20))
    until = Converged(ess_bulk=300, ess_tail=300, max_draws=2000, check_every=100)
    key = jax.random.key(4)
    idata = pplx.nuts(m, key, num_warmup=300, num_chains=4, until=until, progress_bar=False)
    attrs = idata.posterior.attrs
    n = idata.posterior.sizes["draw"]
    assert attrs["until_reason"] == "converged" and attrs["until_num_draws"] == n < 2000
    assert n % 100 == 0
    # the oracle: ArviZ on the returned draws (same values as the loop's check, up to
    # the constrained scale of sigma, which rank statistics do not see)
    assert float(az.ess(idata, method="bulk").to_array().min()) >= 300
    assert float(az.ess(idata, method="tail").to_array().min()) >= 300
    assert float(az.rhat(idata).to_array().max()) <= 1.01


@pytest.mark.slow
def test_nuts_until_draws_equal_a_fixed_run_prefix():
    # same key, same per-iteration keys: the pure entry's draws are a fixed run's (both
    # run op by op here, so they round alike; compiled programs may fuse apart)
    m = _mean_model(jnp.linspace(-1.0, 2.0, 20))
    until = Converged(ess_bulk=300, ess_tail=300, max_draws=400, check_every=100)
    key = jax.random.key(4)
    # the same chain method: programs that fuse apart can round apart, and this target's
    # trajectories amplify rounding (a Gaussian's do not: tests/test_until_chains.py)
    res, info = pplx.infer.nuts_until(m, key, until, num_warmup=300, chain_method="vectorized")
    n = int(info.num_draws)
    fixed = pplx.infer.nuts_run(m, key, num_warmup=300, num_samples=n, chain_method="vectorized")
    np.testing.assert_allclose(res.draws["mu"][:, :n], fixed.draws["mu"], atol=1e-10)


def test_nuts_until_stops_on_max_draws_and_resumes():
    m = _mean_model(jnp.linspace(-1.0, 2.0, 20))
    until = Converged(ess_bulk=1000, ess_tail=None, max_draws=200, check_every=100)
    with pytest.warns(pplx.ConvergenceWarning):  # it did not converge
        post = pplx.nuts(
            m,
            jax.random.key(5),
            num_warmup=200,
            num_chains=2,
            until=until,
            progress_bar=False,
            return_inferencedata=False,
        )
    assert post.attrs["until_reason"] == "max_draws" and post.draws["mu"].shape == (2, 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pplx.ConvergenceWarning)
        more = pplx.nuts(
            m,
            jax.random.key(5),
            num_warmup=0,
            num_chains=2,
            state=post.state,
            until=until._replace(ess_bulk=50),
            progress_bar=False,
            return_inferencedata=False,
        )
    assert more.attrs["until_reason"] == "converged"
    with pytest.raises(ValueError, match="thinning"):
        pplx.nuts(m, jax.random.key(5), thinning=2, until=until)
