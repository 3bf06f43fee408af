"""Tests for pplx.diagnostics.

Oracle: ArviZ run on the same arrays. The algorithms are the same (split chains, Blom
rank normalisation, FFT autocovariance, Geyer's initial monotone sequence), so agreement is
to floating-point rounding; RTOL leaves room for FFT lengths and summation order only.
"""

import ast
import doctest
import pathlib
import sys
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from pplx import diagnostics as diag
from pplx.diagnostics import _kernels, estimators, report

RTOL = 1e-9
NUM_CHAINS, NUM_DRAWS = 4, 400


@pytest.fixture(scope="module")
def az():
    # Imported lazily: it costs seconds and only the oracle needs it.
    import arviz

    # ArviZ 0.23 switches to numba kernels when numba is installed (it is, with the
    # bench-nutpie extra), and its numba mcse_sd fails on numpy 2.4 (float() of a
    # 1-element array): the oracle is ArviZ's NumPy path
    was_on = arviz.Numba.numba_flag
    arviz.Numba.disable_numba()
    yield arviz
    if was_on:
        arviz.Numba.enable_numba()


def _ar1(rng, phi, shape):
    """AR(1) chains x_t = phi x_{t-1} + e_t, shaped (chain, draw, *rest)."""
    noise = rng.normal(size=shape)
    x = np.empty(shape)
    x[:, 0] = noise[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    return x


def _datasets():
    rng = np.random.default_rng(20240601)
    shape = (NUM_CHAINS, NUM_DRAWS, 3)
    return {
        "iid": rng.normal(size=shape),
        "ar1_strong": _ar1(rng, 0.95, shape),
        "ar1_negative": _ar1(rng, -0.9, shape),
        "shifted_means": rng.normal(size=shape) + 0.5 * np.arange(NUM_CHAINS)[:, None, None],
        "heavy_tailed": rng.standard_t(1.2, size=shape),
        "multi_dim": _ar1(rng, 0.5, (NUM_CHAINS, NUM_DRAWS, 2, 3)),
        "odd_draws": rng.normal(size=(3, 101, 2)),
        "ties": rng.integers(0, 3, size=(NUM_CHAINS, 200, 2)).astype(np.float64),
        "single_chain": _ar1(rng, 0.7, (1, NUM_DRAWS, 2)),
        "scalar_param": rng.normal(size=(NUM_CHAINS, NUM_DRAWS)),
    }


DATASETS = _datasets()

# (our function, ArviZ function name, ArviZ method)
ESTIMATORS = [
    (diag.split_rhat, "rhat", "rank"),
    (diag.ess_bulk, "ess", "bulk"),
    (diag.ess_tail, "ess", "tail"),
    (diag.ess_mean, "ess", "mean"),
    (diag.mcse_mean, "mcse", "mean"),
    (diag.mcse_sd, "mcse", "sd"),
]


def _oracle(az, fn_name, method, x):
    dataset = az.convert_to_dataset({"x": np.asarray(x)})
    return getattr(az, fn_name)(dataset, method=method)["x"].values


@pytest.mark.parametrize("data_name", sorted(DATASETS))
@pytest.mark.parametrize(
    ("fn", "az_name", "method"), ESTIMATORS, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_matches_arviz(az, data_name, fn, az_name, method):
    x = DATASETS[data_name]
    ours = np.asarray(fn(x))
    expected = _oracle(az, az_name, method, x)
    assert ours.shape == x.shape[2:]
    np.testing.assert_allclose(ours, expected, rtol=RTOL, equal_nan=True)


def test_sweep_of_short_chains_matches_arviz(az):
    """Short chains of every autocorrelation sign hit each stopping rule of Geyer's sequence."""
    rng = np.random.default_rng(7)
    for _ in range(25):
        num_chains = int(rng.integers(1, 4))
        num_draws = int(rng.integers(4, 40))
        x = _ar1(rng, rng.uniform(-0.95, 0.95), (num_chains, num_draws, 2))
        for fn, az_name, method in ESTIMATORS[1:]:
            expected = _oracle(az, az_name, method, x)
            np.testing.assert_allclose(fn(x), expected, rtol=RTOL, err_msg=str(x.shape))


def test_expected_behaviour_on_known_cases():
    x = DATASETS["iid"]
    assert np.all(diag.split_rhat(x) < 1.01)
    assert np.all(diag.ess_bulk(x) > 0.5 * x.shape[0] * x.shape[1])
    assert np.all(diag.split_rhat(DATASETS["shifted_means"]) > 1.1)
    assert np.all(diag.ess_bulk(DATASETS["ar1_strong"]) < 0.1 * x.shape[0] * x.shape[1])


def test_bfmi_matches_arviz(az):
    rng = np.random.default_rng(3)
    energy = np.stack([rng.normal(size=500), rng.normal(size=500).cumsum()])
    np.testing.assert_allclose(diag.bfmi(energy), az.bfmi(energy), rtol=RTOL)
    assert diag.bfmi(energy).shape == (2,)
    assert diag.bfmi(energy)[1] < 0.3 < diag.bfmi(energy)[0]


def test_accepts_jax_arrays():
    x = DATASETS["multi_dim"]
    np.testing.assert_allclose(diag.ess_bulk(jnp.asarray(x)), diag.ess_bulk(x), rtol=1e-12)
    np.testing.assert_allclose(diag.bfmi(jnp.asarray(x[..., 0, 0])), diag.bfmi(x[..., 0, 0]))


def test_scalar_parameter_gives_numpy_scalar():
    value = diag.split_rhat(DATASETS["scalar_param"])
    assert isinstance(value, np.floating)


def test_blocks_of_parameters_give_the_same_answer(monkeypatch):
    x = DATASETS["multi_dim"]
    whole = [fn(x) for fn, _, _ in ESTIMATORS]
    monkeypatch.setattr(estimators, "_BLOCK_ELEMENTS", 2 * NUM_CHAINS * NUM_DRAWS)
    for (fn, _, _), expected in zip(ESTIMATORS, whole, strict=True):
        np.testing.assert_array_equal(fn(x), expected)


def test_constant_chains_match_arviz_without_warnings(az):
    constant = np.ones((NUM_CHAINS, 100))
    stuck_apart = np.repeat([[0.0], [1.0]], 50, axis=1)  # two chains, each constant
    for x in (constant, stuck_apart):
        for fn, az_name, method in ESTIMATORS:
            with warnings.catch_warnings():
                # ArviZ divides by the zero variance without guarding it.
                warnings.filterwarnings("ignore", "divide by zero", RuntimeWarning)
                warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
                expected = _oracle(az, az_name, method, x)
            np.testing.assert_allclose(fn(x), expected, rtol=RTOL, equal_nan=True)
    assert np.isnan(diag.split_rhat(constant))
    assert diag.split_rhat(stuck_apart) == np.inf
    assert diag.ess_bulk(constant) == constant.size
    assert np.isnan(diag.bfmi(constant)).all()


def test_invalid_elements_give_nan_only_there():
    x = DATASETS["iid"].copy()
    x[1, 5, 0] = np.nan
    rhat = diag.split_rhat(x)
    assert np.isnan(rhat[0]) and np.isfinite(rhat[1:]).all()
    assert np.isnan(diag.ess_tail(x)[0])
    short = DATASETS["iid"][:, :3]
    for fn, _, _ in ESTIMATORS:
        assert np.isnan(fn(short)).all()
    assert np.isnan(diag.split_rhat(DATASETS["single_chain"])).all()
    assert np.isfinite(diag.ess_bulk(DATASETS["single_chain"])).all()


def test_wrong_shapes_raise_with_advice():
    with pytest.raises(ValueError, match=r"x\[None\]"):
        diag.ess_bulk(np.zeros(10))
    with pytest.raises(ValueError, match=r"energy\[None\]"):
        diag.bfmi(np.zeros(10))
    with pytest.raises(ValueError, match="same number of chains"):
        diag.summarize({"a": np.zeros((2, 10)), "b": np.zeros((3, 10))})
    with pytest.raises(ValueError, match="'energy'"):
        diag.convergence_warnings({}, {"energy": np.zeros(10)})


def test_average_ranks_handle_ties():
    rows = np.array([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0]]).reshape(1, 2, 3)
    # average ranks 5, 1.5, 5, 3, 1.5, 5 -> Blom probabilities (r - 3/8) / (n + 1/4)
    ranks = np.array([5.0, 1.5, 5.0, 3.0, 1.5, 5.0])
    from statistics import NormalDist

    expected = [NormalDist().inv_cdf((r - 0.375) / 6.25) for r in ranks]
    np.testing.assert_allclose(_kernels.z_scale(rows).ravel(), expected, rtol=1e-14)


# ---- report ---------------------------------------------------------------------------


def _good_run(rng, num_draws=500):
    draws = {
        "mu": rng.normal(size=(NUM_CHAINS, num_draws)),
        "theta": rng.normal(size=(NUM_CHAINS, num_draws, 2, 3)),
    }
    stats = {
        "diverging": np.zeros((NUM_CHAINS, num_draws), dtype=bool),
        "tree_depth": np.full((NUM_CHAINS, num_draws), 3),
        "energy": rng.normal(size=(NUM_CHAINS, num_draws)),
    }
    return draws, stats


def test_summarize_reports_worst_element():
    draws = {"mu": DATASETS["scalar_param"], "theta": DATASETS["multi_dim"]}
    summary = diag.summarize(draws)
    assert set(summary) == {"mu", "theta"}
    theta = DATASETS["multi_dim"]
    assert summary["theta"]["ess_bulk"] == np.min(diag.ess_bulk(theta))
    assert summary["theta"]["ess_tail"] == np.min(diag.ess_tail(theta))
    assert summary["theta"]["r_hat"] == np.max(diag.split_rhat(theta))
    single = diag.summarize({"mu": DATASETS["single_chain"]})
    assert np.isnan(single["mu"]["r_hat"]) and single["mu"]["ess_bulk"] > 0


def test_clean_run_has_no_warnings_and_ok_verdict():
    draws, stats = _good_run(np.random.default_rng(0))
    assert diag.convergence_warnings(draws, stats, max_tree_depth=10) == []
    line = diag.verdict(draws, stats, max_tree_depth=10)
    assert line.startswith("OK: 0 divergences, max R-hat 1.0")
    assert "min bulk ESS" in line and "\n" not in line


def test_divergences_warning_names_count_and_share():
    draws, stats = _good_run(np.random.default_rng(1))
    stats["diverging"][2, :12] = True
    (message,) = diag.convergence_warnings(draws, stats)
    assert message.startswith("12 divergent transitions")
    assert "(0.6% of 2000 draws)" in message and "target_accept" in message
    assert diag.verdict(draws, stats).startswith("CHECK: 12 divergences (0.6%)")


def test_rhat_warning_names_only_the_bad_elements():
    rng = np.random.default_rng(2)
    draws, stats = _good_run(rng)
    draws["tau"] = rng.normal(size=(NUM_CHAINS, 500)) + np.arange(NUM_CHAINS)[:, None]
    draws["theta"][..., 1, 2] += np.arange(NUM_CHAINS)[:, None]
    messages = diag.convergence_warnings(draws, stats)
    (rhat_message,) = [m for m in messages if m.startswith("R-hat")]
    assert "for tau, theta[1,2] (max" in rhat_message or "for theta[1,2], tau (max" in rhat_message
    named = rhat_message.split(" (max")[0]
    assert "mu" not in named and "theta[0,0]" not in named
    assert any(m.startswith("Bulk ESS below 400") and "tau" in m for m in messages)
    line = diag.verdict(draws, stats)
    assert line.startswith("CHECK: 0 divergences, max R-hat") and "(t" in line


def test_low_tail_ess_and_threshold_scale_with_chains():
    rng = np.random.default_rng(3)
    draws = {"sigma": _ar1(rng, 0.97, (2, 300))}
    messages = diag.convergence_warnings(draws, {}, min_ess_per_chain=100)
    assert any(
        m.startswith("Bulk ESS below 200 (100 per chain x 2 chains) for sigma") for m in messages
    )
    assert any(m.startswith("Tail ESS below 200") for m in messages)
    assert diag.convergence_warnings(draws, {}, min_ess_per_chain=1, rhat_threshold=2.0) == []


def test_bfmi_and_tree_depth_warnings():
    rng = np.random.default_rng(4)
    draws, stats = _good_run(rng)
    stats["energy"][1] = rng.normal(size=500).cumsum()
    stats["tree_depth"][:, :10] = 10  # 2% of draws
    messages = diag.convergence_warnings(draws, stats, max_tree_depth=10)
    assert any(m.startswith("E-BFMI below 0.3 in chain(s) 1 (") for m in messages)
    assert any(m.startswith("40 draws (2.0%) reached the maximum tree depth 10") for m in messages)
    assert not any("tree depth" in m for m in diag.convergence_warnings(draws, stats))
    stats["tree_depth"][:, 1:10] = 3  # 0.2%: under the 1% threshold
    assert not any(
        "tree depth" in m for m in diag.convergence_warnings(draws, stats, max_tree_depth=10)
    )
    assert "min E-BFMI" in diag.verdict(draws, stats, max_tree_depth=10)


def test_missing_stats_and_many_bad_elements():
    rng = np.random.default_rng(5)
    shift = np.arange(NUM_CHAINS)[:, None, None]
    draws = {"z": rng.normal(size=(NUM_CHAINS, 200, 12)) + shift}
    messages = diag.convergence_warnings(draws, {})
    (rhat_message,) = [m for m in messages if m.startswith("R-hat")]
    assert "and 4 more" in rhat_message
    assert "divergences" not in diag.verdict(draws, {})
    assert diag.verdict({"mu": DATASETS["iid"][:1, :, 0]}, {}).startswith("OK: R-hat n/a (1 chain)")


# ---- module hygiene -------------------------------------------------------------------


def test_docstring_examples_run():
    for module in (estimators, report):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_imports_only_numpy_and_stdlib():
    """The diagnostics run on plain arrays: numpy and the standard library at import time.
    Plotting (matplotlib, an optional extra) may only be imported inside the function
    that draws, so importing the package never needs it."""
    allowed = {"numpy"} | set(sys.stdlib_module_names)
    drawing = {"matplotlib"}
    package = pathlib.Path(diag.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            ok = allowed if id(node) in top_level else allowed | drawing
            assert roots <= ok, (path.name, roots)
