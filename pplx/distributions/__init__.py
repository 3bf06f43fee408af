"""Distributions, constraints and bijectors for pplx.

Where the code lives: one folder per kind of value, one file per support.

- ``continuous/``: univariate continuous: ``real.py`` (whole real line, symmetric),
  ``real_skewed.py``, ``positive.py`` (half-distributions, gamma family),
  ``positive_skewed.py``, ``unit_interval.py``, ``interval.py`` (bounded or circular);
- ``discrete/``: univariate discrete: ``finite.py`` (bounded support), ``counts.py``
  (unbounded counts), ``zero_inflated.py``, ``ordinal.py``;
- ``multivariate/``: ``normal.py`` (vectors on R^k), ``simplex.py``, ``correlation.py``,
  ``matrix.py``, ``graph.py`` (CAR);
- ``processes/``: ``timeseries.py``, ``hmm.py``;
- ``combinators/``: built from other distributions, user functions or a bare support:
  ``mixtures.py``, ``truncated.py``, ``hurdle.py``, ``transformed.py``, ``custom.py``,
  ``improper.py``.

Shared pieces sit at this level: ``base.py`` (``Distribution``), ``families.py``
(parameter scaffolding), ``helpers.py``, ``constraints.py``, ``bijectors.py``,
``bijectors_cholesky.py``, ``biject.py``, ``zero_sum.py``, ``param_checks.py``,
``density.py``. Every family is exported here:
``import pplx.distributions as dist; dist.Gamma(...)``.

Example:
    >>> import jax
    >>> import pplx.distributions as dist
    >>> d = dist.Normal(0.0, 1.0)
    >>> d.sample(jax.random.key(0), (3,)).shape
    (3,)
"""

from pplx.distributions import bijectors, constraints
from pplx.distributions.base import Distribution, Expanded, Independent
from pplx.distributions.biject import biject_to
from pplx.distributions.bijectors import (
    Affine,
    Bijector,
    Chain,
    Exp,
    Identity,
    IndependentBijector,
    IntervalBijector,
    LowerBound,
    Ordered,
    Softplus,
    StickBreaking,
    UpperBound,
)
from pplx.distributions.bijectors_cholesky import (
    CholeskyOuter,
    CorrCholeskyBijector,
    LowerCholeskyBijector,
)
from pplx.distributions.combinators.custom import CustomDist
from pplx.distributions.combinators.hurdle import (
    Hurdle,
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
)
from pplx.distributions.combinators.improper import Flat, HalfFlat, ImproperUniform
from pplx.distributions.combinators.mixtures import Mixture, NormalMixture
from pplx.distributions.combinators.transformed import TransformedDistribution
from pplx.distributions.combinators.truncated import Censored, Truncated
from pplx.distributions.continuous.interval import Triangular, TruncatedNormal, Uniform, VonMises
from pplx.distributions.continuous.positive import (
    ChiSquared,
    Exponential,
    Gamma,
    HalfCauchy,
    HalfNormal,
    HalfStudentT,
    InverseGamma,
)
from pplx.distributions.continuous.positive_skewed import LogNormal, Pareto, Rice, Wald, Weibull
from pplx.distributions.continuous.real import (
    Cauchy,
    Gumbel,
    Laplace,
    Logistic,
    Moyal,
    Normal,
    StudentT,
)
from pplx.distributions.continuous.real_skewed import AsymmetricLaplace, ExGaussian, SkewNormal
from pplx.distributions.continuous.unit_interval import Beta, Kumaraswamy, LogitNormal
from pplx.distributions.discrete.counts import (
    DiscreteWeibull,
    Geometric,
    NegativeBinomial,
    NegativeBinomial2,
    Poisson,
)
from pplx.distributions.discrete.finite import (
    Bernoulli,
    BetaBinomial,
    Binomial,
    Categorical,
    DiscreteUniform,
    HyperGeometric,
)
from pplx.distributions.discrete.ordinal import OrderedLogistic, OrderedProbit
from pplx.distributions.discrete.zero_inflated import (
    ZeroInflatedBinomial,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)
from pplx.distributions.multivariate.correlation import LKJCholesky, LKJCorr
from pplx.distributions.multivariate.graph import CAR
from pplx.distributions.multivariate.matrix import MatrixNormal, Wishart
from pplx.distributions.multivariate.normal import (
    LowRankMultivariateNormal,
    MultivariateNormal,
    MultivariateStudentT,
    MvStudentT,
    ZeroSumNormal,
)
from pplx.distributions.multivariate.simplex import Dirichlet, DirichletMultinomial, Multinomial
from pplx.distributions.processes.hmm import GaussianHMM
from pplx.distributions.processes.timeseries import AR, GARCH11, GaussianRandomWalk
from pplx.distributions.zero_sum import ZeroSumBijector

__all__ = [
    "constraints",
    "bijectors",
    "biject_to",
    "Distribution",
    "Independent",
    "Expanded",
    "Bijector",
    "Identity",
    "Exp",
    "Softplus",
    "Affine",
    "IntervalBijector",
    "LowerBound",
    "UpperBound",
    "StickBreaking",
    "Ordered",
    "LowerCholeskyBijector",
    "CorrCholeskyBijector",
    "CholeskyOuter",
    "Chain",
    "IndependentBijector",
    "ZeroSumBijector",
    "Normal",
    "HalfNormal",
    "Cauchy",
    "HalfCauchy",
    "StudentT",
    "Exponential",
    "Gamma",
    "Beta",
    "LogNormal",
    "Uniform",
    "TruncatedNormal",
    "LogitNormal",
    "Laplace",
    "Logistic",
    "Gumbel",
    "InverseGamma",
    "Weibull",
    "Pareto",
    "ChiSquared",
    "HalfStudentT",
    "Kumaraswamy",
    "SkewNormal",
    "AsymmetricLaplace",
    "Moyal",
    "ExGaussian",
    "Wald",
    "Triangular",
    "Rice",
    "VonMises",
    "Bernoulli",
    "Binomial",
    "Poisson",
    "Categorical",
    "NegativeBinomial",
    "NegativeBinomial2",
    "Geometric",
    "BetaBinomial",
    "DiscreteUniform",
    "ZeroInflatedPoisson",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedBinomial",
    "OrderedLogistic",
    "OrderedProbit",
    "HyperGeometric",
    "DiscreteWeibull",
    "Dirichlet",
    "MultivariateNormal",
    "LKJCholesky",
    "LKJCorr",
    "MultivariateStudentT",
    "MvStudentT",
    "Multinomial",
    "LowRankMultivariateNormal",
    "ZeroSumNormal",
    "DirichletMultinomial",
    "Wishart",
    "MatrixNormal",
    "CAR",
    "GaussianRandomWalk",
    "AR",
    "GARCH11",
    "GaussianHMM",
    "Mixture",
    "NormalMixture",
    "Hurdle",
    "HurdlePoisson",
    "HurdleNegativeBinomial",
    "HurdleGamma",
    "HurdleLogNormal",
    "CustomDist",
    "TransformedDistribution",
    "Truncated",
    "Censored",
    "ImproperUniform",
    "Flat",
    "HalfFlat",
]
