"""Rows of the distribution table for matrix-variate families and CAR (see
``dist_cases.py``); run by ``test_dist_matrix.py``."""

from __future__ import annotations

import numpy as np
from dist_cases import _COV, Case, loop_oracle
from scipy import stats

from pplx.distributions.multivariate.graph import CAR
from pplx.distributions.multivariate.matrix import MatrixNormal, Wishart

_COV2 = np.array([[1.5, -0.4], [-0.4, 0.8]])
_CHOL2 = np.linalg.cholesky(_COV2)
_NOT_PD3 = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])

# A 5-node graph: a ring with one chord (node 0 has three neighbours).
CAR_W = np.array(
    [
        [0, 1, 1, 0, 1],
        [1, 0, 1, 0, 0],
        [1, 1, 0, 1, 0],
        [0, 0, 1, 0, 1],
        [1, 0, 0, 1, 0],
    ]
)


def car_precision(W, alpha, tau):
    """The dense CAR precision ``tau (D - alpha W)`` (the oracle's formula)."""
    W = np.asarray(W, float)
    return tau * (np.diag(W.sum(axis=1)) - alpha * W)


def _car_oracle(x, mu, alpha, tau):
    cov = np.linalg.inv(car_precision(CAR_W, alpha, tau))
    return stats.multivariate_normal(mu, cov).logpdf(x)


def _matrix_normal(x, loc, row_cov, col_cov):
    return stats.matrix_normal(loc, row_cov, col_cov).logpdf(x)


def _matrix_normal_tril(x, loc, row_scale_tril, col_scale_tril):
    return _matrix_normal(
        x, loc, row_scale_tril @ row_scale_tril.T, col_scale_tril @ col_scale_tril.T
    )


MATRIX_CASES = [
    Case(
        "Wishart-scale",
        Wishart,
        dict(df=5.0, scale=_COV),
        dict(df=np.array([4.0, 7.5]), scale=np.stack([_COV, 0.5 * _COV])),
        loop_oracle(
            lambda x, df, scale: stats.wishart(df, scale).logpdf(x), 2, {"df": 0, "scale": 2}
        ),
        event_ndim=2,
        batch_shape=(2,),
        outside=_NOT_PD3,
        grad_params=("df", "scale"),
        # A finite-difference step on one entry leaves the symmetric matrices.
        value_grad=False,
    ),
    Case(
        "Wishart-tril",
        lambda df, scale_tril: Wishart(df, scale_tril=scale_tril),
        dict(df=3.0, scale_tril=_CHOL2),
        dict(df=np.array([[2.5], [6.0], [12.0]]), scale_tril=np.stack([_CHOL2, 2.0 * _CHOL2])),
        loop_oracle(
            lambda x, df, scale_tril: stats.wishart(df, scale_tril @ scale_tril.T).logpdf(x),
            2,
            {"df": 0, "scale_tril": 2},
        ),
        event_ndim=2,
        batch_shape=(3, 2),
        outside=np.array([[1.0, 0.0], [0.0, -1.0]]),
        grad_params=("df", "scale_tril"),
        value_grad=False,
    ),
    Case(
        "MatrixNormal-cov",
        MatrixNormal,
        dict(loc=np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 0.3]]), row_cov=_COV2, col_cov=_COV),
        dict(
            loc=np.array(
                [[[0.5, -1.0, 2.0], [0.0, 1.0, 0.3]], [[1.0, 0.0, 0.0], [-2.0, 0.5, 1.0]]]
            ),
            row_cov=np.stack([_COV2, 3.0 * _COV2]),
            col_cov=_COV,
        ),
        loop_oracle(_matrix_normal, 2, {"loc": 2, "row_cov": 2, "col_cov": 2}),
        event_ndim=2,
        batch_shape=(2,),
        grad_params=("loc", "row_cov", "col_cov"),
    ),
    Case(
        "MatrixNormal-tril",
        lambda loc, row_scale_tril, col_scale_tril: MatrixNormal(
            loc, row_scale_tril=row_scale_tril, col_scale_tril=col_scale_tril
        ),
        dict(
            loc=np.array([[0.5, 0.0], [-1.0, 1.0], [2.0, 0.3]]),
            row_scale_tril=np.linalg.cholesky(_COV),
            col_scale_tril=0.7 * _CHOL2,
        ),
        dict(
            loc=np.zeros((3, 2)),
            row_scale_tril=np.linalg.cholesky(_COV),
            col_scale_tril=np.stack([_CHOL2, 0.5 * _CHOL2, 2.0 * _CHOL2]),
        ),
        loop_oracle(_matrix_normal_tril, 2, {"loc": 2, "row_scale_tril": 2, "col_scale_tril": 2}),
        event_ndim=2,
        batch_shape=(3,),
        grad_params=("loc", "row_scale_tril", "col_scale_tril"),
    ),
    Case(
        "CAR",
        lambda mu, alpha, tau: CAR(mu, CAR_W, alpha, tau),
        dict(mu=np.array([0.5, -1.0, 0.0, 2.0, 1.0]), alpha=0.6, tau=1.5),
        dict(
            mu=np.array([[0.5, -1.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0, -1.0]]),
            alpha=np.array([[0.2], [0.9], [-0.5]]),
            tau=np.array([0.5, 2.0]),
        ),
        loop_oracle(_car_oracle, 1, {"mu": 1, "alpha": 0, "tau": 0}),
        event_ndim=1,
        batch_shape=(3, 2),
        grad_params=("mu", "alpha", "tau"),
    ),
]
