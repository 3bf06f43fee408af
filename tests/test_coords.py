"""User coords, given when the model is bound and when it is run, on every ArviZ group.

Oracles: the coordinate values the test gives, the plate sizes of the model, and the
group and dimension names ArviZ uses. Runs are tiny: the draws do not matter here.
"""

import jax
import jax.numpy as jnp
import pytest

import pplx
import pplx.distributions as dist
from pplx.results.arviz_compat import group_dataset, group_names

NAMES = ["a", "b", "c", "d"]
OTHER = ["w", "x", "y", "z"]
SIGMA = jnp.array([10.0, 12.0, 9.0, 15.0])
Y = jnp.array([5.0, -2.0, 8.0, 1.0])
TINY = dict(num_warmup=30, num_samples=20, num_chains=1, progress_bar=False)


@pplx.model
def schools(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfNormal(5.0))
    with pplx.plate("school", sigma.shape[0]):
        z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * z)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


@pplx.model
def grid(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("col", y.shape[1]):
        a = pplx.sample("a", dist.Normal(mu, 1.0))
        with pplx.plate("row", y.shape[0]):
            pplx.sample("y", dist.Normal(a, 1.0), obs=y)


def _coords_on(idata, groups, dim, values):
    for name in groups:
        ds = group_dataset(idata, name)
        assert dim in ds.dims, f"group {name} has no '{dim}' dim: {dict(ds.sizes)}"
        assert ds[dim].values.tolist() == values, name


@pytest.fixture(scope="module")
def bound_run():
    model = schools(SIGMA, y=Y, coords={"school": NAMES})
    return pplx.nuts(model, jax.random.key(0), log_likelihood=True, **TINY)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_bind_time_coords_on_every_group_of_a_run(bound_run):
    groups = ["posterior", "log_likelihood", "observed_data", "constant_data"]
    assert set(groups) | {"sample_stats"} <= set(group_names(bound_run))
    _coords_on(bound_run, groups, "school", NAMES)
    # sigma has no site: it takes the dim of the sites of its shape
    assert bound_run.constant_data["sigma"].dims == ("school",)
    assert "school" not in group_dataset(bound_run, "sample_stats").dims  # (chain, draw) only


def test_bind_time_coords_are_kept_by_the_model():
    model = schools(SIGMA, y=Y, coords={"school": tuple(NAMES)})
    assert model.coords == {"school": NAMES}
    assert pplx.condition(model, {"mu": 1.0}).coords == {"school": NAMES}


def test_bind_time_coords_on_prior_and_posterior_predictive(bound_run):
    model = schools(SIGMA, y=Y, coords={"school": NAMES})
    prior = pplx.prior_predictive(model, jax.random.key(1), 10)
    _coords_on(
        prior, ["prior", "prior_predictive", "observed_data", "constant_data"], "school", NAMES
    )
    ppc = pplx.posterior_predictive(model, bound_run, jax.random.key(2))
    _coords_on(ppc, ["posterior_predictive", "observed_data", "constant_data"], "school", NAMES)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_call_time_coords_win_and_merge_with_bound_ones():
    model = grid(jnp.zeros((2, 3)), coords={"col": ["p", "q", "r"], "row": ["r0", "r1"]})
    idata = pplx.nuts(model, jax.random.key(3), coords={"row": ["first", "second"]}, **TINY)
    _coords_on(idata, ["posterior"], "col", ["p", "q", "r"])  # bound, kept
    _coords_on(idata, ["observed_data"], "row", ["first", "second"])  # call time wins
    _coords_on(idata, ["observed_data"], "col", ["p", "q", "r"])


def test_call_time_coords_alone_still_work():
    prior = pplx.prior_predictive(
        schools(SIGMA, y=Y), jax.random.key(4), 5, coords={"school": OTHER}
    )
    _coords_on(prior, ["prior", "observed_data"], "school", OTHER)


def test_bind_time_coords_of_the_wrong_length_name_the_plate_and_both_sizes():
    with pytest.raises(
        ValueError, match=r"coords\['school'\] has 3 values but plate 'school' has size 4"
    ):
        schools(SIGMA, y=Y, coords={"school": NAMES[:3]})


def test_unknown_dimension_lists_the_model_dims():
    with pytest.raises(ValueError, match=r"'county'.*\['school'"):
        schools(SIGMA, y=Y, coords={"county": NAMES})


def test_call_time_length_conflict_fails_before_sampling(monkeypatch):
    model = schools(SIGMA, y=Y, coords={"school": NAMES})

    def sampled(*args, **kwargs):
        raise AssertionError("the sampler ran before the coords were checked")

    import pplx.infer.drivers as drivers

    monkeypatch.setattr(drivers, "_mcmc_compiled", sampled)
    with pytest.raises(ValueError, match=r"coords\['school'\] given at call time has 2 values.*4"):
        pplx.nuts(model, jax.random.key(5), coords={"school": ["a", "b"]}, **TINY)


def test_a_model_with_its_own_coords_parameter_keeps_it():
    @pplx.model
    def own(y, coords=None):
        offset = 0.0 if coords is None else float(len(coords))
        with pplx.plate("obs", y.shape[0]):
            pplx.sample("y", dist.Normal(offset, 1.0), obs=y)

    model = own(jnp.zeros(2), coords=(1, 2, 3))
    assert model.coords == {}
    assert model._args_kwargs()[1]["coords"] == (1, 2, 3)


def test_coords_must_be_a_dict():
    with pytest.raises(TypeError, match="coords must be a dict"):
        schools(SIGMA, y=Y, coords=NAMES)


def test_a_named_dimension_that_is_no_plate_names_its_site():
    @pplx.model
    def coefs():
        pplx.sample("beta", dist.Normal(0.0, 1.0).expand((3,)).to_event(1), dims=("coef",))

    assert coefs(coords={"coef": ["a", "b", "c"]}).coords == {"coef": ["a", "b", "c"]}
    with pytest.raises(
        ValueError, match=r"has 2 values but dimension 'coef' of site 'beta' has size 3"
    ):
        coefs(coords={"coef": ["a", "b"]})
