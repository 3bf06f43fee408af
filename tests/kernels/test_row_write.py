"""``set_row``: one row written at a traced index, the same with and without vmap, and
the batched write takes the one-hot ``where`` for small batches, the scatter for large."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pplx.kernels import row_write
from pplx.kernels.row_write import set_row
from pplx.kernels.trajectory import nuts_kernel


def _reference(array, index, values):
    out = np.array(array)
    if 0 <= index < out.shape[0]:
        out[index] = values
    return out


def _case(batch, rows=5, cols=(3, 2), seed=0):
    rng = np.random.default_rng(seed)
    array = rng.normal(size=(batch, rows, *cols))
    index = rng.integers(0, rows + 2, size=batch)  # some out of range: nothing written
    values = rng.normal(size=(batch, *cols))
    return array, index, values


@pytest.mark.parametrize("index", [0, 3, 4, 5, 9])
def test_unbatched_writes_one_row_or_nothing(index):
    array, _, values = _case(1)
    got = set_row(jnp.asarray(array[0]), index, jnp.asarray(values[0]))
    np.testing.assert_array_equal(got, _reference(array[0], index, values[0]))


@pytest.mark.parametrize("batch", [3, 500])  # 90 and 15000 elements: where, then scatter
def test_vmapped_equals_row_by_row(batch):
    array, index, values = _case(batch)
    got = jax.jit(jax.vmap(set_row))(array, index, values)
    want = np.stack([_reference(*args) for args in zip(array, index, values, strict=True)])
    np.testing.assert_array_equal(got, want)


def test_unbatched_array_with_batched_index_and_nested_vmap():
    array, index, values = _case(4)
    got = jax.vmap(set_row, in_axes=(None, 0, 0))(array[0], index, values)
    want = np.stack([_reference(array[0], i, v) for i, v in zip(index, values, strict=True)])
    np.testing.assert_array_equal(got, want)
    twice = [np.stack([a, a]) for a in (array, index, values)]
    outer = jax.vmap(jax.vmap(set_row))(*twice)
    rows = [_reference(*args) for args in zip(array, index, values, strict=True)]
    np.testing.assert_array_equal(outer, np.stack([np.stack(rows)] * 2))


def _jaxpr(fn, *args) -> str:
    return str(jax.make_jaxpr(fn)(*args))


def test_batched_write_picks_where_for_small_batches_and_scatter_for_large():
    rows, cols = 5, (3, 2)
    small = _jaxpr(jax.vmap(set_row), *_case(2, rows, cols))
    assert "select_n" in small and "scatter" not in small
    batch = row_write.SELECT_MAX_ELEMENTS // (rows * 6) + 1  # just over the limit
    assert "scatter" in _jaxpr(jax.vmap(set_row), *_case(batch, rows, cols))


def test_unbatched_write_is_an_indexed_update():
    array, index, values = _case(1)
    assert "scatter" in _jaxpr(set_row, array[0], index[0], values[0])


@pytest.mark.parametrize("num_chains", [4, 64])
def test_nuts_draws_do_not_depend_on_the_batched_write(num_chains, monkeypatch):
    """4 chains at 10 dimensions take the ``where``, 64 the scatter: the draws must be
    those of the plain scatter in both cases."""
    dim = 10
    logdensity = lambda z: -0.5 * jnp.sum(z**2)  # noqa: E731
    kernel = nuts_kernel(logdensity, max_tree_depth=6)

    def chain(key, z):
        def step(z, key):
            new, _ = kernel(key, z, logdensity(z), -z, 0.4, jnp.ones(dim))
            return new.position, new.position

        return jax.lax.scan(step, z, jax.random.split(key, 30))[1]

    keys = jax.random.split(jax.random.key(3), num_chains)
    z0 = jax.random.normal(jax.random.key(4), (num_chains, dim))
    got = jax.jit(jax.vmap(chain))(keys, z0)
    monkeypatch.setattr(row_write, "SELECT_MAX_ELEMENTS", -1)  # always the scatter
    jax.clear_caches()
    want = jax.jit(jax.vmap(chain))(keys, z0)
    np.testing.assert_array_equal(got, want)
