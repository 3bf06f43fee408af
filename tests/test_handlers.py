"""Semantics of the primitives and effect handlers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx import handlers
from pplx.core.stack import _STACK


def two_sites(y=None):
    x = pplx.sample("x", dist.Normal(0.0, 1.0))
    pplx.deterministic("x2", 2 * x)
    with pplx.plate("obs", 3):
        pplx.sample("y", dist.Normal(x, 1.0), obs=y)
    pplx.factor("penalty", -(x**2))
    return x


def test_seed_is_deterministic_and_key_dependent():
    a = handlers.seed(two_sites, jax.random.key(0))()
    b = handlers.seed(two_sites, jax.random.key(0))()
    c = handlers.seed(two_sites, jax.random.key(1))()
    assert a == b and a != c


def test_site_keys_use_a_stable_hash():
    # crc32 is process-independent, unlike Python's salted hash
    assert handlers.stable_hash("mu") == handlers.stable_hash("mu")
    assert handlers.stable_hash("mu") == 837124774
    x = handlers.seed(lambda: pplx.sample("mu", dist.Normal(0.0, 1.0)), jax.random.key(3))()
    expected = dist.Normal(0.0, 1.0).sample(jax.random.fold_in(jax.random.key(3), 837124774))
    assert x == expected


def test_trace_records_types_in_order():
    tr = handlers.trace(handlers.seed(two_sites, jax.random.key(0))).get_trace(jnp.zeros(3))
    assert list(tr) == ["x", "x2", "y", "penalty"]
    assert [m.type for m in tr.values()] == ["sample", "deterministic", "sample", "factor"]
    assert tr["y"].is_observed and not tr["x"].is_observed
    assert tr["y"].plates[0].name == "obs" and tr["y"].fn.batch_shape == (3,)


def test_duplicate_site_name_raises_naming_it():
    def dup():
        pplx.sample("a", dist.Normal(0.0, 1.0))
        pplx.sample("a", dist.Normal(0.0, 1.0))

    with pytest.raises(ValueError, match="'a' is used twice"):
        handlers.trace(handlers.seed(dup, jax.random.key(0))).get_trace()
    assert _STACK == []


def test_stack_is_restored_after_an_exception():
    def boom():
        pplx.sample("x", dist.Normal(0.0, 1.0))
        raise RuntimeError("inside model")

    with pytest.raises(RuntimeError, match="inside model"):
        handlers.trace(handlers.seed(boom, jax.random.key(0))).get_trace()
    assert _STACK == []


def test_substitute_and_condition():
    tr = handlers.trace(handlers.substitute(two_sites, {"x": 0.5})).get_trace(jnp.zeros(3))
    assert tr["x"].value == 0.5 and not tr["x"].is_observed
    assert tr["x2"].value == 1.0
    tr = handlers.trace(handlers.condition(two_sites, {"x": 0.25})).get_trace(jnp.zeros(3))
    assert tr["x"].is_observed and tr["x"].value == 0.25


def test_substitute_fn():
    tr = handlers.trace(
        handlers.substitute(two_sites, substitute_fn=lambda m: 3.0 if m.name == "x" else None)
    ).get_trace(jnp.zeros(3))
    assert tr["x"].value == 3.0


def test_block_hides_sites_from_outer_handlers():
    inner = handlers.block(handlers.seed(two_sites, jax.random.key(0)), hide=["x"])
    tr = handlers.trace(inner).get_trace(jnp.zeros(3))
    assert "x" not in tr and "y" in tr
    inner = handlers.block(handlers.seed(two_sites, jax.random.key(0)), expose=["y"])
    assert list(handlers.trace(inner).get_trace(jnp.zeros(3))) == ["y"]


def test_scale_and_mask_reach_the_message():
    fn = handlers.mask(handlers.scale(two_sites, 2.0), mask=jnp.array([True, False, True]))
    tr = handlers.trace(handlers.seed(fn, jax.random.key(0))).get_trace(jnp.zeros(3))
    assert tr["y"].scale == 2.0 and tr["penalty"].scale == 2.0
    np.testing.assert_array_equal(tr["y"].mask, [True, False, True])


def test_replay_reuses_latent_values():
    tr1 = handlers.trace(handlers.seed(two_sites, jax.random.key(0))).get_trace(jnp.zeros(3))
    tr2 = handlers.trace(
        handlers.replay(handlers.seed(two_sites, jax.random.key(9)), trace=tr1)
    ).get_trace(jnp.zeros(3))
    assert tr2["x"].value == tr1["x"].value


def test_do_sets_value_without_density():
    tr = handlers.trace(handlers.do(two_sites, {"x": 1.5})).get_trace(jnp.zeros(3))
    assert tr["x"].value == 1.5 and tr["x"].infer["intervened"]


def test_handlers_work_as_context_managers():
    with handlers.trace() as tr, handlers.seed(key=jax.random.key(0)):
        two_sites(jnp.zeros(3))
    assert "x" in tr.sites and _STACK == []


def test_nested_plates_broadcast_batch_shape():
    def f():
        with pplx.plate("a", 3), pplx.plate("b", 2):
            return pplx.sample("z", dist.Normal(0.0, 1.0))

    tr = handlers.trace(handlers.seed(f, jax.random.key(0))).get_trace()
    assert tr["z"].value.shape == (2, 3)
    assert [(p.name, p.dim) for p in tr["z"].plates] == [("a", -1), ("b", -2)]


def test_plate_size_disagreeing_with_parameters_raises():
    def f():
        with pplx.plate("school", 8):
            pplx.sample("y", dist.Normal(jnp.zeros(7), 1.0), obs=jnp.zeros(7))

    with pytest.raises(ValueError, match="site 'y': plate 'school' has size 8"):
        handlers.trace(f).get_trace()


def test_plate_needs_a_python_int():
    with pytest.raises(ValueError, match="positive Python int"):
        pplx.plate("p", jnp.int32(3))


def test_observed_shape_mismatch_raises():
    def f():
        mu = pplx.sample("mu", dist.Normal(jnp.zeros((4, 1)), 1.0))
        pplx.sample("y", dist.Normal(mu, 1.0), obs=jnp.zeros(4))

    with pytest.raises(ValueError, match=r"site 'y': observed data has shape \(4,\)"):
        handlers.trace(handlers.seed(f, jax.random.key(0))).get_trace()


def test_sample_outside_inference_explains():
    with pytest.raises(RuntimeError, match="outside inference"):
        pplx.sample("x", dist.Normal(0.0, 1.0))
    assert pplx.sample("x", dist.Normal(0.0, 1.0), obs=1.0) == 1.0


def minibatch_model(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("data", y.shape[0], subsample_size=4) as idx:
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y[idx])


def test_subsample_plate_draws_a_scaled_minibatch_under_seed():
    y = jnp.arange(10.0)
    tr = handlers.trace(
        handlers.substitute(handlers.seed(minibatch_model, jax.random.key(0)), {"mu": 0.0})
    ).get_trace(y)
    assert tr["y"].value.shape == (4,) and tr["y"].scale == 2.5
    assert len(set(np.asarray(tr["y"].value).tolist())) == 4  # without replacement
    other = handlers.trace(
        handlers.substitute(handlers.seed(minibatch_model, jax.random.key(1)), {"mu": 0.0})
    ).get_trace(y)
    assert not np.array_equal(tr["y"].value, other["y"].value)


def test_subsample_plate_uses_all_data_without_a_seed():
    tr = handlers.trace(handlers.substitute(minibatch_model, {"mu": 0.0})).get_trace(
        jnp.arange(10.0)
    )
    assert tr["y"].value.shape == (10,) and tr["y"].scale is None


def test_minibatch_log_likelihood_is_unbiased():
    from pplx.model.execute import site_log_density

    y = jnp.asarray(np.random.default_rng(0).normal(size=10))

    def loglik(key):
        tr = handlers.trace(
            handlers.substitute(handlers.seed(minibatch_model, key), {"mu": 0.3})
        ).get_trace(y)
        return site_log_density(tr["y"])

    keys = jax.random.split(jax.random.key(0), 4000)
    estimates = np.asarray(jax.jit(jax.vmap(loglik))(keys))
    full = dist.Normal(0.3, 1.0).log_prob(y).sum()
    assert abs(estimates.mean() - full) < 5 * estimates.std() / np.sqrt(estimates.size)


def test_subsample_size_is_checked():
    with pytest.raises(ValueError, match="subsample_size must be an int in"):
        pplx.plate("p", 3, subsample_size=5)
