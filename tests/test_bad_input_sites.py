"""Bad model statements, found while binding (before anything compiles): what is not a
distribution, data that cannot be an array, nested plates that reuse a name, and values
outside a support, named by the family the user wrote (not an internal wrapper).
Each row: (what is wrong, a call, the exception type, words the message must contain).
"""

import jax.numpy as jnp
import pytest

import pplx
import pplx.distributions as dist


def _bind(body, *data):
    """A model whose only statements are ``body(*data)``, bound to ``data``."""
    return lambda: pplx.model(body)(*data)


def class_not_instance():
    pplx.sample("x", dist.Normal)


def dict_obs(y):
    pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)


def nested_plates_one_name():
    with pplx.plate("i", 3), pplx.plate("i", 4):
        pplx.sample("x", dist.Normal(0.0, 1.0))


def nested_plates_same_size():
    with pplx.plate("i", 3), pplx.plate("i", 3):
        pplx.sample("x", dist.Normal(0.0, 1.0))


def expanded(y):
    pplx.sample("y", dist.HalfNormal(1.0).expand((3,)), obs=y)


def in_a_plate(y):
    with pplx.plate("i", 3):
        pplx.sample("y", dist.HalfNormal(1.0), obs=y)


def expanded_to_event(y):
    pplx.sample("y", dist.HalfNormal(1.0).expand((3,)).to_event(1), obs=y)


NEG = -jnp.arange(1.0, 4.0)
CASES = [
    (
        "a distribution class, not an instance",
        _bind(class_not_instance),
        TypeError,
        ["'x'", "class Normal", "dist.Normal(...)"],
    ),
    ("a dict as obs", _bind(dict_obs, {"a": jnp.ones(3)}), TypeError, ["'y'", "dict", "obs="]),
    ("a string as obs", _bind(dict_obs, "abc"), TypeError, ["string"]),
    (
        "ragged lists as obs",
        _bind(dict_obs, [jnp.ones(2), jnp.ones(3)]),
        TypeError,
        ["'y'", "list", "not an array"],
    ),
    (
        "nested plates reusing a name with another size",
        _bind(nested_plates_one_name),
        ValueError,
        ["plate 'i' (size 4)", "same name (size 3)", "different names"],
    ),
    (
        "nested plates reusing a name with the same size",
        _bind(nested_plates_same_size),
        ValueError,
        ["plate 'i'", "different names"],
    ),
    (
        "data outside the support of an expanded family",
        _bind(expanded, NEG),
        ValueError,
        ["'y'", "of HalfNormal", "3 value(s)", "-1.0"],
    ),
    (
        "data outside the support of a family broadcast by a plate",
        _bind(in_a_plate, NEG),
        ValueError,
        ["'y'", "of HalfNormal", "3 value(s)"],
    ),
    (
        "data outside the support of an expanded family made an event",
        _bind(expanded_to_event, NEG),
        ValueError,
        ["'y'", "'nonnegative' of HalfNormal", "3 value(s)", "index (0,)"],
    ),
]


@pytest.mark.parametrize("what, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_statement_gets_a_clear_error_at_binding(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (what, str(info.value))
    assert "Expanded" not in str(info.value) and "Independent" not in str(info.value)


def test_sibling_plates_may_share_a_name_and_size():
    # the rule is about nesting: two plates in sequence over the same rows are fine
    def two_groups(y):
        with pplx.plate("i", 3):
            pplx.sample("a", dist.Normal(0.0, 1.0))
        with pplx.plate("i", 3):
            pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)

    m = pplx.model(two_groups)(jnp.zeros(3))
    assert [s.dims for s in m.sites] == [("i",), ("i",)]
