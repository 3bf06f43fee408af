"""The benchmark posteriors as PyMC models, for nutpie.

Site names, priors and supports match ``models_pplx``, ``models_numpyro`` and
``models_blackjax``. A bounded parameter with no prior (Stan's convention: flat on its
support) is ``pm.Flat``/``pm.HalfFlat``/``pm.Uniform``; a prior on a support PyMC has
no ready-made distribution for is a distribution with an explicit transform (the normal
on an ordered vector) or a flat site plus ``pm.Potential``.

PyMC's default transforms here are the same maps as the other implementations' (log
for a positive value, the scaled logistic for an interval, first value plus cumulative
exp for an ordered vector), so the unconstrained values of a site can be passed to PyMC
unchanged: ``bench.check_densities --pymc`` compares the log densities at the same
unconstrained points.

Model without a PyMC version yet: hmm_example (PyMC's simplex transform is not the
stick-breaking map of the others, so its densities would need comparing on the
constrained scale). ``PYMC_MODELS`` lists those that have one.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bench.common import model_data

#: Every constant a float64 array: PyTensor stores a bare Python float such as 5.0 in
#: the narrowest dtype that holds it exactly (float32 here), and then computes log(5) in
#: float32, 3e-8 off the float64 density.
F = np.float64


def eight_schools(y, sigma):
    with pm.Model() as m:
        mu = pm.Normal("mu", F(0.0), F(5.0))
        tau = pm.HalfCauchy("tau", F(5.0))
        z = pm.Normal("theta_trans", F(0.0), F(1.0), shape=y.shape[0])
        theta = pm.Deterministic("theta", mu + tau * z)
        pm.Normal("y", theta, sigma, observed=y)
    return m


def kidiq(kid_score, mom_hs, mom_iq):
    with pm.Model() as m:
        beta = pm.Flat("beta", shape=3)
        sigma = pm.HalfCauchy("sigma", F(2.5))
        mean = beta[0] + beta[1] * mom_hs + beta[2] * mom_iq
        pm.Normal("kid_score", mean, sigma, observed=kid_score)
    return m


def earnings(log_earn, height, male):
    with pm.Model() as m:
        beta = pm.Flat("beta", shape=4)
        sigma = pm.HalfFlat("sigma")
        mean = beta[0] + beta[1] * height + beta[2] * male + beta[3] * height * male
        pm.Normal("log_earn", mean, sigma, observed=log_earn)
    return m


def nes(x, partyid7):
    with pm.Model() as m:
        beta = pm.Flat("beta", shape=x.shape[1] + 1)
        sigma = pm.HalfFlat("sigma")
        mean = beta[0] + pt.dot(x, beta[1:])
        pm.Normal("partyid7", mean, sigma, observed=partyid7)
    return m


def sblrc(X, y):
    with pm.Model() as m:
        beta = pm.Normal("beta", F(0.0), F(10.0), shape=X.shape[1])
        sigma = pm.HalfNormal("sigma", F(10.0))
        pm.Normal("y", pt.dot(X, beta), sigma, observed=y)
    return m


def ark(lags, y_obs):
    with pm.Model() as m:
        alpha = pm.Normal("alpha", F(0.0), F(10.0))
        beta = pm.Normal("beta", F(0.0), F(10.0), shape=lags.shape[1])
        sigma = pm.HalfCauchy("sigma", F(2.5))
        pm.Normal("y", alpha + pt.dot(lags, beta), sigma, observed=y_obs)
    return m


def garch(y, sigma1):
    import pytensor

    with pm.Model() as m:
        mu = pm.Flat("mu")
        alpha0 = pm.HalfFlat("alpha0")
        alpha1 = pm.Uniform("alpha1", F(0.0), F(1.0))
        # Flat on (0, 1 - alpha1): the uniform's -log(1 - alpha1) is cancelled, so that
        # the density is Stan's (no prior), and the interval transform takes the bound
        # evaluated at this alpha1.
        beta1 = pm.Uniform("beta1", F(0.0), F(1.0) - alpha1)
        pm.Potential("beta1_flat", pt.log(F(1.0) - alpha1))

        # the parameters go in as non-sequences: PyMC replaces them by their values
        def step(y_prev, sigma_prev, mu, alpha0, alpha1, beta1):
            return pt.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * sigma_prev**2)

        s1 = pt.as_tensor_variable(np.float64(sigma1))
        rest = pytensor.scan(
            step,
            sequences=[pt.as_tensor_variable(y[:-1])],
            outputs_info=[s1],
            non_sequences=[mu, alpha0, alpha1, beta1],
        )
        rest = rest[0] if isinstance(rest, tuple) else rest
        sigma = pt.concatenate([pt.reshape(s1, (1,)), rest])
        pm.Normal("y", mu, sigma, observed=y)
    return m


def gauss_mix(y):
    with pm.Model() as m:
        # Normal(0, 2) on each of an ordered pair: a density on the ordered support
        mu = pm.Normal(
            "mu",
            F(0.0),
            F(2.0),
            shape=2,
            transform=pm.distributions.transforms.ordered,
            initval=np.array([-1.0, 1.0]),
        )
        sigma = pm.HalfNormal("sigma", F(2.0), shape=2)
        theta = pm.Beta("theta", F(5.0), F(5.0))
        lik = pt.logaddexp(
            pt.log(theta) + pm.logp(pm.Normal.dist(mu[0], sigma[0]), y),
            pt.log1p(-theta) + pm.logp(pm.Normal.dist(mu[1], sigma[1]), y),
        )
        pm.Potential("y", pt.sum(lik))
    return m


def gp_pois_regr(x, k):
    with pm.Model() as m:
        rho = pm.Gamma("rho", alpha=F(25.0), beta=F(4.0))
        alpha = pm.HalfNormal("alpha", F(2.0))
        f_tilde = pm.Normal("f_tilde", F(0.0), F(1.0), shape=x.shape[0])
        d = x[:, None] - x[None, :]
        cov = alpha**2 * pt.exp(-(d**2) / (F(2.0) * rho**2)) + F(1e-10) * np.eye(x.shape[0])
        f = pm.Deterministic("f", pt.dot(pt.linalg.cholesky(cov), f_tilde))
        pm.Poisson("k", pt.exp(f), observed=k)
    return m


def diamonds(Xc, Y):
    with pm.Model() as m:
        b = pm.Normal("b", F(0.0), F(1.0), shape=Xc.shape[1])
        intercept = pm.StudentT("Intercept", nu=F(3.0), mu=F(8.0), sigma=F(10.0))
        # half Student-t(3, 0, 10): the Student-t density doubled, as the others
        sigma = pm.HalfStudentT("sigma", nu=F(3.0), sigma=F(10.0))
        pm.Normal("Y", intercept + pt.dot(Xc, b), sigma, observed=Y)
    return m


PYMC_MODELS = {
    "eight_schools-eight_schools_noncentered": eight_schools,
    "kidiq-kidscore_momhsiq": kidiq,
    "earnings-logearn_interaction": earnings,
    "nes2000-nes": nes,
    "sblrc-blr": sblrc,
    "arK-arK": ark,
    "garch-garch11": garch,
    "gp_pois_regr-gp_pois_regr": gp_pois_regr,
    "low_dim_gauss_mix-low_dim_gauss_mix": gauss_mix,
    "diamonds-diamonds": diamonds,
}


def pymc_model(posterior: str) -> pm.Model:
    """The PyMC model of ``posterior`` with its data (NumPy arrays) as constants."""
    if posterior not in PYMC_MODELS:
        raise NotImplementedError(f"no PyMC version of {posterior} yet")
    data = model_data(posterior)
    return PYMC_MODELS[posterior](**data)


def value_names(m: pm.Model) -> dict[str, str]:
    """Site name -> the name of PyMC's (unconstrained) value variable."""
    return {rv.name: m.rvs_to_values[rv].name for rv in m.free_RVs}


def logp_at(m: pm.Model):
    """A function of ``site -> unconstrained value`` giving PyMC's log density (with
    the log|Jacobian| of the transforms and the potentials)."""
    fn = m.compile_logp(jacobian=True)
    names = value_names(m)

    def logp(u: dict) -> float:
        point = {names[site]: np.asarray(value, dtype=np.float64) for site, value in u.items()}
        return float(fn(point))

    return logp
