"""The matrix, spatial, time-series and combinator families work as model sites: as
latents (their support maps to an unconstrained vector, the log density and its gradient
are finite, and the constrained value lands in the support) and as observed data."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

W = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], float)

LATENTS = {
    "Wishart": lambda: dist.Wishart(5.0, jnp.eye(3)),
    "MatrixNormal": lambda: dist.MatrixNormal(
        jnp.zeros((2, 3)), row_cov=jnp.eye(2), col_cov=2.0 * jnp.eye(3)
    ),
    "CAR": lambda: dist.CAR(jnp.zeros(4), W, 0.7, 2.0),
    "GaussianRandomWalk": lambda: dist.GaussianRandomWalk(0.1, 0.5, steps=6),
    "AR": lambda: dist.AR(jnp.array([0.5, -0.2]), 1.0, steps=5),
    "GARCH11": lambda: dist.GARCH11(0.1, 0.2, 0.5, 1.0, steps=5),
    "NormalMixture": lambda: dist.NormalMixture(
        jnp.array([0.3, 0.7]), jnp.array([-1.0, 2.0]), jnp.array([0.5, 1.0])
    ),
    "TransformedDistribution": lambda: dist.TransformedDistribution(
        dist.Normal(0.0, 1.0), dist.Exp()
    ),
    "CustomDist": lambda: dist.CustomDist(
        lambda x, s: -0.5 * (x / s) ** 2 - jnp.log(s), params=(2.0,)
    ),
}


@pytest.mark.parametrize("name", list(LATENTS))
def test_family_as_a_latent_site(name):
    make = LATENTS[name]

    @pplx.model
    def latent():
        pplx.sample("x", make())

    m = latent()
    z = jax.random.uniform(jax.random.key(0), (m.num_dims,), minval=-1.0, maxval=1.0)
    value, grad = jax.value_and_grad(m.logdensity)(z)
    assert np.isfinite(float(value)), name
    assert np.all(np.isfinite(np.asarray(grad))), name
    x = m.constrain(z)["x"]
    d = make()
    assert x.shape == d.shape(), name
    assert bool(jnp.all(d.support.check(x))), name
    # the model's density without the Jacobian is the family's own log density
    np.testing.assert_allclose(m.logp({"x": x}, jacobian=False), d.log_prob(x), rtol=1e-10)


def test_hmm_and_hurdle_as_observed_sites():
    y = jnp.array([0.1, 2.3, 1.9, -0.2, 0.0])
    counts = jnp.array([0.0, 3.0, 0.0, 1.0])

    @pplx.model
    def observed(y, counts):
        sd = pplx.sample("sd", dist.HalfNormal(1.0))
        psi = pplx.sample("psi", dist.Beta(2.0, 2.0))
        hmm = dist.GaussianHMM(
            jnp.array([0.5, 0.5]),
            jnp.array([[0.9, 0.1], [0.2, 0.8]]),
            jnp.array([0.0, 2.0]),
            sd,
            num_steps=y.shape[0],
        )
        pplx.sample("y", hmm, obs=y)
        pplx.sample("counts", dist.HurdlePoisson(psi, 2.0).expand(counts.shape), obs=counts)

    m = observed(y, counts)
    value, grad = jax.value_and_grad(m.logdensity)(jnp.zeros(m.num_dims))
    assert np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad)))
    point = {"sd": 1.0, "psi": 0.5}
    hmm = dist.GaussianHMM(
        jnp.array([0.5, 0.5]),
        jnp.array([[0.9, 0.1], [0.2, 0.8]]),
        jnp.array([0.0, 2.0]),
        1.0,
        num_steps=5,
    )
    want = (
        dist.HalfNormal(1.0).log_prob(1.0)
        + dist.Beta(2.0, 2.0).log_prob(0.5)
        + hmm.log_prob(y)
        + jnp.sum(dist.HurdlePoisson(0.5, 2.0).log_prob(counts))
    )
    np.testing.assert_allclose(m.logp(point, jacobian=False), want, rtol=1e-10)
