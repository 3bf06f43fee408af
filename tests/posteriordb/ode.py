"""ODE models of posteriordb: hudson_lynx_hare-lotka_volterra and one_comp_mm_elim_abs.

The pattern (diffrax, the optional ``ode`` extra: ``pip install pplx[ode]``): solve the
ODE inside the model with ``diffrax.diffeqsolve`` at the observation times and use the
solution as the mean of the likelihood. NUTS differentiates through the solver (diffrax's
default ``RecursiveCheckpointAdjoint``). A failed solve (too many steps, as in the far
tails during warmup) gives NaN states, hence a log density of -inf there: a rejected
proposal, never an exception inside the compiled sampler. diffrax is imported when a
model runs, so this module imports without it.
"""

import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist

C = dist.constraints


def solve_ode(rhs, y0, t0, ts, args, *, stiff=False, rtol=1e-6, atol=1e-6, max_steps=4096):
    """States at times ``ts`` of dy/dt = rhs(t, y, args), y(t0) = y0; NaN where it fails.

    Args:
        rhs: the vector field ``rhs(t, y, args) -> dy/dt`` (JAX-traceable).
        y0: the initial state, shape ``(n,)``.
        t0: the initial time (at most ``ts[0]``).
        ts: the increasing output times, shape ``(T,)``.
        args: the parameters passed to ``rhs``.
        stiff: an implicit solver (Kvaerno5, as Stan's BDF) instead of Tsit5 (Stan's rk45).
        rtol, atol, max_steps: step-size control and the step budget.

    Returns:
        The states, shape ``(T, n)``.
    """
    import diffrax

    solver = diffrax.Kvaerno5() if stiff else diffrax.Tsit5()
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(rhs),
        solver,
        t0=t0,
        t1=ts[-1],
        dt0=None,
        y0=y0,
        args=args,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=max_steps,
        throw=False,
    )
    ok = sol.result == diffrax.RESULTS.successful
    return jnp.where(ok, sol.ys, jnp.nan)


def lotka_volterra_rhs(t, z, theta):
    """du/dt = (alpha - beta v) u, dv/dt = (-gamma + delta u) v."""
    u, v = z[0], z[1]
    alpha, beta, gamma, delta = theta[0], theta[1], theta[2], theta[3]
    return jnp.stack([(alpha - beta * v) * u, (-gamma + delta * u) * v])


@pplx.model
def lotka_volterra(ts, y_init, y):
    """theta > 0 with normal priors (half-truncated), sigma and z_init log-normal."""
    loc = jnp.array([1.0, 0.05, 1.0, 0.05])
    scale = jnp.array([0.5, 0.05, 0.5, 0.05])
    # flat on theta > 0 plus the normal density: the half-truncated normal up to a
    # constant (TruncatedNormal(low=0) maps unconstrained 0 to +inf in pplx today)
    theta = pplx.sample("theta", dist.ImproperUniform(C.positive, (), (4,)))
    pplx.factor("theta_prior", jnp.sum(dist.Normal(loc, scale).log_prob(theta)))
    z_init = pplx.sample("z_init", dist.LogNormal(jnp.log(10.0), 1.0).expand((2,)).to_event(1))
    sigma = pplx.sample("sigma", dist.LogNormal(-1.0, 1.0).expand((2,)).to_event(1))
    z = solve_ode(lotka_volterra_rhs, z_init, 0.0, ts, theta, rtol=1e-6, atol=1e-6)
    pplx.sample("y_init", dist.LogNormal(jnp.log(z_init), sigma).to_event(1), obs=y_init)
    with pplx.plate("time", ts.shape[0]):
        pplx.sample("y", dist.LogNormal(jnp.log(z), sigma).to_event(1), obs=y)


def one_comp_rhs(t, c, args):
    """dC/dt = (t > 0 ? exp(-k_a t) D k_a / V : 0) - (V_m / V) C / (K_m + C)."""
    k_a, K_m, V_m, D, V = args
    dose = jnp.where(t > 0, jnp.exp(-k_a * t) * D * k_a / V, 0.0)
    return dose - (V_m / V) * c / (K_m + c)


@pplx.model
def one_comp_mm_elim_abs(t0, D, V, times, C_hat):
    """k_a, K_m, V_m, sigma ~ half-Cauchy(1); C_hat ~ lognormal(log C(t), sigma)."""
    k_a = pplx.sample("k_a", dist.HalfCauchy(1.0))
    K_m = pplx.sample("K_m", dist.HalfCauchy(1.0))
    V_m = pplx.sample("V_m", dist.HalfCauchy(1.0))
    sigma = pplx.sample("sigma", dist.HalfCauchy(1.0))
    # Tsit5, not Kvaerno5 (Stan: BDF): the implicit solver's linear solve raises on the
    # NaN input of a far-tail proposal inside the compiled sampler (lineax), Tsit5 cannot
    c = solve_ode(one_comp_rhs, jnp.zeros(1), t0, times, (k_a, K_m, V_m, D, V))
    with pplx.plate("time", times.shape[0]):
        pplx.sample("C_hat", dist.LogNormal(jnp.log(c[:, 0]), sigma), obs=C_hat)


def _f(x):
    return np.asarray(x, dtype=np.float64)


def lotka_volterra_data(d):
    return {"ts": _f(d["ts"]), "y_init": _f(d["y_init"]), "y": _f(d["y"])}


def one_comp_data(d):
    return {k: _f(d[k]) for k in ("t0", "D", "V", "times", "C_hat")}
