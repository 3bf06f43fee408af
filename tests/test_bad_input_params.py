"""Bad parameters and starting points: nothing is repaired quietly, and a check names
the site and the parameter, with a value the user can recognise (never the value at the
centre of the unconstrained space when the model is valid elsewhere). Each row: (what is
wrong, a call, the exception type, words the message must contain).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist

NOT_SYMMETRIC = np.array([[1.0, 0.5], [0.0, 1.0]])
RUN = dict(num_warmup=10, num_samples=10, num_chains=1, progress_bar=False)


def _bind(body, *data):
    return lambda: pplx.model(body)(*data)


def scale_from_latent(y):
    a = pplx.sample("a", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(0.0, a), obs=y)  # a < 0 half the time: invalid


def constant_bad_scale(y):
    pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Normal(0.0, -1.0), obs=y)


def probs_in_a_model(y):
    pplx.sample("mu", dist.Normal(0.0, 1.0))
    pplx.sample("y", dist.Categorical(probs=jnp.array([0.2, 0.3])), obs=y)


def half_normal_scale(y):
    s = pplx.sample("s", dist.HalfNormal(1.0))
    pplx.sample("y", dist.Normal(0.0, s), obs=y)


def markov_rows(y):
    x = pplx.markov("x", jnp.array([0.5, 0.5]), jnp.array([[0.9, 0.3], [0.5, 0.5]]), num_steps=3)
    with pplx.plate("t", 3):
        pplx.sample("y", dist.Normal(x, 1.0), obs=y)


MODEL = pplx.model(half_normal_scale)(jnp.ones(3))
CASES = [
    (
        "Categorical probs summing to 2",
        lambda: dist.Categorical(probs=jnp.array([0.5, 1.5])),
        ValueError,
        ["Categorical: probs must sum to 1", "got 2.0", "logits"],
    ),
    (
        "Multinomial probs summing to 0.5",
        lambda: dist.Multinomial(3, probs=jnp.array([0.2, 0.3])),
        ValueError,
        ["Multinomial: probs must sum to 1", "got 0.5"],
    ),
    (
        "Mixture weights summing to 0.5",
        lambda: dist.Mixture(jnp.array([0.2, 0.3]), dist.Normal(jnp.zeros(2), 1.0)),
        ValueError,
        ["Mixture: mixing must sum to 1", "got 0.5"],
    ),
    (
        "NormalMixture weights summing to 2",
        lambda: dist.NormalMixture(jnp.ones(2), jnp.zeros(2), 1.0),
        ValueError,
        ["NormalMixture: w must sum to 1", "got 2.0"],
    ),
    (
        "one batch row of probs not summing to one",
        lambda: dist.Categorical(probs=jnp.array([[0.5, 0.5], [0.5, 0.6]])),
        ValueError,
        ["got 1.1", "(row (1,))"],
    ),
    (
        "GaussianHMM transition rows not summing to one",
        lambda: dist.GaussianHMM(
            jnp.array([0.5, 0.5]), jnp.ones((2, 2)), jnp.zeros(2), jnp.ones(2), num_steps=3
        ),
        ValueError,
        ["transition_matrix must sum to 1", "got 2.0"],
    ),
    (
        "a Markov chain's transition rows not summing to one",
        _bind(markov_rows, jnp.zeros(3)),
        ValueError,
        ["site 'x'", "transition_matrix must sum to 1", "got 1.2", "(row (0,))"],
    ),
    (
        "a non-symmetric covariance",
        lambda: dist.MultivariateNormal(jnp.zeros(2), covariance_matrix=NOT_SYMMETRIC),
        ValueError,
        ["MultivariateNormal: covariance_matrix must be symmetric", "(0, 1) is 0.5"],
    ),
    (
        "a non-symmetric precision",
        lambda: dist.MultivariateNormal(jnp.zeros(2), precision_matrix=NOT_SYMMETRIC),
        ValueError,
        ["precision_matrix must be symmetric"],
    ),
    (
        "a non-symmetric Student-t scale",
        lambda: dist.MultivariateStudentT(3.0, jnp.zeros(2), covariance_matrix=NOT_SYMMETRIC),
        ValueError,
        ["MultivariateStudentT: covariance_matrix must be symmetric"],
    ),
    (
        "probs not summing to one inside a model name the site",
        _bind(probs_in_a_model, jnp.array([0, 1])),
        ValueError,
        ["site 'y'", "Categorical: probs must sum to 1"],
    ),
    (
        "a scale that is negative at a prior draw of its latent",
        _bind(scale_from_latent, jnp.ones(3)),
        ValueError,
        ["site 'y'", "Normal: scale must be positive", "a draw from their priors"],
    ),
    (
        "a constant bad scale is reported as written",
        _bind(constant_bad_scale, jnp.ones(3)),
        ValueError,
        ["site 'y': Normal: scale must be positive, got -1.0"],
    ),
    (
        "init outside the support of the site's family",
        lambda: pplx.nuts(MODEL, 0, init={"s": -1.0}, **RUN),
        ValueError,
        ["init for site 's'", "-1.0", "outside the support", "HalfNormal"],
    ),
    (
        "init with an unknown site",
        lambda: pplx.nuts(MODEL, 0, init={"sigma": 1.0}, **RUN),
        ValueError,
        ["'sigma'", "['s']"],
    ),
]


@pytest.mark.parametrize("what, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_parameter_gets_a_clear_error(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (what, str(info.value))


def test_symmetric_up_to_rounding_is_accepted():
    # the oracle: the same density as with the exactly symmetric matrix
    a = np.random.default_rng(0).normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    rounded = cov + np.triu(np.full((3, 3), 1e-12), 1)
    x = jnp.ones(3)
    exact = dist.MultivariateNormal(jnp.zeros(3), covariance_matrix=cov).log_prob(x)
    near = dist.MultivariateNormal(jnp.zeros(3), covariance_matrix=rounded).log_prob(x)
    np.testing.assert_allclose(near, exact, rtol=1e-10)


def test_a_model_valid_away_from_the_centre_binds():
    # scale a - 5 is -5 at the centre (a = 0) but positive under a's prior N(10, 1)
    @pplx.model
    def shifted(y):
        a = pplx.sample("a", dist.Normal(10.0, 1.0))
        pplx.sample("y", dist.Normal(0.0, a - 5.0), obs=y)

    m = shifted(jnp.ones(3))
    assert [s.name for s in m.free_vars] == ["a"]
    # its log density at a = 10 is the hand-written one
    expected = jax.scipy.stats.norm.logpdf(10.0, 10.0, 1.0) + 3 * jax.scipy.stats.norm.logpdf(
        1.0, 0.0, 5.0
    )
    np.testing.assert_allclose(m.logp({"a": 10.0}), expected, rtol=1e-10)


def test_nan_in_observed_data_announces_the_imputation():
    y = np.array([1.0, np.nan, 2.0, np.nan, np.nan])

    @pplx.model
    def mean_model(y):
        mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        with pplx.plate("i", y.shape[0]):
            pplx.sample("y", dist.Normal(mu, 1.0), obs=y)

    with pytest.warns(pplx.ImputationWarning, match="site 'y' has 3 missing") as record:
        m = mean_model(y)
    assert "'y_missing'" in str(record[0].message)
    assert record[0].filename == __file__  # points at the user's line, not into pplx
    assert m.named_vars["y_missing"].shape == (3,)
