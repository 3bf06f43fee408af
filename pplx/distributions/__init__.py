"""Distributions, constraints and bijectors for pplx.

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
    CholeskyOuter,
    CorrCholeskyBijector,
    Exp,
    Identity,
    IndependentBijector,
    IntervalBijector,
    LowerBound,
    LowerCholeskyBijector,
    Ordered,
    Softplus,
    StickBreaking,
    UpperBound,
)
from pplx.distributions.car import CAR
from pplx.distributions.combinators import Censored, Mixture, Truncated
from pplx.distributions.continuous import (
    Beta,
    Cauchy,
    Exponential,
    Gamma,
    HalfCauchy,
    HalfNormal,
    Normal,
    StudentT,
)
from pplx.distributions.continuous_extra import (
    AsymmetricLaplace,
    ExGaussian,
    Gumbel,
    Laplace,
    Logistic,
    LogitNormal,
    Moyal,
    SkewNormal,
    TruncatedNormal,
)
from pplx.distributions.continuous_misc import Rice, Triangular, VonMises, Wald
from pplx.distributions.continuous_more import LogNormal, Uniform
from pplx.distributions.custom import CustomDist
from pplx.distributions.discrete import Bernoulli, Binomial, Categorical, Poisson
from pplx.distributions.discrete_extra import (
    BetaBinomial,
    DiscreteUniform,
    Geometric,
    NegativeBinomial,
    NegativeBinomial2,
    OrderedLogistic,
    OrderedProbit,
    ZeroInflatedBinomial,
    ZeroInflatedNegativeBinomial,
    ZeroInflatedPoisson,
)
from pplx.distributions.discrete_more import DiscreteWeibull, HyperGeometric
from pplx.distributions.hmm import GaussianHMM
from pplx.distributions.hurdle import (
    Hurdle,
    HurdleGamma,
    HurdleLogNormal,
    HurdleNegativeBinomial,
    HurdlePoisson,
)
from pplx.distributions.improper import Flat, HalfFlat, ImproperUniform
from pplx.distributions.matrix import MatrixNormal, Wishart
from pplx.distributions.mixtures import NormalMixture
from pplx.distributions.multivariate import Dirichlet, MultivariateNormal
from pplx.distributions.multivariate_extra import (
    LKJCholesky,
    LKJCorr,
    Multinomial,
    MultivariateStudentT,
    MvStudentT,
)
from pplx.distributions.multivariate_more import (
    DirichletMultinomial,
    LowRankMultivariateNormal,
    ZeroSumNormal,
)
from pplx.distributions.positive import (
    ChiSquared,
    HalfStudentT,
    InverseGamma,
    Kumaraswamy,
    Pareto,
    Weibull,
)
from pplx.distributions.timeseries import AR, GARCH11, GaussianRandomWalk
from pplx.distributions.transformed import TransformedDistribution
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
