"""Time series: Gaussian random walk, autoregressive AR(p), GARCH(1,1)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    Independent,
    as_float,
    bcast,
    check_param,
    check_positive,
    promote,
)
from pplx.distributions.continuous.real import Normal
from pplx.distributions.helpers import HALF_LOG_2PI

DEFAULT_INIT_SCALE = 100.0


def _check_steps(name, steps, what="steps"):
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"{name}: {what} must be a positive Python int, got {steps!r}")
    return steps


def _normal_lp(x, loc, scale):
    x, loc, scale = bcast(x, loc, scale)
    z = (x - loc) / scale
    return -0.5 * z**2 - jnp.log(scale) - HALF_LOG_2PI


def _init_or_default(name, init_dist):
    if init_dist is None:
        return Normal(0.0, DEFAULT_INIT_SCALE)
    if not isinstance(init_dist, Distribution):
        raise ValueError(f"{name}: init_dist must be a pplx Distribution, got {init_dist!r}")
    return init_dist


# ------------------------------------------------------------------------ random walk


class GaussianRandomWalk(Distribution):
    """Random walk with Normal increments: ``x_t = x_{t-1} + mu + sigma * eps_t``.

    ``x_0 ~ init_dist`` and ``eps_t ~ Normal(0, 1)`` for ``t = 1..steps``; the event
    shape is ``(steps + 1,)``.

    Args:
        mu: drift of each increment.
        sigma: standard deviation of each increment, positive.
        init_dist: univariate distribution of ``x_0`` (its batch shape joins the
            batch shape); ``Normal(0, 100)`` when None, as in PyMC.
        steps: number of increments, a positive Python int (static).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Normal
        >>> from pplx.distributions.processes.timeseries import GaussianRandomWalk
        >>> d = GaussianRandomWalk(0.5, 1.0, Normal(0.0, 1.0), steps=3)
        >>> d.mean.tolist()
        [0.0, 0.5, 1.0, 1.5]
        >>> round(float(d.log_prob(jnp.array([0.0, 0.5, 1.0, 1.5]))), 4)
        -3.6758
    """

    mu: jax.Array
    sigma: jax.Array
    init_dist: Distribution
    steps: int = eqx.field(static=True)

    def __init__(self, mu=0.0, sigma=1.0, init_dist=None, *, steps):
        name = "GaussianRandomWalk"
        self.steps = _check_steps(name, steps)
        self.mu, self.sigma = promote(mu, sigma)
        check_positive(name, sigma=self.sigma)
        init_dist = _init_or_default(name, init_dist)
        if tuple(init_dist.event_shape) != ():
            raise ValueError(
                f"{name}: init_dist must be univariate (event shape ()), "
                f"got event shape {tuple(init_dist.event_shape)}"
            )
        self.init_dist = init_dist

    @property
    def batch_shape(self):
        return jnp.broadcast_shapes(self.mu.shape, tuple(self.init_dist.batch_shape))

    @property
    def event_shape(self):
        return (self.steps + 1,)

    @property
    def support(self):
        return constraints.real_vector

    def _log_prob(self, value):
        init_lp = self.init_dist.log_prob(value[..., 0])
        increments = jnp.diff(value, axis=-1)
        innov_lp = jnp.sum(_normal_lp(increments, self.mu[..., None], self.sigma[..., None]), -1)
        init_lp, innov_lp = bcast(init_lp, innov_lp)
        return init_lp + innov_lp

    def sample(self, key, sample_shape=()):
        key_init, key_eps = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        x0 = self.init_dist.expand(self.batch_shape).sample(key_init, sample_shape)
        dtype = jnp.result_type(self.mu, x0)
        eps = jax.random.normal(key_eps, shape + (self.steps,), dtype)
        mu, sigma = bcast(self.mu[..., None], self.sigma[..., None], eps)[:2]
        walk = jnp.cumsum(mu + sigma * eps, axis=-1)
        x0 = x0.astype(dtype)[..., None]
        return jnp.concatenate([x0, x0 + walk], axis=-1)

    def _time(self):
        return jnp.arange(self.steps + 1, dtype=self.mu.dtype)

    @property
    def mean(self):
        init = jnp.broadcast_to(self.init_dist.mean, self.batch_shape)[..., None]
        init, drift, t = bcast(init, self.mu[..., None], self._time())
        return init + drift * t

    @property
    def variance(self):
        init = jnp.broadcast_to(self.init_dist.variance, self.batch_shape)[..., None]
        init, var, t = bcast(init, self.sigma[..., None] ** 2, self._time())
        return init + var * t


# --------------------------------------------------------------------------------- AR


def _ar_init(init_dist, order):
    """The distribution of the first ``order`` values, as one with event shape (order,).

    A univariate ``init_dist`` is applied independently to each initial value; as in
    PyMC, its last batch axis (if any) is the lag axis and must have size 1 or ``order``.
    """
    init_dist = _init_or_default("AR", init_dist)
    event = tuple(init_dist.event_shape)
    if event == (order,):
        return init_dist
    if event != ():
        raise ValueError(
            f"AR: init_dist must be univariate or have event shape ({order},), got {event}"
        )
    batch = tuple(init_dist.batch_shape)
    if batch and batch[-1] not in (1, order):
        raise ValueError(
            f"AR: the last batch axis of init_dist is the lag axis and must have size 1 "
            f"or {order} (the AR order), got batch shape {batch}"
        )
    return Independent(init_dist.expand(batch[:-1] + (order,)), 1)


def _ar_init_cov(init, shape):
    """Covariance of the initial values, ``shape + (p, p)``."""
    order = shape[-1]
    if isinstance(init, Independent) and tuple(init.base.event_shape) == ():
        var = jnp.broadcast_to(init.variance, shape)
        var, eye = bcast(var[..., None], jnp.eye(order, dtype=var.dtype))
        return var * eye
    if hasattr(init, "covariance_matrix"):
        return jnp.broadcast_to(init.covariance_matrix, shape + (order,))
    raise NotImplementedError(
        f"AR: variance needs the covariance of init_dist, which {type(init).__name__} lacks"
    )


def _ar_moment_step(params, carry, _):
    """Propagate the mean and covariance of the window ``(x_{t-p}, ..., x_{t-1})``."""
    weights, const, sigma = params
    mean, cov = carry
    new_mean = const + jnp.sum(weights * mean, axis=-1)
    cov_w = jnp.sum(cov * weights[..., None, :], axis=-1)
    new_var = jnp.sum(weights * cov_w, axis=-1) + sigma**2
    top = jnp.concatenate([cov, cov_w[..., None]], axis=-1)
    bottom = jnp.concatenate([cov_w, new_var[..., None]], axis=-1)[..., None, :]
    full = jnp.concatenate([top, bottom], axis=-2)
    window_mean = jnp.concatenate([mean[..., 1:], new_mean[..., None]], axis=-1)
    return (window_mean, full[..., 1:, 1:]), (new_mean, new_var)


class AR(Distribution):
    """Autoregressive process of order ``p``, with PyMC's conventions.

    ``x_t = c + rho_1 x_{t-1} + ... + rho_p x_{t-p} + sigma * eps_t`` with
    ``eps_t ~ Normal(0, 1)``. The first ``p`` values come from ``init_dist``; then
    ``steps`` values follow, so the event shape is ``(steps + p,)``.

    Args:
        rho: coefficients on the last axis, ``rho[..., k - 1]`` multiplying ``x_{t-k}``;
            with ``constant=True``, ``rho[..., 0]`` is the constant ``c`` and the
            coefficients follow, so ``p = rho.shape[-1] - 1``. A scalar ``rho`` is
            AR(1) (batched AR(1) takes ``rho`` of shape ``batch + (1,)``).
        sigma: innovation standard deviation, positive.
        constant: whether ``rho[..., 0]`` is a constant term (static).
        init_dist: distribution of the first ``p`` values: univariate (applied to each;
            its last batch axis, if any, is the lag axis, size 1 or ``p``) or with event
            shape ``(p,)``. ``Normal(0, 100)`` for each value when None, as in PyMC.
        steps: number of values after the initial ones, a positive Python int (static).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Normal
        >>> from pplx.distributions.processes.timeseries import AR
        >>> d = AR(jnp.array([0.5]), 1.0, init_dist=Normal(0.0, 1.0), steps=3)
        >>> d.event_shape
        (4,)
        >>> round(float(d.log_prob(jnp.zeros(4))), 4)
        -3.6758
    """

    rho: jax.Array
    sigma: jax.Array
    init_dist: Distribution
    steps: int = eqx.field(static=True)
    constant: bool = eqx.field(static=True)

    def __init__(self, rho, sigma=1.0, *, constant=False, init_dist=None, steps):
        self.steps = _check_steps("AR", steps)
        self.constant = bool(constant)
        rho, sigma = as_float(rho), as_float(sigma)
        if rho.ndim == 0 and not self.constant:
            rho = rho[None]
        if rho.ndim == 0 or rho.shape[-1] < 1 + self.constant:
            what = "a constant and at least one coefficient" if constant else "one coefficient"
            raise ValueError(f"AR: rho needs {what} on its last axis, got shape {rho.shape}")
        dtype = jnp.result_type(rho, sigma)
        self.rho, self.sigma = rho.astype(dtype), sigma.astype(dtype)
        check_positive("AR", sigma=self.sigma)
        self.init_dist = _ar_init(init_dist, self.order)

    @property
    def order(self):
        """The AR order ``p`` (static)."""
        return self.rho.shape[-1] - self.constant

    @property
    def batch_shape(self):
        return jnp.broadcast_shapes(
            self.rho.shape[:-1], self.sigma.shape, tuple(self.init_dist.batch_shape)
        )

    @property
    def event_shape(self):
        return (self.steps + self.order,)

    @property
    def support(self):
        return constraints.real_vector

    def _coefs_const(self):
        """Coefficients (``batch + (p,)``) and the constant (zero when there is none)."""
        if self.constant:
            return self.rho[..., 1:], self.rho[..., 0]
        return self.rho, jnp.zeros((), self.rho.dtype)

    def _log_prob(self, value):
        order, length = self.order, self.steps + self.order
        coefs, const = self._coefs_const()
        init_lp = self.init_dist.log_prob(value[..., :order])
        # lags[..., t, k - 1] = x_{p + t - k}: every prediction at once, no scan.
        lags = jnp.stack([value[..., order - k : length - k] for k in range(1, order + 1)], -1)
        lags, weights = bcast(lags, coefs[..., None, :])
        pred, const = bcast(jnp.sum(lags * weights, axis=-1), const[..., None])
        innov_lp = _normal_lp(value[..., order:], pred + const, self.sigma[..., None])
        init_lp, innov_lp = bcast(init_lp, jnp.sum(innov_lp, axis=-1))
        return init_lp + innov_lp

    def _broadcast_params(self, shape):
        """Window weights (reversed coefficients), constant and sigma at ``shape``."""
        coefs, const = self._coefs_const()
        weights = jnp.broadcast_to(coefs[..., ::-1], shape + (self.order,))
        const, sigma = (jnp.broadcast_to(a, shape) for a in (const, self.sigma))
        return weights, const, sigma

    def sample(self, key, sample_shape=()):
        key_init, key_eps = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        init = self.init_dist.expand(self.batch_shape).sample(key_init, sample_shape)
        weights, const, sigma = self._broadcast_params(shape)
        init = init.astype(weights.dtype)
        eps = jax.random.normal(key_eps, (self.steps,) + shape, weights.dtype)

        def step(window, e):
            # window holds (x_{t-p}, ..., x_{t-1}), hence the reversed coefficients.
            x = const + jnp.sum(weights * window, axis=-1) + sigma * e
            return jnp.concatenate([window[..., 1:], x[..., None]], axis=-1), x

        _, xs = jax.lax.scan(step, init, eps)
        return jnp.concatenate([init, jnp.moveaxis(xs, 0, -1)], axis=-1)

    def _moments(self):
        """Exact mean and variance of every ``x_t`` by propagating the window's
        mean and covariance through the (linear) recursion."""
        shape = self.batch_shape
        params = self._broadcast_params(shape)
        dtype = params[0].dtype
        mean0 = jnp.broadcast_to(self.init_dist.mean, shape + (self.order,)).astype(dtype)
        cov0 = _ar_init_cov(self.init_dist, shape + (self.order,)).astype(dtype)
        step = lambda carry, _: _ar_moment_step(params, carry, _)
        _, (means, variances) = jax.lax.scan(step, (mean0, cov0), None, length=self.steps)
        var0 = jnp.diagonal(cov0, axis1=-2, axis2=-1)
        mean = jnp.concatenate([mean0, jnp.moveaxis(means, 0, -1)], axis=-1)
        var = jnp.concatenate([var0, jnp.moveaxis(variances, 0, -1)], axis=-1)
        return mean, var

    @property
    def mean(self):
        return self._moments()[0]

    @property
    def variance(self):
        return self._moments()[1]


# ------------------------------------------------------------------------------ GARCH


class GARCH11(Distribution):
    """GARCH(1, 1) with Normal innovations, as PyMC's ``GARCH11``.

    ``y_t ~ Normal(0, sigma_t)`` with ``sigma_t^2 = omega + alpha_1 y_{t-1}^2 +
    beta_1 sigma_{t-1}^2`` and ``sigma_0 = initial_vol``; the event shape is
    ``(steps + 1,)``. Stationarity (``alpha_1 + beta_1 < 1``) is not required: a
    finite path has a proper density either way.

    Args:
        omega: constant of the variance recursion, positive.
        alpha_1: weight of the last squared value, nonnegative.
        beta_1: weight of the last variance, nonnegative.
        initial_vol: ``sigma_0``, the standard deviation of ``y_0``, positive.
        steps: number of values after ``y_0``, a positive Python int (static).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions.processes.timeseries import GARCH11
        >>> d = GARCH11(0.1, 0.2, 0.5, 1.0, steps=2)
        >>> [round(v, 4) for v in d.variance.tolist()]
        [1.0, 0.8, 0.66]
        >>> round(float(d.log_prob(jnp.zeros(3))), 3)
        -2.043
    """

    omega: jax.Array
    alpha_1: jax.Array
    beta_1: jax.Array
    initial_vol: jax.Array
    steps: int = eqx.field(static=True)

    def __init__(self, omega, alpha_1, beta_1, initial_vol, *, steps):
        name = "GARCH11"
        self.steps = _check_steps(name, steps)
        params = promote(omega, alpha_1, beta_1, initial_vol)
        self.omega, self.alpha_1, self.beta_1, self.initial_vol = params
        check_positive(name, omega=self.omega, initial_vol=self.initial_vol)
        for pname, value in (("alpha_1", self.alpha_1), ("beta_1", self.beta_1)):
            check_param(name, pname, value, lambda v: v >= 0, "must be nonnegative")

    @property
    def batch_shape(self):
        return self.omega.shape

    @property
    def event_shape(self):
        return (self.steps + 1,)

    @property
    def support(self):
        return constraints.real_vector

    def _params_at(self, shape):
        params = (self.omega, self.alpha_1, self.beta_1, self.initial_vol)
        return tuple(jnp.broadcast_to(p, shape) for p in params)

    def _log_prob(self, value):
        shape = jnp.broadcast_shapes(value.shape[:-1], self.batch_shape)
        omega, alpha, beta, vol0 = self._params_at(shape)
        dtype = jnp.result_type(value, omega)
        y = jnp.moveaxis(jnp.broadcast_to(value, shape + value.shape[-1:]), -1, 0).astype(dtype)

        def step(var_prev, y_prev):
            var = omega + alpha * y_prev**2 + beta * var_prev
            return var, var

        var0 = (vol0**2).astype(dtype)
        _, var = jax.lax.scan(step, var0, y[:-1])
        var = jnp.concatenate([var0[None], var], axis=0)
        lp = -0.5 * y**2 / var - 0.5 * jnp.log(var) - HALF_LOG_2PI
        return jnp.sum(lp, axis=0)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        omega, alpha, beta, vol0 = self._params_at(shape)
        eps = jax.random.normal(key, (self.steps + 1,) + shape, omega.dtype)

        def step(carry, e):
            y_prev, var_prev = carry
            var = omega + alpha * y_prev**2 + beta * var_prev
            y = jnp.sqrt(var) * e
            return (y, var), y

        y0 = vol0 * eps[0]
        _, ys = jax.lax.scan(step, (y0, vol0**2), eps[1:])
        return jnp.moveaxis(jnp.concatenate([y0[None], ys], axis=0), 0, -1)

    @property
    def mean(self):
        return jnp.zeros(self.shape(), self.omega.dtype)

    @property
    def variance(self):
        # E[sigma_t^2] = omega + (alpha_1 + beta_1) E[sigma_{t-1}^2], unrolled as
        # omega * sum_{j<t} phi^j + phi^t sigma_0^2 (no division, so phi = 1 is fine).
        t = jnp.arange(self.steps + 1, dtype=self.omega.dtype)
        phi, t = bcast((self.alpha_1 + self.beta_1)[..., None], t)
        powers = phi**t
        geometric = jnp.cumsum(powers, axis=-1) - powers
        omega, vol0 = bcast(self.omega[..., None], self.initial_vol[..., None], powers)[:2]
        return omega * geometric + powers * vol0**2
