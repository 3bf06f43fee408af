"""pplx's results read the same with ArviZ 0.23 (InferenceData) and 1.x (DataTree).

Run by the main suite (ArviZ 0.23) and by the ArviZ 1.x matrix venv (``make
test-arviz1``). Oracles: a closed-form posterior read back through ArviZ's own
``summary``, and the group and attribute names pplx wrote.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.results.arviz_compat import arviz_major, group_dataset, group_names, import_arviz

PRIOR_SD, N = 10.0, 20
Y = np.random.default_rng(0).normal(1.5, 1.0, size=N)


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, PRIOR_SD))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


@pytest.fixture(scope="module")
def idata():
    model = normal_mean(jnp.asarray(Y))
    return pplx.nuts(
        model, jax.random.key(0), num_warmup=300, num_samples=500, num_chains=2,
        progress_bar=False,
    )  # fmt: skip


def test_the_result_type_follows_the_installed_arviz(idata):
    expect = "InferenceData" if arviz_major() == 0 else "DataTree"
    assert type(idata).__name__ == expect


def test_nuts_smoke_against_the_closed_form_through_arviz_summary(idata):
    az = import_arviz()
    precision = 1.0 / PRIOR_SD**2 + N
    mean, sd = Y.sum() / precision, precision**-0.5
    row = az.summary(idata, var_names=["mu"], round_to="none").loc["mu"]
    assert abs(row["mean"] - mean) < 5 * row["mcse_mean"]
    assert abs(row["sd"] / sd - 1) < 0.15  # sd of an sd estimate from ~500 effective draws
    assert row["r_hat"] < 1.05 and row["ess_bulk"] > 200


def test_groups_attrs_and_sample_stats(idata):
    names = group_names(idata)
    assert names[:2] == ["posterior", "sample_stats"]
    assert "observed_data" in names and "constant_data" not in names  # y: the one argument
    for name in names:
        assert idata[name].attrs["sampler"] == "nuts", name  # run facts on every group
    stats = group_dataset(idata, "sample_stats")
    assert stats["diverging"].dtype == bool and stats["lp"].dims == ("chain", "draw")


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # 50 draws suffice here
def test_infer_discrete_adds_to_the_posterior_group():
    @pplx.model
    def mix(y):
        mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        with pplx.plate("obs", y.shape[0]):
            k = pplx.sample("k", dist.Bernoulli(probs=0.5))
            pplx.sample("y", dist.Normal(mu + 4.0 * k, 0.5), obs=y)

    model = mix(jnp.array([0.0, 4.0, 4.1]))
    run = pplx.nuts(
        model, jax.random.key(1), marginalize="auto", num_warmup=100, num_samples=50,
        num_chains=1, progress_bar=False,
    )  # fmt: skip
    out = pplx.infer_discrete(model, run, jax.random.key(2))
    assert out.posterior["k"].dims == ("chain", "draw", "obs")
    assert "k" not in run.posterior  # the input is not changed
    # y = 0 goes with k = 0 and y = 4 with k = 1 in (nearly) every draw: 8 sd apart
    k = out.posterior["k"].values
    assert k[..., 0].mean() < 0.05 and k[..., 1:].mean() > 0.95


def test_only_the_compat_module_imports_arviz():
    """The rest of pplx stays version-agnostic: no ``import arviz`` outside
    ``pplx/results/arviz_compat.py`` (and the background import of prefetch.py)."""
    import ast
    from pathlib import Path

    root = Path(pplx.__file__).parent
    allowed = {"results/arviz_compat.py", "results/prefetch.py"}
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "arviz" or n.startswith("arviz.") for n in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers - allowed == set(), sorted(importers - allowed)
    assert "results/arviz_compat.py" in importers  # the walk finds imports inside functions
