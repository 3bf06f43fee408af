"""Multivariate families, one file per kind of value (vectors, simplex, correlation matrices,
matrices, graphs).

The families are exported by :mod:`pplx.distributions`; import them from there.
"""
