"""Warning classes of pplx."""


class ConvergenceWarning(UserWarning):
    """A finished run shows signs that its draws may not be trustworthy."""
