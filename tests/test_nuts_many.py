"""Many datasets in one program: per-dataset adaptation, conjugate posteriors, equality."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.diagnostics import ess_mean

PRIOR_SD, N_OBS = 1000.0, 10


@pplx.model
def known_scale(y, s):
    mu = pplx.sample("mu", dist.Normal(0.0, PRIOR_SD))
    pplx.sample("y", dist.Normal(mu, s).expand(y.shape).to_event(1), obs=y)


def _datasets(num):
    scales = np.logspace(-2, 2, num)
    z = np.random.default_rng(0).normal(size=(num, N_OBS))
    return [(jnp.asarray(s * (z[i] + 3.0)), jnp.asarray(s)) for i, s in enumerate(scales)]


def _posterior(y, s):
    precision = 1 / PRIOR_SD**2 + y.size / s**2
    return float(jnp.sum(y) / s**2 / precision), float(1 / np.sqrt(precision))


OPTIONS = dict(num_warmup=300, num_samples=300, num_chains=2, chain_method="vectorized")


def test_64_datasets_each_adapt_and_match_the_conjugate_posterior():
    data = _datasets(64)
    res = pplx.infer.nuts_many_run(known_scale, data, jax.random.key(0), **OPTIONS)
    mu = np.asarray(res.draws["mu"])  # (dataset, chain, draw)
    assert mu.shape == (64, 2, 300)
    means, sds = np.array([_posterior(*d) for d in data]).T
    mcse = mu.std(axis=(1, 2)) / np.sqrt([ess_mean(m) for m in mu])
    # 64 datasets: 4.5 MCSE keeps a false alarm below 1e-3 in all
    assert np.all(np.abs(mu.mean(axis=(1, 2)) - means) < 4.5 * mcse)
    # sd of ~600 effective draws: relative error ~3%; 15% is ~5 standard errors
    assert np.all(np.abs(mu.std(axis=(1, 2)) / sds - 1) < 0.15)
    # own adaptation: each inverse mass matrix follows its posterior variance (scales
    # span 1e8 in variance), and the step sizes are the datasets' own
    imm = np.asarray(res.state.inverse_mass_matrix)[:, :, 0]  # (dataset, chain)
    # (Stan's windows shrink the variance towards 1e-3 by 5 / (n + 5): negligible
    # where the posterior sd exceeds 0.1)
    ratio = (imm / sds[:, None] ** 2)[sds > 0.1]
    assert np.all((ratio > 0.3) & (ratio < 3.0)), ratio
    assert imm[-1].min() > 1e5 * imm[0].max()
    step = np.asarray(res.state.step_size)
    assert step.shape == (64, 2) and np.unique(step).size == step.size


def test_equals_each_dataset_alone_with_the_same_key():
    data = _datasets(4)
    key = jax.random.key(1)
    res = pplx.infer.nuts_many_run(known_scale, data, key, **OPTIONS)
    keys = jax.random.split(key, 4)
    for i in (0, 3):
        alone = jax.jit(lambda m, k: pplx.infer.nuts_run(m, k, **OPTIONS))(
            known_scale(*data[i]), keys[i]
        )
        np.testing.assert_allclose(res.draws["mu"][i], alone.draws["mu"], rtol=1e-6)
        np.testing.assert_allclose(res.state.step_size[i], alone.state.step_size, rtol=1e-6)


def test_inferencedata_has_a_dataset_dim_and_ragged_data_fail():
    data = _datasets(3)
    idata = pplx.nuts_many(known_scale, data, jax.random.key(2), **OPTIONS)
    assert dict(idata.posterior["mu"].sizes) == {"chain": 2, "draw": 300, "dataset": 3}
    assert idata.sample_stats["step_size"].sizes["dataset"] == 3
    ragged = data[:2] + [(jnp.ones(N_OBS + 1), jnp.asarray(1.0))]
    with pytest.raises(ValueError, match="ragged: argument 0 of dataset 2"):
        pplx.infer.nuts_many_run(known_scale, ragged, jax.random.key(0))
    with pytest.raises(ValueError, match="non-empty list"):
        pplx.infer.nuts_many_run(known_scale, [], jax.random.key(0))
