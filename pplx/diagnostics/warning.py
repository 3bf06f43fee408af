"""Warning classes of pplx."""


class ConvergenceWarning(UserWarning):
    """A finished run shows signs that its draws may not be trustworthy.

    Raised as a warning (R-hat, ESS, divergences, tree depth, a stuck chain) after a run;
    ``warnings.filterwarnings("ignore", category=pplx.ConvergenceWarning)`` silences it,
    ``"error"`` turns it into an exception.

    Example:
        >>> import warnings, pplx
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warnings.warn("R-hat 1.2 for mu", pplx.ConvergenceWarning)
        >>> caught[0].category is pplx.ConvergenceWarning
        True
    """
