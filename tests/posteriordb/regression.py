"""Linear regressions of posteriordb: kidiq, kidiq_with_mom_work, earnings, mesquite, nes,
kilpisjarvi, sblrc and diamonds.

Each Stan program is ``y ~ normal(X beta, sigma)`` with its own predictors (computed in
the data preparation, as in the program's ``transformed data``) and its own priors: a
``vector beta`` with no prior line is flat on the reals, ``real<lower=0> sigma`` with no
prior line is flat on the positive reals (``dist.ImproperUniform``), and a Cauchy or
normal prior on ``sigma > 0`` is the half- version.
"""

import numpy as np

import pplx
import pplx.distributions as dist

C = dist.constraints


@pplx.model
def flat_regression(X, y):
    """beta flat, sigma > 0 flat: the kidiq_with_mom_work, earnings, mesquite, nes programs."""
    beta = pplx.sample("beta", dist.ImproperUniform(C.real_vector, (), (X.shape[1],)))
    sigma = pplx.sample("sigma", dist.ImproperUniform(C.positive))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(X @ beta, sigma), obs=y)


@pplx.model
def cauchy_sigma_regression(X, y):
    """beta flat, sigma ~ half-Cauchy(2.5): the kidscore_mom* programs."""
    beta = pplx.sample("beta", dist.ImproperUniform(C.real_vector, (), (X.shape[1],)))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(X @ beta, sigma), obs=y)


@pplx.model
def blr(X, y):
    """sblrc-blr: beta ~ normal(0, 10), sigma ~ half-normal(10)."""
    beta = pplx.sample("beta", dist.Normal(0.0, 10.0).expand((X.shape[1],)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(10.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(X @ beta, sigma), obs=y)


@pplx.model
def kilpisjarvi(x, y, pmualpha, psalpha, pmubeta, psbeta):
    """alpha, beta normal with data-given prior settings; sigma > 0 flat."""
    alpha = pplx.sample("alpha", dist.Normal(pmualpha, psalpha))
    beta = pplx.sample("beta", dist.Normal(pmubeta, psbeta))
    sigma = pplx.sample("sigma", dist.ImproperUniform(C.positive))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(alpha + beta * x, sigma), obs=y)


@pplx.model
def diamonds(Xc, Y):
    """brms: b ~ normal(0, 1), Intercept ~ student_t(3, 8, 10), sigma ~ half-student_t(3, 0, 10)."""
    b = pplx.sample("b", dist.Normal(0.0, 1.0).expand((Xc.shape[1],)).to_event(1))
    intercept = pplx.sample("Intercept", dist.StudentT(3.0, 8.0, 10.0))
    sigma = pplx.sample("sigma", dist.HalfStudentT(3.0, 10.0))
    with pplx.plate("obs", Y.shape[0]):
        pplx.sample("Y", dist.Normal(intercept + Xc @ b, sigma), obs=Y)


def _f(x):
    return np.asarray(x, dtype=np.float64)


def design(*columns):
    """A design matrix: an intercept column, then ``columns``."""
    cols = [_f(c) for c in columns]
    return np.stack([np.ones_like(cols[0])] + cols, axis=1) if cols else None


def _xy(X, y):
    return {"X": X, "y": _f(y)}


def _centre(x):
    return _f(x) - _f(x).mean()


def kidiq(d, predictors):
    """kidscore_momhs / momiq / momhsiq: the named predictors, uncentred."""
    return _xy(design(*(d[p] for p in predictors)), d["kid_score"])


def kidiq_interaction(d, kind):
    """kidscore_interaction_{c, c2, z}: centred, centred on (0.5, 100), standardised / 2 sd."""
    hs, iq = _f(d["mom_hs"]), _f(d["mom_iq"])
    if kind == "c":
        hs, iq = _centre(hs), _centre(iq)
    elif kind == "c2":
        hs, iq = hs - 0.5, iq - 100.0
    else:  # Stan's sd() divides by N - 1
        hs, iq = _centre(hs) / (2 * hs.std(ddof=1)), _centre(iq) / (2 * iq.std(ddof=1))
    return _xy(design(hs, iq, hs * iq), d["kid_score"])


def earnings(d, kind):
    """logearn_height / height_male / interaction / interaction_z / logheight_male."""
    h, m = _f(d["height"]), _f(d["male"])
    cols = {
        "height": (h,),
        "height_male": (h, m),
        "interaction": (h, m, h * m),
        "interaction_z": (_centre(h) / h.std(ddof=1), m, _centre(h) / h.std(ddof=1) * m),
        "logheight_male": (np.log(h), m),
    }[kind]
    return _xy(design(*cols), np.log(_f(d["earn"])))


def mesquite(d, kind):
    """logmesquite / logva / logvas / logvash / logvolume: logs of the tree measurements."""
    d1, d2, ch = _f(d["diam1"]), _f(d["diam2"]), _f(d["canopy_height"])
    th, dens, g = _f(d["total_height"]), _f(d["density"]), _f(d["group"])
    vol, area, shape = np.log(d1 * d2 * ch), np.log(d1 * d2), np.log(d1 / d2)
    cols = {
        "logmesquite": (np.log(d1), np.log(d2), np.log(ch), np.log(th), np.log(dens), g),
        "logva": (vol, area, g),
        "logvas": (vol, area, shape, np.log(th), np.log(dens), g),
        "logvash": (vol, area, shape, np.log(th), g),
        "logvolume": (vol,),
    }[kind]
    return _xy(design(*cols), np.log(_f(d["weight"])))


def nes(d):
    """nes: ideology, race, age-group dummies (2, 3, 4), education, gender, income."""
    age = np.asarray(d["age_discrete"])
    cols = (d["real_ideo"], d["race_adj"], age == 2, age == 3, age == 4)
    X = design(*cols, d["educ1"], d["gender"], d["income"])
    return _xy(X, d["partyid7"])


def sblrc(d):
    return _xy(_f(d["X"]), d["y"])


def kilpisjarvi_data(d):
    keys = ("x", "y", "pmualpha", "psalpha", "pmubeta", "psbeta")
    return {k: _f(d[k]) for k in keys}


def diamonds_data(d):
    x = _f(d["X"])[:, 1:]
    return {"Xc": x - x.mean(axis=0), "Y": _f(d["Y"])}
