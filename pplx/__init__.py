"""pplx: a JAX-native probabilistic programming library."""

__version__ = "0.1.0"
