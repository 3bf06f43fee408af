"""Distributions built from other distributions, user functions or a bare support.

The families are exported by :mod:`pplx.distributions`; import them from there."""
