"""The benchmark posteriors as plain-JAX log densities, for BlackJAX.

Each model is a function ``model(data, u) -> (logdensity, values)`` where ``u`` is a
dict of unconstrained parameters (named like the pplx and NumPyro sites), the log
density includes the log|Jacobian| of the map to the constrained space, and
``values`` holds the constrained parameters and deterministics named as in posteriordb.

The unconstrained parameterisations follow NumPyro's ``biject_to`` (exp for positive,
scaled logistic for an interval, first value plus cumulative exp for ordered, the
shifted stick-breaking map for a simplex), so that the densities can be compared with
NumPyro's potential at the same point, exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, logsumexp

from bench.common import model_data

LOG_2PI = math.log(2.0 * math.pi)

# ---------------------------------------------------------------------------------
# Log densities (normalised, like NumPyro's and pplx's).


def normal_lpdf(x, loc, scale):
    z = (x - loc) / scale
    return -0.5 * z * z - jnp.log(scale) - 0.5 * LOG_2PI


def half_normal_lpdf(x, scale):
    return normal_lpdf(x, 0.0, scale) + math.log(2.0)


def cauchy_lpdf(x, loc, scale):
    z = (x - loc) / scale
    return -math.log(math.pi) - jnp.log(scale) - jnp.log1p(z * z)


def half_cauchy_lpdf(x, scale):
    return cauchy_lpdf(x, 0.0, scale) + math.log(2.0)


def student_t_lpdf(x, df, loc, scale):
    z = (x - loc) / scale
    return (
        gammaln(0.5 * (df + 1.0))
        - gammaln(0.5 * df)
        - 0.5 * jnp.log(df * math.pi)
        - jnp.log(scale)
        - 0.5 * (df + 1.0) * jnp.log1p(z * z / df)
    )


def gamma_lpdf(x, concentration, rate):
    return (
        concentration * jnp.log(rate)
        - gammaln(concentration)
        + (concentration - 1.0) * jnp.log(x)
        - rate * x
    )


def beta_lpdf(x, a, b):
    return (
        (a - 1.0) * jnp.log(x)
        + (b - 1.0) * jnp.log1p(-x)
        - (gammaln(a) + gammaln(b) - gammaln(a + b))
    )


def poisson_log_lpmf(k, log_rate):
    return k * log_rate - jnp.exp(log_rate) - gammaln(k + 1.0)


# ---------------------------------------------------------------------------------
# Maps from the unconstrained space, each returning (value, log|det J|).


def to_positive(u):
    return jnp.exp(u), jnp.sum(u)


def to_interval(u, lo, hi):
    value = lo + (hi - lo) * jax.nn.sigmoid(u)
    log_det = jnp.log(hi - lo) + jax.nn.log_sigmoid(u) + jax.nn.log_sigmoid(-u)
    return value, jnp.sum(log_det)


def to_ordered(u):
    value = jnp.cumsum(jnp.concatenate([u[:1], jnp.exp(u[1:])]))
    return value, jnp.sum(u[1:])


def to_positive_ordered(u):
    ordered, log_det = to_ordered(u)
    return jnp.exp(ordered), log_det + jnp.sum(ordered)


def to_simplex(u):
    """Stick breaking with a shift so that u = 0 maps to the uniform simplex."""
    k1 = u.shape[-1]
    fractions = jax.nn.sigmoid(u - jnp.log(k1 - jnp.arange(k1)))
    remaining = jnp.concatenate([jnp.ones(1), jnp.cumprod(1.0 - fractions)])
    value = jnp.concatenate([fractions * remaining[:-1], remaining[-1:]])
    log_det = jnp.sum(jnp.log(remaining[:-1]) + jnp.log(fractions) + jnp.log1p(-fractions))
    return value, log_det


# ---------------------------------------------------------------------------------
# The models.


def eight_schools(data, u):
    mu, tau_u, z = u["mu"], u["tau"], u["theta_trans"]
    tau, jac = to_positive(tau_u)
    theta = mu + tau * z
    lp = (
        normal_lpdf(mu, 0.0, 5.0)
        + half_cauchy_lpdf(tau, 5.0)
        + jnp.sum(normal_lpdf(z, 0.0, 1.0))
        + jnp.sum(normal_lpdf(data["y"], theta, data["sigma"]))
    )
    return lp + jac, {"mu": mu, "tau": tau, "theta": theta}


def kidiq(data, u):
    beta = u["beta"]
    sigma, jac = to_positive(u["sigma"])
    mean = beta[0] + beta[1] * data["mom_hs"] + beta[2] * data["mom_iq"]
    lp = half_cauchy_lpdf(sigma, 2.5) + jnp.sum(normal_lpdf(data["kid_score"], mean, sigma))
    return lp + jac, {"beta": beta, "sigma": sigma}


def earnings(data, u):
    beta = u["beta"]
    sigma, jac = to_positive(u["sigma"])
    h, m = data["height"], data["male"]
    mean = beta[0] + beta[1] * h + beta[2] * m + beta[3] * h * m
    lp = jnp.sum(normal_lpdf(data["log_earn"], mean, sigma))
    return lp + jac, {"beta": beta, "sigma": sigma}


def nes(data, u):
    beta = u["beta"]
    sigma, jac = to_positive(u["sigma"])
    mean = beta[0] + data["x"] @ beta[1:]
    lp = jnp.sum(normal_lpdf(data["partyid7"], mean, sigma))
    return lp + jac, {"beta": beta, "sigma": sigma}


def sblrc(data, u):
    beta = u["beta"]
    sigma, jac = to_positive(u["sigma"])
    lp = (
        jnp.sum(normal_lpdf(beta, 0.0, 10.0))
        + half_normal_lpdf(sigma, 10.0)
        + jnp.sum(normal_lpdf(data["y"], data["X"] @ beta, sigma))
    )
    return lp + jac, {"beta": beta, "sigma": sigma}


def ark(data, u):
    alpha, beta = u["alpha"], u["beta"]
    sigma, jac = to_positive(u["sigma"])
    mean = alpha + data["lags"] @ beta
    lp = (
        normal_lpdf(alpha, 0.0, 10.0)
        + jnp.sum(normal_lpdf(beta, 0.0, 10.0))
        + half_cauchy_lpdf(sigma, 2.5)
        + jnp.sum(normal_lpdf(data["y_obs"], mean, sigma))
    )
    return lp + jac, {"alpha": alpha, "beta": beta, "sigma": sigma}


def garch_sigma(y, sigma1, mu, alpha0, alpha1, beta1):
    """sigma[t] = sqrt(alpha0 + alpha1 (y[t-1] - mu)^2 + beta1 sigma[t-1]^2), by scan."""

    def step(sigma_prev, y_prev):
        sigma = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * sigma_prev**2)
        return sigma, sigma

    _, rest = jax.lax.scan(step, sigma1, y[:-1])
    return jnp.concatenate([jnp.reshape(sigma1, (1,)), rest])


def garch(data, u):
    mu = u["mu"]
    alpha0, jac0 = to_positive(u["alpha0"])
    alpha1, jac1 = to_interval(u["alpha1"], 0.0, 1.0)
    # the upper bound of beta1 is evaluated at this draw's alpha1
    beta1, jac2 = to_interval(u["beta1"], 0.0, 1.0 - alpha1)
    sigma = garch_sigma(data["y"], data["sigma1"], mu, alpha0, alpha1, beta1)
    lp = jnp.sum(normal_lpdf(data["y"], mu, sigma))
    values = {"mu": mu, "alpha0": alpha0, "alpha1": alpha1, "beta1": beta1}
    return lp + jac0 + jac1 + jac2, values


def gp_cholesky(x, alpha, rho):
    d = x[:, None] - x[None, :]
    cov = alpha**2 * jnp.exp(-(d**2) / (2.0 * rho**2)) + 1e-10 * jnp.eye(x.shape[0])
    return jnp.linalg.cholesky(cov)


def gp_pois_regr(data, u):
    rho, jac_r = to_positive(u["rho"])
    alpha, jac_a = to_positive(u["alpha"])
    f_tilde = u["f_tilde"]
    f = gp_cholesky(data["x"], alpha, rho) @ f_tilde
    lp = (
        gamma_lpdf(rho, 25.0, 4.0)
        + half_normal_lpdf(alpha, 2.0)
        + jnp.sum(normal_lpdf(f_tilde, 0.0, 1.0))
        + jnp.sum(poisson_log_lpmf(data["k"], f))
    )
    return lp + jac_r + jac_a, {"rho": rho, "alpha": alpha, "f": f}


def gauss_mix(data, u):
    mu, jac_m = to_ordered(u["mu"])
    sigma, jac_s = to_positive(u["sigma"])
    theta, jac_t = to_interval(u["theta"], 0.0, 1.0)
    y = data["y"]
    lik = jnp.logaddexp(
        jnp.log(theta) + normal_lpdf(y, mu[0], sigma[0]),
        jnp.log1p(-theta) + normal_lpdf(y, mu[1], sigma[1]),
    )
    lp = (
        jnp.sum(normal_lpdf(mu, 0.0, 2.0))
        + jnp.sum(half_normal_lpdf(sigma, 2.0))
        + beta_lpdf(theta, 5.0, 5.0)
        + jnp.sum(lik)
    )
    return lp + jac_m + jac_s + jac_t, {"mu": mu, "sigma": sigma, "theta": theta}


def student_t_sigma_prior(sigma):
    """Half Student-t(3, 0, 10) on sigma > 0: the Student-t density doubled."""
    return student_t_lpdf(sigma, 3.0, 0.0, 10.0) + math.log(2.0)


def diamonds(data, u):
    b, intercept = u["b"], u["Intercept"]
    sigma, jac = to_positive(u["sigma"])
    mean = intercept + data["Xc"] @ b
    lp = (
        jnp.sum(normal_lpdf(b, 0.0, 1.0))
        + student_t_lpdf(intercept, 3.0, 8.0, 10.0)
        + student_t_sigma_prior(sigma)
        + jnp.sum(normal_lpdf(data["Y"], mean, sigma))
    )
    return lp + jac, {"b": b, "Intercept": intercept, "sigma": sigma}


def hmm_forward(y, log_trans, mu):
    """log p(y | transitions, mu) by the forward algorithm; the first state is flat."""
    emit = normal_lpdf(y[:, None], mu[None, :], 1.0)  # (N, K)

    def step(gamma_prev, emit_t):
        gamma = logsumexp(gamma_prev[:, None] + log_trans, axis=0) + emit_t
        return gamma, None

    gamma_last, _ = jax.lax.scan(step, emit[0], emit[1:])
    return logsumexp(gamma_last)


def hmm_example(data, u):
    theta1, jac1 = to_simplex(u["theta1"])
    theta2, jac2 = to_simplex(u["theta2"])
    mu, jac_m = to_positive_ordered(u["mu"])
    log_trans = jnp.log(jnp.stack([theta1, theta2]))
    lp = (
        normal_lpdf(mu[0], 3.0, 1.0)
        + normal_lpdf(mu[1], 10.0, 1.0)
        + hmm_forward(data["y"], log_trans, mu)
    )
    return lp + jac1 + jac2 + jac_m, {"theta1": theta1, "theta2": theta2, "mu": mu}


# ---------------------------------------------------------------------------------
# Registry: model function and unconstrained shapes (given the data).

MODELS: dict[str, tuple[Callable, Callable]] = {
    "eight_schools-eight_schools_noncentered": (
        eight_schools,
        lambda d: {"mu": (), "tau": (), "theta_trans": d["y"].shape},
    ),
    "kidiq-kidscore_momhsiq": (kidiq, lambda d: {"beta": (3,), "sigma": ()}),
    "earnings-logearn_interaction": (earnings, lambda d: {"beta": (4,), "sigma": ()}),
    "nes2000-nes": (nes, lambda d: {"beta": (d["x"].shape[1] + 1,), "sigma": ()}),
    "sblrc-blr": (sblrc, lambda d: {"beta": (d["X"].shape[1],), "sigma": ()}),
    "arK-arK": (ark, lambda d: {"alpha": (), "beta": (d["lags"].shape[1],), "sigma": ()}),
    "garch-garch11": (garch, lambda d: {"mu": (), "alpha0": (), "alpha1": (), "beta1": ()}),
    "gp_pois_regr-gp_pois_regr": (
        gp_pois_regr,
        lambda d: {"rho": (), "alpha": (), "f_tilde": d["x"].shape},
    ),
    "low_dim_gauss_mix-low_dim_gauss_mix": (
        gauss_mix,
        lambda d: {"mu": (2,), "sigma": (2,), "theta": ()},
    ),
    "diamonds-diamonds": (
        diamonds,
        lambda d: {"b": (d["Xc"].shape[1],), "Intercept": (), "sigma": ()},
    ),
    "hmm_example-hmm_example": (
        hmm_example,
        lambda d: {"theta1": (1,), "theta2": (1,), "mu": (2,)},
    ),
}


class BlackJAXModel:
    """A posterior as BlackJAX sees it: a log density on a dict of unconstrained arrays."""

    def __init__(self, posterior: str):
        fn, shapes = MODELS[posterior]
        data = {k: jnp.asarray(v) for k, v in model_data(posterior).items()}
        self.posterior = posterior
        self.data = data
        self.shapes = shapes(data)
        self._fn = fn

    def logdensity(self, u):
        return self._fn(self.data, u)[0]

    def constrain(self, u):
        return self._fn(self.data, u)[1]

    def initial_position(self, key, radius: float = 2.0):
        """Uniform on (-radius, radius) in every unconstrained coordinate (Stan's rule)."""
        keys = jax.random.split(key, len(self.shapes))
        return {
            name: jax.random.uniform(k, shape, minval=-radius, maxval=radius)
            for k, (name, shape) in zip(keys, sorted(self.shapes.items()), strict=True)
        }
