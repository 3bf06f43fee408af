"""The Gaussian approximation a variational fit returns (:class:`Approximation`):
moments, draws, and conversion to a :class:`pplx.results.Posterior` or ArviZ."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pplx.model import Model
from pplx.model.data_dims import constant_data_dims
from pplx.results.posterior import Posterior
from pplx.runtime.keys import as_key

__all__ = ["Approximation"]


class Approximation(eqx.Module):
    """A Gaussian approximation of a model's posterior in unconstrained space.

    Attributes:
        model: the bound model.
        method: ``"meanfield"``, ``"fullrank"`` or ``"laplace"``.
        mean: ``f[d]`` unconstrained mean.
        scale: ``f[d]`` standard deviations (mean-field) or ``f[d, d]`` Cholesky factor.
        elbo_trace: ELBO estimate per step (NaN after the last step taken; empty for
            Laplace).
        num_steps: optimisation steps taken.
        converged: whether the convergence test stopped the run before the step cap.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("s", dist.LogNormal(0.0, 0.5))
        >>> approx = pplx.vi.advi(m(), jax.random.key(0), num_steps=200, method="fullrank")
        >>> approx.method, approx.mean.shape, approx.scale_tril.shape, approx.std.shape
        ('fullrank', (1,), (1, 1), (1,))
        >>> draws = approx.sample(jax.random.key(1), 100)
        >>> draws["s"].shape, bool((draws["s"] > 0).all())
        ((100,), True)
    """

    model: Model
    mean: jax.Array
    scale: jax.Array
    elbo_trace: jax.Array
    num_steps: jax.Array
    converged: jax.Array
    method: str = eqx.field(static=True, default="meanfield")

    @property
    def scale_tril(self) -> jax.Array:
        return jnp.diag(self.scale) if self.scale.ndim == 1 else self.scale

    @property
    def cov(self) -> jax.Array:
        """Unconstrained covariance ``(d, d)``."""
        L = self.scale_tril
        return L @ L.T

    @property
    def std(self) -> jax.Array:
        """Unconstrained standard deviations ``(d,)``."""
        return self.scale if self.scale.ndim == 1 else jnp.sqrt(jnp.diag(self.cov))

    @property
    def constrained_mean(self) -> dict[str, jax.Array]:
        """Constrained latents and deterministics at the unconstrained mean (for a
        monotone one-dimensional transform, the approximate posterior median)."""
        return self.model.constrain(self.mean)

    @property
    def elbo(self) -> jax.Array:
        """Mean ELBO estimate over the last (up to) 100 steps taken."""
        n = self.num_steps
        idx = jnp.arange(self.elbo_trace.shape[0])
        window = (idx < n) & (idx >= n - 100)
        return jnp.sum(jnp.where(window, self.elbo_trace, 0.0)) / jnp.maximum(jnp.sum(window), 1)

    def sample_unconstrained(self, key: jax.Array, num_draws: int) -> jax.Array:
        key = as_key(key)
        eps = jax.random.normal(key, (num_draws,) + self.mean.shape, self.mean.dtype)
        return self.mean[None] + eps @ self.scale_tril.T

    def sample(self, key: jax.Array, num_draws: int = 1000) -> dict[str, jax.Array]:
        """``num_draws`` constrained draws by site, deterministics included."""
        return jax.vmap(self.model.constrain)(self.sample_unconstrained(key, num_draws))

    def to_posterior(self, key: jax.Array, num_draws: int = 1000) -> Posterior:
        """Draws as a one-chain :class:`pplx.results.Posterior` (host arrays)."""
        draws = self.sample(key, num_draws)
        sites = self.model.named_vars
        observed = self.model.observed_data()
        attrs = {
            "inference": f"vi.{self.method}",
            "num_steps": int(self.num_steps),
            "converged": bool(self.converged),
        }
        if self.elbo_trace.shape[0]:
            attrs["elbo"] = float(self.elbo)
        return Posterior(
            draws={k: np.asarray(v)[None] for k, v in draws.items()},
            stats={},
            dims={k: sites[k].dims for k in draws if k in sites},
            observed={k: np.asarray(v) for k, v in observed.items()},
            observed_dims={k: sites[k].dims for k in observed},
            attrs=attrs,
            constant_data={k: np.asarray(v) for k, v in self.model.constant_data().items()},
            constant_dims=constant_data_dims(self.model),
            coords=self.model.coords,
        )

    def to_arviz(self, key: jax.Array | None = None, num_draws: int = 1000):
        """ArviZ ``InferenceData`` of ``num_draws`` draws (one chain)."""
        key = jax.random.key(0) if key is None else key
        return self.to_posterior(key, num_draws).to_arviz()
