"""Distribution tests compile many small programs (samplers, densities, gradients):
XLA's heavier optimisations cost more compile time than they save at run time here."""

import jax
import pytest


@pytest.fixture(autouse=True, scope="module")
def _fast_compiles():
    previous = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", True)
    yield
    jax.config.update("jax_disable_most_optimizations", previous)
