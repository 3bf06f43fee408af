"""pplx benchmark suite: posteriordb posteriors, pplx against NumPyro and BlackJAX.

Entry points: ``python -m bench.run`` (full), ``python -m bench.run --quick``,
``python -m bench.scaling`` and ``python -m bench.check_densities``. See
``docs/benchmarks.md``.
"""
