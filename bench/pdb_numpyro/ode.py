"""NumPyro versions of posteriordb's ODE models, solved with diffrax as pplx's are.

The solver call, the vector fields and the tolerances are ``tests.posteriordb.ode``'s
(pure JAX, no pplx in them), so a difference between the two libraries' results is a
difference of the samplers, not of the solves.
"""

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

from tests.posteriordb.ode import lotka_volterra_rhs, one_comp_rhs, solve_ode


def lotka_volterra(ts, y_init, y):
    """theta > 0 with truncated-normal priors, z_init and sigma log-normal."""
    loc = jnp.array([1.0, 0.05, 1.0, 0.05])
    scale = jnp.array([0.5, 0.05, 0.5, 0.05])
    theta = numpyro.sample("theta", dist.TruncatedNormal(loc, scale, low=0.0).to_event(1))
    z_init = numpyro.sample("z_init", dist.LogNormal(jnp.log(10.0), 1.0).expand([2]).to_event(1))
    sigma = numpyro.sample("sigma", dist.LogNormal(-1.0, 1.0).expand([2]).to_event(1))
    z = solve_ode(lotka_volterra_rhs, z_init, 0.0, ts, theta, rtol=1e-6, atol=1e-6)
    numpyro.sample("y_init", dist.LogNormal(jnp.log(z_init), sigma).to_event(1), obs=y_init)
    with numpyro.plate("time", ts.shape[0]):
        numpyro.sample("y", dist.LogNormal(jnp.log(z), sigma).to_event(1), obs=y)


def one_comp_mm_elim_abs(t0, D, V, times, C_hat):
    """k_a, K_m, V_m, sigma ~ half-Cauchy(1); C_hat log-normal around the solved C(t)."""
    k_a = numpyro.sample("k_a", dist.HalfCauchy(1.0))
    K_m = numpyro.sample("K_m", dist.HalfCauchy(1.0))
    V_m = numpyro.sample("V_m", dist.HalfCauchy(1.0))
    sigma = numpyro.sample("sigma", dist.HalfCauchy(1.0))
    c = solve_ode(one_comp_rhs, jnp.zeros(1), t0, times, (k_a, K_m, V_m, D, V))
    with numpyro.plate("time", times.shape[0]):
        numpyro.sample("C_hat", dist.LogNormal(jnp.log(c[:, 0]), sigma), obs=C_hat)
