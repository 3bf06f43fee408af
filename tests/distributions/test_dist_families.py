"""Generic checks over the distribution table (see ``dist_cases.py``).

Each row runs as one test: compiling is what costs time here (the gamma, beta,
binomial and Poisson samplers take seconds each), so a row compiles its sampler once
and all its density checks (oracle parity for scalar and batched parameters, values
outside the support, gradients and their finite differences) in one more program.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from dist_cases import CASES as CORE_CASES
from dist_cases_extra import EXTRA_CASES
from dist_cases_more import MORE_CASES

NUM_DRAWS = 20_000
FD_STEP = 1e-6
CASES = CORE_CASES + EXTRA_CASES + MORE_CASES


def _expected_batch(case):
    if case.batch_shape is not None:
        return case.batch_shape
    return np.broadcast_shapes(*(np.shape(v) for v in case.batched.values()))


def _fd_stack(args):
    """Perturbed copies of ``args`` (a dict of arrays) for central differences."""
    stacks, steps = {}, {}
    for name, value in args.items():
        value = np.asarray(value, float)
        step = FD_STEP * np.maximum(1e-2, np.abs(value))
        eye = np.eye(value.size).reshape((value.size,) + value.shape)
        up = value + eye * step
        down = value - eye * step
        stacks[name] = np.concatenate([up, down])
        steps[name] = step
    return stacks, steps


def _density_checks(case, points):
    """Everything that needs ``log_prob``, computed by one compiled function."""
    x2 = points[:2]
    grad_args = {name: np.asarray(case.batched[name], float) for name in case.grad_params}
    if not case.discrete and case.value_grad:
        grad_args["value"] = x2
    stacks, steps = _fd_stack(grad_args)

    def lp_sum(args):
        params = {k: v for k, v in args.items() if k != "value"}
        d = case.make(**dict(case.batched, **params))
        return jnp.sum(d.log_prob(args.get("value", x2)))

    def perturbed(name, stack):
        return jax.vmap(lambda v: lp_sum(dict(grad_args, **{name: v})))(stack)

    def run(scalar_params, batched_params, args):
        out = {
            "scalar": case.make(**scalar_params).log_prob(points),
            "batched": case.make(**batched_params).log_prob(points),
            "grad": jax.grad(lp_sum)(args),
            "fd": {name: perturbed(name, stacks[name]) for name in args},
        }
        if case.outside is not None:
            name = (case.grad_params or tuple(scalar_params))[0]

            def lp_out(p):
                d = case.make(**dict(scalar_params, **{name: p}))
                return d.log_prob(jnp.asarray(case.outside))

            out["outside"] = jax.value_and_grad(lp_out)(scalar_params[name])
        return out

    # Parameters enter as tracers: construction must not validate on the host.
    out = jax.jit(run)(case.params, case.batched, grad_args)
    fd = {}
    for name, values in out["fd"].items():
        values = np.asarray(values)
        half = values.shape[0] // 2
        shape = np.shape(grad_args[name])
        fd[name] = ((values[:half] - values[half:]).reshape(shape)) / (2 * steps[name])
    out["fd"] = fd
    return out


def _check_density(case, points):
    out = _density_checks(case, points)
    for which in ("params", "batched"):
        got = np.asarray(out["scalar" if which == "params" else "batched"])
        want = case.oracle(getattr(case, which), points)
        assert got.shape == want.shape, which
        np.testing.assert_allclose(got, want, rtol=case.rtol, atol=1e-10, err_msg=which)
    for name, want in out["fd"].items():
        got = np.asarray(out["grad"][name])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"grad {name}")
    if case.outside is not None:
        value, grad = out["outside"]
        assert float(value) == -np.inf, "log_prob outside the support"
        assert bool(jnp.all(jnp.isfinite(grad))), "gradient outside the support"


def _check_shapes(case, draws):
    key = jax.random.key(0)
    d0 = case.make(**case.params)
    assert d0.batch_shape == ()
    assert isinstance(d0.batch_shape, tuple) and isinstance(d0.event_shape, tuple)
    assert len(d0.event_shape) == case.event_ndim
    assert jax.eval_shape(lambda: d0.sample(key)).shape == d0.event_shape
    d = case.make(**case.batched)
    batch, event = tuple(_expected_batch(case)), d.event_shape
    assert d.batch_shape == batch
    assert draws.shape == (NUM_DRAWS,) + batch + event
    x = jax.eval_shape(lambda: d.sample(key, (4, 2)))
    assert x.shape == (4, 2) + batch + event == d.shape((4, 2))
    assert jax.eval_shape(d.log_prob, x).shape == (4, 2) + batch
    # One value of event shape broadcasts against the batch.
    one = jax.ShapeDtypeStruct(event, x.dtype)
    assert jax.eval_shape(d.log_prob, one).shape == batch
    if case.moments:
        assert d.mean.shape == batch + event
        assert d.variance.shape == batch + event


def _check_draws(case, draws):
    d = case.make(**case.batched)
    assert bool(jnp.all(d.support.check(draws))), "draws outside the support"
    assert d.is_discrete == case.discrete == d.support.is_discrete
    if case.discrete:
        assert np.issubdtype(draws.dtype, np.integer)
    if not case.moments:
        return
    x = draws.astype(float)
    mean, var = np.asarray(d.mean), np.asarray(d.variance)
    n = x.shape[0]
    # Tolerances are 5 Monte Carlo standard errors of each estimator.
    err_mean = np.abs(x.mean(0) - mean) / np.sqrt(var / n)
    assert np.all(err_mean < 5), f"mean off by {err_mean.max():.1f} MCSE"
    m4 = np.mean((x - x.mean(0)) ** 4, axis=0)
    se_var = np.sqrt(np.maximum(m4 - var**2, 0.0) / n)
    assert np.all(np.abs(x.var(0) - var) < 5 * se_var + 1e-12), "variance"


_sample = eqx.filter_jit(lambda d, key, shape: d.sample(key, shape))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_family(case):
    d = case.make(**case.batched)
    draws = np.asarray(_sample(d, jax.random.key(0), (NUM_DRAWS,)))
    _check_shapes(case, draws)
    _check_draws(case, draws)
    _check_density(case, draws[:5])
