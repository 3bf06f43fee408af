"""ADVI on bound models: the fit, its approximation, and the pure pieces for a user's
own training step (see :mod:`pplx.vi`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.handlers import seed
from pplx.infer.devices import check_chain_method_name
from pplx.infer.vi.approximation import Approximation
from pplx.kernels import advi as advi_kernel
from pplx.kernels.advi import ADVIInfo, ADVIState, FullRankParams, MeanFieldParams
from pplx.model import Model
from pplx.model.checks import require_continuous_latents
from pplx.model.execute import constrain, joint_log_density, run_traced
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key

if TYPE_CHECKING:  # optax loads when first used (import pplx stays light)
    import optax


# ----- checks --------------------------------------------------------------------------
def _check_model(model: Any, what: str) -> None:
    require_continuous_latents(model, what)


def _check_count(name: str, value: Any) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive Python int, got {value!r}.")


def _check_method(method: str) -> None:
    if method not in advi_kernel.METHODS:
        raise ValueError(f"method must be 'meanfield' or 'fullrank', got {method!r}.")


# ----- the model's log density with a minibatch key --------------------------------------
def minibatch_logdensity(model: Model, jacobian: bool = True) -> Callable:
    """``(z, key) -> f[]``: the log density with every subsampled plate drawn from ``key``.

    Inside ``pplx.plate(name, N, subsample_size=B)`` the model sees ``B`` indices drawn
    with ``key`` and the sites there are scaled by ``N / B``, so this is an unbiased
    estimate of ``model.logdensity(z)``; without subsampled plates it equals it.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("data", y.shape[0], subsample_size=2) as idx:
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y[idx])
        >>> fn = minibatch_logdensity(m(jnp.zeros(10)))
        >>> fn(jnp.zeros(1), jax.random.key(0)).shape
        ()
    """
    args, kwargs = model._args_kwargs()
    missing = model.missing_index

    def logdensity(z: jax.Array, key: jax.Array) -> jax.Array:
        sites = run_traced(
            model.fn,
            args,
            kwargs,
            seed(key=key),
            constrain(values=model.layout.unravel(z), missing=missing),
        )
        return joint_log_density(sites, jacobian)

    return logdensity


def _check_minibatch_shapes(model: Model) -> None:
    """A latent inside a subsampled plate would change size with the minibatch: refuse."""
    args, kwargs = model._args_kwargs()
    z = jnp.zeros((model.num_dims,))

    def shapes(key):
        sites = run_traced(
            model.fn,
            args,
            kwargs,
            seed(key=key),
            constrain(values=model.layout.unravel(z), missing=model.missing_index),
        )
        return [
            (n, tuple(m.fn.batch_shape) + tuple(m.fn.event_shape), jnp.shape(m.value))
            for n, m in sites.items()
            if "unconstrained" in m.infer
        ]

    out: list = []
    try:
        jax.eval_shape(lambda k: out.extend(shapes(k)) or jnp.zeros(()), jax.random.key(0))
    except (ValueError, TypeError) as err:
        raise ValueError(_LOCAL_LATENT_MSG.format(model.fn.__name__, "") + f" ({err})") from err
    bad = [n for n, want, got in out if want != got]
    if bad:
        raise ValueError(_LOCAL_LATENT_MSG.format(model.fn.__name__, bad))


_LOCAL_LATENT_MSG = (
    "model {}: latent site(s) {} sit inside a subsampled plate, so their size would change "
    "with the minibatch. A global Gaussian cannot fit such local latents: keep only "
    "observed sites inside pplx.plate(..., subsample_size=B), or drop subsample_size."
)


# ----- the pure pieces -----------------------------------------------------------------
def init_params(
    model: Model, method: str = "meanfield", *, init: dict | None = None, init_scale: float = 0.1
) -> MeanFieldParams | FullRankParams:
    """Variational parameters: a Gaussian centred at ``init`` (constrained values by site;
    default the centre of unconstrained space) with standard deviation ``init_scale``.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("s", dist.HalfNormal(1.0))  # unconstrained: log(s)
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> p = pplx.vi.init_params(m(), "fullrank", init={"s": 1.0, "x": 2.0}, init_scale=1.0)
        >>> type(p).__name__, p.mean.tolist(), p.chol.shape
        ('FullRankParams', [0.0, 2.0], (2, 2))
    """
    _check_model(model, "init_params")
    _check_method(method)
    position = model.flatten(init) if init is not None else jnp.zeros((model.num_dims,))
    return advi_kernel.init_params(position, method, init_scale)


def elbo(
    model: Model, params: MeanFieldParams | FullRankParams, key: jax.Array, *, num_samples: int = 1
) -> jax.Array:
    """Unbiased reparameterised ELBO estimate of ``params`` for ``model`` (minibatched
    where the model subsamples). Differentiable in ``params`` and in the model's data
    leaves, so it can sit inside a user's loss next to a network's parameters.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> p = init_params(m(), init_scale=1.0)  # q equals the target: ELBO = log Z = 0
        >>> bool(abs(elbo(m(), p, jax.random.key(0), num_samples=1000)) < 0.1)
        True
    """
    key = as_key(key)
    return advi_kernel.elbo(minibatch_logdensity(model), params, key, num_samples)


def init(
    model: Model,
    optimizer: optax.GradientTransformation,
    method: str = "meanfield",
    *,
    init: dict | None = None,
    init_scale: float = 0.1,
) -> ADVIState:
    """The starting :class:`ADVIState` (parameters and optimiser state) for :func:`step`.

    Example:
        >>> import jax.numpy as jnp, optax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0).expand((3,)).to_event(1))
        >>> state = pplx.vi.init(m(), optax.adam(0.1), init_scale=0.5)
        >>> state.params.mean.tolist(), [round(float(v), 4) for v in state.params.log_std]
        ([0.0, 0.0, 0.0], [-0.6931, -0.6931, -0.6931])
        >>> int(state.step)
        0
    """
    params = init_params(model, method, init=init, init_scale=init_scale)
    return ADVIState(params=params, opt_state=optimizer.init(params), step=jnp.zeros((), jnp.int32))


def step(
    model: Model,
    key: jax.Array,
    state: ADVIState,
    optimizer: optax.GradientTransformation,
    *,
    num_elbo_samples: int = 1,
) -> tuple[ADVIState, ADVIInfo]:
    """One ADVI step: an optimiser update on ``-ELBO``. Pure; the family is read from the
    parameters in ``state``.

    Example:
        >>> import jax, jax.numpy as jnp, optax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(3.0, 1.0))
        >>> opt = optax.adam(0.1)
        >>> state = init(m(), opt)
        >>> run = jax.jit(lambda k, s: step(m(), k, s, opt))
        >>> for i in range(300):
        ...     state, info = run(jax.random.key(i), state)
        >>> bool(abs(state.params.mean[0] - 3.0) < 0.3)
        True
    """
    key = as_key(key)
    return advi_kernel.advi_step(
        minibatch_logdensity(model), optimizer, key, state, num_elbo_samples
    )


# ----- ADVI ----------------------------------------------------------------------------
class _ELBOBar(NamedTuple):
    """A hashable progress hook: ``hook(iteration, elbo)`` from inside the loop."""

    num_steps: int

    def hook(self, iteration, value) -> None:
        period = max(1, self.num_steps // 100)
        due = ((iteration + 1) % period == 0) | (iteration + 1 == self.num_steps)
        jax.lax.cond(due, lambda: jax.debug.callback(_bar_update, iteration, value), lambda: None)


_BAR: dict = {}


def _bar_update(iteration, value) -> None:
    bar = _BAR.get("bar")
    if bar is None:
        return
    done = int(iteration) + 1
    bar.set_postfix(elbo=f"{float(value):.4g}", refresh=False)
    bar.update(done - _BAR["done"])
    _BAR["done"] = done


def advi(
    model: Model,
    key: jax.Array,
    *,
    num_steps: int = 10000,
    method: str = "meanfield",
    optimizer: optax.GradientTransformation | None = None,
    num_elbo_samples: int = 1,
    init: dict | None = None,
    init_scale: float = 0.1,
    tol: float = 1e-4,
    convergence: str | None = "elbo",
    check_every: int = 100,
    progress_bar: bool = False,
    num_restarts: int = 1,
    chain_method: str = "auto",
) -> Approximation:
    """Fit a Gaussian in unconstrained space by ADVI.

    The reparameterised ELBO (analytic Gaussian entropy) is maximised with ``optimizer``
    inside one ``lax.while_loop`` that stops after ``num_steps`` steps or when the
    convergence test passes (see :func:`pplx.kernels.advi.fit`: windowed relative change
    of the ELBO or of the parameters below ``tol``, checked every ``check_every`` steps).
    Minibatching: write the likelihood inside ``pplx.plate(name, N, subsample_size=B)``
    and index the data with the indices it yields; each step then draws a new minibatch on
    device and the ELBO stays unbiased.

    Pure unless ``progress_bar=True``: ``jax.jit`` and ``jax.vmap`` (over keys) apply.

    Args:
        model: a bound model with continuous latents.
        key: PRNG key.
        num_steps: most optimisation steps.
        method: ``"meanfield"`` or ``"fullrank"``.
        optimizer: optax transformation; default ``optax.adam(1e-2)``.
        num_elbo_samples: Monte Carlo draws per gradient.
        init: constrained starting values of the mean (default: centre of unconstrained
            space).
        init_scale: initial standard deviation.
        tol, convergence, check_every: the stopping test; ``convergence=None`` runs all
            ``num_steps``.
        progress_bar: show a bar with the running ELBO (host callbacks; one fit only,
            not with ``num_restarts > 1``).
        num_restarts: fits to run, from ``init`` and from ``num_restarts - 1`` random
            starts; the one with the highest ELBO is returned (all of them:
            :func:`pplx.infer.vi.advi_restarts`).
        chain_method: how the restarts run, as chains do in :func:`pplx.nuts`:
            ``"auto"``, ``"vectorized"``, ``"sequential"`` or ``"parallel"`` (split over
            the devices; ``num_restarts`` a multiple of their number). The same fits
            whichever is chosen.

    Returns:
        :class:`Approximation`.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> approx = advi(m(jnp.full(4, 2.0)), jax.random.key(0), num_steps=2000)
        >>> bool(abs(approx.constrained_mean["mu"] - 2.0) < 0.2)
        True
    """
    key = as_key(key)
    _check_count("num_restarts", num_restarts)
    options = dict(
        num_steps=num_steps,
        method=method,
        optimizer=optimizer,
        num_elbo_samples=num_elbo_samples,
        init=init,
        init_scale=init_scale,
        tol=tol,
        convergence=convergence,
        check_every=check_every,
    )
    from pplx.infer.vi import restarts  # it imports this module

    if num_restarts > 1:  # several fits, the best returned (pplx/infer/vi/restarts.py)
        if progress_bar:
            raise ValueError("progress_bar=True shows one fit: not with num_restarts > 1.")
        fits = restarts.advi_restarts(
            model, key, num_restarts=num_restarts, chain_method=chain_method, **options
        )
        return restarts.best_restart(fits)
    check_chain_method_name(chain_method)  # one fit: nothing to split over devices
    hook = _ELBOBar(num_steps) if progress_bar else None
    position, settings = prepare_fit(model, progress=hook, **options)
    if not progress_bar:
        return _advi_fit(model, key, position, **settings)
    from tqdm.auto import tqdm

    _BAR.update(bar=tqdm(total=num_steps, file=sys.stderr, unit="step", desc="ADVI"), done=0)
    try:
        return jax.block_until_ready(_advi_fit(model, key, position, **settings))
    finally:
        _BAR.pop("bar").close()
        _BAR.clear()


def prepare_fit(
    model,
    *,
    num_steps,
    method,
    optimizer,
    num_elbo_samples,
    init,
    init_scale,
    tol,
    convergence,
    check_every,
    progress=None,
):
    """Check an ADVI fit's model and settings (before tracing); return its starting
    mean and the settings of :func:`fit_approximation`."""
    _check_model(model, "advi")
    _check_method(method)
    _check_count("num_steps", num_steps)
    _check_count("num_elbo_samples", num_elbo_samples)
    _check_count("check_every", check_every)
    _check_minibatch_shapes(model)
    position = model.flatten(init) if init is not None else jnp.zeros((model.num_dims,))
    if optimizer is None:
        import optax  # loads when first used, not with import pplx

        optimizer = optax.adam(1e-2)
    settings = dict(
        num_steps=num_steps,
        method=method,
        optimizer=optimizer,
        num_elbo_samples=num_elbo_samples,
        init_scale=init_scale,
        tol=tol,
        convergence=convergence,
        check_every=check_every,
        progress=progress,
    )
    return position, settings


def fit_approximation(
    model,
    key,
    position,
    *,
    num_steps,
    method,
    optimizer,
    num_elbo_samples,
    init_scale,
    tol,
    convergence,
    check_every,
    progress,
) -> Approximation:
    """One ADVI fit from ``position`` (pure; :func:`advi` compiles it with the settings
    static, the model's data and the key traced)."""
    algo = advi_kernel.advi(
        minibatch_logdensity(model),
        optimizer,
        method=method,
        num_elbo_samples=num_elbo_samples,
        init_scale=init_scale,
    )
    out = advi_kernel.fit(
        algo,
        key,
        algo.init(position),
        num_steps=num_steps,
        tol=tol,
        convergence=convergence,
        check_every=check_every,
        progress=progress,
    )
    params = out.state.params
    return Approximation(
        model=model,
        mean=params.mean,
        scale=advi_kernel.scale(params),
        elbo_trace=out.elbo_trace,
        num_steps=out.num_steps,
        converged=out.converged,
        method=method,
    )


_advi_fit = filter_jit(fit_approximation)
