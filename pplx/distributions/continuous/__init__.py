"""Univariate continuous families, one file per support.

The families are exported by :mod:`pplx.distributions`; import them from there."""
