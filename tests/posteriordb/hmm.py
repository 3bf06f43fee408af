"""Hidden Markov models of posteriordb: hmm_example and the two basketball-drive models
(bball_drive_event_0 with exponential emissions, bball_drive_event_1 with normal ones).

The hidden states are marginalised with the forward algorithm: gamma[1] = emission[1]
(a flat first state), gamma[t, k] = logsumexp_j(gamma[t-1, j] + log theta[j, k]) +
emission[t, k], log p(y) = logsumexp(gamma[N]), by ``jax.lax.scan``.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

import pplx
import pplx.distributions as dist

C = dist.constraints


def forward_logp(log_emit, log_trans):
    """log p(y) of an HMM from log emissions (N, K) and log transitions (K, K) (rows: from)."""

    def step(gamma_prev, emit_t):
        return logsumexp(gamma_prev[:, None] + log_trans, axis=0) + emit_t, None

    gamma_last, _ = jax.lax.scan(step, log_emit[0], log_emit[1:])
    return logsumexp(gamma_last)


def _normal_prior(name, x, means):
    pplx.factor(name, jnp.sum(dist.Normal(jnp.asarray(means), 1.0).log_prob(x)))


@pplx.model
def hmm_example(y):
    """Flat simplex rows, mu positive ordered with mu1 ~ N(3, 1), mu2 ~ N(10, 1)."""
    theta1 = pplx.sample("theta1", dist.ImproperUniform(C.simplex, (), (2,)))
    theta2 = pplx.sample("theta2", dist.ImproperUniform(C.simplex, (), (2,)))
    mu = pplx.sample("mu", dist.ImproperUniform(C.positive_ordered_vector, (), (2,)))
    _normal_prior("mu_prior", mu, [3.0, 10.0])
    log_emit = dist.Normal(mu, 1.0).log_prob(y[:, None])
    pplx.factor("y", forward_logp(log_emit, jnp.log(jnp.stack([theta1, theta2]))))


def _drive_transitions(alpha):
    theta1 = pplx.sample("theta1", dist.Dirichlet(alpha[0]))
    theta2 = pplx.sample("theta2", dist.Dirichlet(alpha[1]))
    return jnp.log(jnp.stack([theta1, theta2]))


@pplx.model
def hmm_drive_0(u, v, alpha):
    """Exponential emissions of 1/speed (rate phi) and hoop distance (rate lambda)."""
    log_trans = _drive_transitions(alpha)
    phi = pplx.sample("phi", dist.ImproperUniform(C.positive_ordered_vector, (), (2,)))
    lam = pplx.sample("lambda", dist.ImproperUniform(C.positive_ordered_vector, (), (2,)))
    _normal_prior("phi_prior", phi, [0.0, 3.0])
    _normal_prior("lambda_prior", lam, [0.0, 3.0])
    log_emit = dist.Exponential(phi).log_prob(u[:, None]) + dist.Exponential(lam).log_prob(
        v[:, None]
    )
    pplx.factor("uv", forward_logp(log_emit, log_trans))


@pplx.model
def hmm_drive_1(u, v, alpha, tau, rho):
    """Normal emissions (sds tau, rho given); phi and lambda ordered."""
    log_trans = _drive_transitions(alpha)
    phi = pplx.sample("phi", dist.ImproperUniform(C.ordered_vector, (), (2,)))
    lam = pplx.sample("lambda", dist.ImproperUniform(C.ordered_vector, (), (2,)))
    _normal_prior("phi_prior", phi, [0.0, 3.0])
    _normal_prior("lambda_prior", lam, [0.0, 3.0])
    log_emit = dist.Normal(phi, tau).log_prob(u[:, None]) + dist.Normal(lam, rho).log_prob(
        v[:, None]
    )
    pplx.factor("uv", forward_logp(log_emit, log_trans))


def _f(x):
    return np.asarray(x, dtype=np.float64)


def hmm_example_data(d):
    return {"y": _f(d["y"])}


def drive_data(d, normal):
    out = {"u": _f(d["u"]), "v": _f(d["v"]), "alpha": _f(d["alpha"])}
    if normal:
        out.update(tau=_f(d["tau"]), rho=_f(d["rho"]))
    return out
