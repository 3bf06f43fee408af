"""Run until converged: the JAX estimators against ArviZ, and the stopping rule's oracles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pplx.diagnostics import jax_estimators as je


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
