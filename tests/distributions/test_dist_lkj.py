"""LKJ: the density integrates to one and the sampler has the known marginals."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import pplx.distributions as dist


@pytest.mark.parametrize("eta", [0.8, 1.0, 2.5])
def test_lkj_cholesky_integrates_to_one(eta):
    # Integrate over the three partial correlations z in (-1, 1)^3 by Gauss-Legendre;
    # dL/dz = (dL/dx) / (dz/dx) with x = arctanh(z).
    nodes, weights = np.polynomial.legendre.leggauss(40)
    grid = np.stack(np.meshgrid(nodes, nodes, nodes, indexing="ij"), -1).reshape(-1, 3)
    w = np.prod(np.stack(np.meshgrid(weights, weights, weights, indexing="ij"), -1), -1)

    @jax.jit
    def integrand(z):
        chol, log_det = dist.CorrCholeskyBijector().forward_and_log_det(jnp.arctanh(z))
        log_dz = jnp.sum(jnp.log1p(-(z**2)), axis=-1)
        return jnp.exp(dist.LKJCholesky(3, eta).log_prob(chol) + log_det - log_dz)

    total = float(np.sum(w.reshape(-1) * np.asarray(integrand(jnp.asarray(grid)))))
    assert abs(total - 1.0) < 2e-3


def test_lkj_corr_marginals_are_beta():
    # Each off-diagonal correlation is 2 Beta(eta - 1 + n/2, eta - 1 + n/2) - 1.
    n, eta = 4, 2.0
    corr = dist.LKJCorr(n, eta).sample(jax.random.key(0), (4000,))
    a = eta - 1 + n / 2
    for i, j in [(1, 0), (3, 0), (3, 2)]:
        r = (np.asarray(corr[:, i, j]) + 1) / 2
        assert stats.kstest(r, stats.beta(a, a).cdf).pvalue > 1e-3
