"""Variational inference and optimisation (pplx.vi), each against an analytic oracle."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import pplx
import pplx.distributions as dist
from pplx import vi

# ----- models --------------------------------------------------------------------------


@pplx.model
def linreg(X, y):
    """beta ~ N(0, I), y ~ N(X beta, 1): a Gaussian posterior, precision I + X'X."""
    beta = pplx.sample("beta", dist.Normal(0.0, 1.0).expand((X.shape[1],)).to_event(1))
    pplx.deterministic("beta_sum", jnp.sum(beta))
    with pplx.plate("obs", X.shape[0]):
        pplx.sample("y", dist.Normal(X @ beta, 1.0), obs=y)


@pplx.model
def logistic(X, y, batch=None):
    beta = pplx.sample("beta", dist.Normal(0.0, 2.0).expand((X.shape[1],)).to_event(1))
    with pplx.plate("obs", X.shape[0], subsample_size=batch) as idx:
        pplx.sample("y", dist.Bernoulli(logits=X[idx] @ beta), obs=y[idx])


@pplx.model
def gamma_normal(y):
    s = pplx.sample("s", dist.Gamma(3.0, 2.0))
    mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
    return s


def _linreg_data():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, 1))
    X = np.concatenate([z, z + 0.5 * rng.normal(size=(20, 1))], axis=1)  # correlated
    y = X @ np.array([1.0, -0.5]) + rng.normal(size=20)
    precision = np.eye(2) + X.T @ X
    cov = np.linalg.inv(precision)
    return jnp.asarray(X), jnp.asarray(y), cov @ X.T @ y, cov, precision


def _logistic_data(n=200):
    rng = np.random.default_rng(1)
    X = np.concatenate([np.ones((n, 1)), rng.normal(size=(n, 2))], axis=1)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-X @ np.array([0.5, 1.0, -1.0])))) * 1.0
    return jnp.asarray(X), jnp.asarray(y)


DECAY = optax.adam(optax.exponential_decay(0.05, 3000, 0.01))

# ----- ADVI against the exact Gaussian posterior ----------------------------------------


def test_fullrank_recovers_gaussian_posterior_exactly():
    X, y, mean, cov, _ = _linreg_data()
    approx = vi.advi(
        linreg(X, y),
        jax.random.key(0),
        num_steps=3000,
        method="fullrank",
        optimizer=DECAY,
        num_elbo_samples=16,
        convergence=None,
        init_scale=1.0,
    )
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(approx.mean, mean, atol=0.05 * sd.min())
    np.testing.assert_allclose(approx.cov, cov, atol=0.05 * sd.min() ** 2)


def test_meanfield_recovers_kl_solution():
    X, y, mean, _, precision = _linreg_data()
    approx = vi.advi(
        linreg(X, y),
        jax.random.key(1),
        num_steps=3000,
        method="meanfield",
        optimizer=DECAY,
        num_elbo_samples=16,
        convergence=None,
        init_scale=1.0,
    )
    sd = 1 / np.sqrt(np.diag(precision))  # KL(q||p) optimum: the precision's diagonal
    np.testing.assert_allclose(approx.mean, mean, atol=0.05 * sd.min())
    np.testing.assert_allclose(approx.std, sd, rtol=0.05)
    assert approx.scale.shape == (2,) and approx.cov.shape == (2, 2)
    assert int(approx.num_steps) == 3000 and not bool(approx.converged)


def test_sample_and_arviz_include_deterministics():
    X, y, *_ = _linreg_data()
    approx = vi.advi(linreg(X, y), jax.random.key(2), num_steps=500)
    draws = approx.sample(jax.random.key(3), 50)
    assert draws["beta"].shape == (50, 2)
    np.testing.assert_allclose(draws["beta_sum"], draws["beta"].sum(-1), rtol=1e-10)
    assert set(approx.constrained_mean) == {"beta", "beta_sum"}
    idata = approx.to_arviz(jax.random.key(4), num_draws=30)
    assert idata.posterior["beta"].shape == (1, 30, 2)
    assert np.isfinite(float(approx.elbo))
    assert np.isnan(np.asarray(approx.elbo_trace)[int(approx.num_steps) :]).all()


def test_convergence_stops_early():
    X, y, *_ = _linreg_data()
    approx = vi.advi(
        linreg(X, y),
        jax.random.key(5),
        num_steps=20000,
        convergence="params",
        tol=1e-2,
        num_elbo_samples=4,
    )
    assert bool(approx.converged) and int(approx.num_steps) < 20000
    assert int(approx.num_steps) % 100 == 0


# ----- logistic regression: ADVI near NUTS ---------------------------------------------


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_logistic_advi_means_close_to_nuts():
    X, y = _logistic_data()
    m = logistic(X, y)
    res = pplx.infer.nuts_run(m, jax.random.key(0), num_warmup=300, num_samples=300, num_chains=2)
    draws = np.asarray(res.draws["beta"]).reshape(-1, 3)
    approx = vi.advi(
        m, jax.random.key(1), num_steps=3000, optimizer=DECAY, num_elbo_samples=8, convergence=None
    )
    # mean-field means are near the posterior mean; allow 20% of a posterior sd plus MC
    sd = draws.std(0)
    assert np.all(np.abs(np.asarray(approx.mean) - draws.mean(0)) < 0.2 * sd + 4 * sd / 15)


# ----- minibatching --------------------------------------------------------------------


def test_minibatch_elbo_gradient_is_unbiased():
    X, y = _logistic_data()
    full, mini = logistic(X, y), logistic(X, y, batch=20)
    params = vi.init_params(full, init_scale=0.3)._replace(mean=jnp.array([0.3, 0.8, -0.7]))

    def grad_pair(key):  # same draws of z (same key), full data vs a minibatch
        g = lambda m: jax.grad(lambda p: vi.elbo(m, p, key))(params).mean
        return g(full), g(mini)

    g_full, g_mini = jax.jit(jax.vmap(grad_pair))(jax.random.split(jax.random.key(0), 2000))
    diff = np.asarray(g_mini - g_full)
    mcse = diff.std(0) / np.sqrt(diff.shape[0])
    assert np.all(np.abs(diff.mean(0)) < 4 * mcse), (diff.mean(0), mcse)
    assert np.all(diff.std(0) > 0)  # the minibatch really varies


def test_minibatch_advi_fits():
    X, y = _logistic_data()
    full = vi.advi(
        logistic(X, y),
        jax.random.key(0),
        num_steps=2000,
        optimizer=DECAY,
        num_elbo_samples=4,
        convergence=None,
    )
    mini = vi.advi(
        logistic(X, y, batch=50),
        jax.random.key(0),
        num_steps=2000,
        optimizer=DECAY,
        num_elbo_samples=4,
        convergence=None,
    )
    np.testing.assert_allclose(mini.mean, full.mean, atol=0.15)


# ----- MAP and Laplace -----------------------------------------------------------------


@pytest.mark.parametrize("optimizer", [None, optax.adam(0.05)], ids=["lbfgs", "adam"])
def test_map_is_analytic_mode(optimizer):
    y = jnp.array([1.0, 2.0, 4.0])
    res = vi.find_map(gamma_normal(y), optimizer=optimizer, max_steps=5000)
    mu_mode = float(y.sum()) / (3 + 1 / 100)  # N(0, 10) prior, unit noise
    assert bool(res.converged)
    np.testing.assert_allclose(res.values["s"], 1.0, atol=1e-5)  # Gamma(3, 2) mode
    np.testing.assert_allclose(res.values["mu"], mu_mode, atol=1e-5)
    # with the Jacobian the mode of log s is at a / b = 1.5 instead
    jac = vi.find_map(gamma_normal(y), jacobian=True)
    np.testing.assert_allclose(jac.values["s"], 1.5, atol=1e-5)


def test_laplace_covariance_is_inverse_negative_hessian():
    m = gamma_normal(jnp.array([1.0, 2.0, 4.0]))
    approx = vi.laplace(m)
    np.testing.assert_allclose(m.dlogp(approx.mean), 0.0, atol=1e-5)
    expected = np.linalg.inv(-np.asarray(m.d2logp(approx.mean)))
    np.testing.assert_allclose(approx.cov, expected, rtol=1e-8)
    assert approx.sample(jax.random.key(0), 5)["s"].shape == (5,)


# ----- purity: jit and vmap over seeds; embedding ---------------------------------------


def test_advi_jit_and_vmap_over_seeds():
    X, y, *_ = _linreg_data()
    m = linreg(X, y)
    fit = jax.jit(jax.vmap(lambda k: vi.advi(m, k, num_steps=200, convergence=None).mean))
    means = fit(jax.random.split(jax.random.key(0), 3))
    assert means.shape == (3, 2) and not np.allclose(means[0], means[1])
    single = vi.advi(m, jax.random.split(jax.random.key(0), 3)[0], num_steps=200, convergence=None)
    np.testing.assert_allclose(means[0], single.mean, rtol=1e-6)


def test_pure_step_inside_user_jit():
    X, y, mean, *_ = _linreg_data()
    opt = optax.adam(0.05)
    state = vi.init(linreg(X, y), opt, "fullrank")

    @jax.jit
    def train(state, key, y):  # the model is rebuilt from traced data inside the step
        return vi.step(linreg(X, y), key, state, opt, num_elbo_samples=4)

    for i in range(400):
        state, info = train(state, jax.random.key(i), y)
    assert np.isfinite(float(info.elbo))
    np.testing.assert_allclose(state.params.mean, mean, atol=0.1)


# ----- NUTS initialisation -------------------------------------------------------------


@pytest.mark.parametrize("method", ["advi", "pathfinder"])
def test_nuts_init(method):
    m = gamma_normal(jnp.array([1.0, 2.0, 4.0]))
    z = vi.nuts_init(m, jax.random.key(0), method=method, num_chains=2, num_steps=300, maxiter=15)
    assert z.shape == (2, 2)
    assert np.all(np.isfinite(np.asarray(jax.vmap(m.logdensity)(z))))
    assert np.all(np.abs(np.asarray(z[:, 1]) - 7 / 3) < 2.0)  # near the posterior of mu


# ----- clear errors --------------------------------------------------------------------


@pplx.model
def with_discrete():
    pplx.sample("k", dist.Poisson(3.0))


@pplx.model
def local_latent(y):
    with pplx.plate("obs", y.shape[0], subsample_size=2) as idx:
        z = pplx.sample("z", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(z, 1.0), obs=y[idx])


def test_errors():
    X, y, *_ = _linreg_data()
    m = linreg(X, y)
    with pytest.raises(TypeError, match="discrete latent site"):
        vi.advi(with_discrete(), jax.random.key(0))
    with pytest.raises(ValueError, match="num_steps must be a positive"):
        vi.advi(m, jax.random.key(0), num_steps=0)
    with pytest.raises(ValueError, match="method must be"):
        vi.advi(m, jax.random.key(0), method="lowrank")
    with pytest.raises(TypeError, match="bound pplx model"):
        vi.find_map(lambda: None)
    with pytest.raises(ValueError, match="subsampled plate"):
        vi.advi(local_latent(jnp.zeros(5)), jax.random.key(0))
    with pytest.raises(ValueError, match="method must be 'advi' or 'pathfinder'"):
        vi.nuts_init(m, jax.random.key(0), method="laplace")
