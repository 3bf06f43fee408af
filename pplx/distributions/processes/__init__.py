"""Distributions over sequences: time series and hidden Markov models.

The families are exported by :mod:`pplx.distributions`; import them from there."""
