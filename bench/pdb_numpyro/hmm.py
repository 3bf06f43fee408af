"""NumPyro versions of posteriordb's basketball-drive hidden Markov models
(hmm_example is ``bench.models_numpyro``'s).

The two hidden states are summed out by the forward recursion in log space; the first
state has no initial distribution in the Stan programs (a flat start).
"""

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def log_forward(log_emit, log_trans):
    """log p(observations) from log emissions (T, K) and log transitions (K, K), row = from."""

    def advance(log_alpha, emit_t):
        # alpha_t[k] = emit_t[k] * sum_j alpha_{t-1}[j] * trans[j, k], rescaled in log space
        shift = jnp.max(log_alpha)
        mixed = jnp.log(jnp.exp(log_alpha - shift) @ jnp.exp(log_trans)) + shift
        return mixed + emit_t, None

    last, _ = jax.lax.scan(advance, log_emit[0], log_emit[1:])
    return jax.nn.logsumexp(last)


def _transitions(alpha):
    rows = [numpyro.sample(f"theta{k + 1}", dist.Dirichlet(alpha[k])) for k in range(2)]
    return jnp.log(jnp.stack(rows))


def _ordered(name, support):
    value = numpyro.sample(name, dist.ImproperUniform(support, (), (2,)))
    prior = dist.Normal(jnp.array([0.0, 3.0]), 1.0).log_prob(value).sum()
    numpyro.factor(f"{name}_prior", prior)
    return value


def hmm_drive_0(u, v, alpha):
    """Exponential emissions: 1/speed with rate phi, hoop distance with rate lambda."""
    log_trans = _transitions(alpha)
    phi = _ordered("phi", constraints.positive_ordered_vector)
    lam = _ordered("lambda", constraints.positive_ordered_vector)
    log_emit = dist.Exponential(phi[None, :]).log_prob(u[:, None]) + dist.Exponential(
        lam[None, :]
    ).log_prob(v[:, None])
    numpyro.factor("uv", log_forward(log_emit, log_trans))


def hmm_drive_1(u, v, alpha, tau, rho):
    """Normal emissions with known sds tau and rho; phi and lambda ordered."""
    log_trans = _transitions(alpha)
    phi = _ordered("phi", constraints.ordered_vector)
    lam = _ordered("lambda", constraints.ordered_vector)
    log_emit = dist.Normal(phi[None, :], tau).log_prob(u[:, None]) + dist.Normal(
        lam[None, :], rho
    ).log_prob(v[:, None])
    numpyro.factor("uv", log_forward(log_emit, log_trans))
