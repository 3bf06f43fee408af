"""Who may import whom: the living statement of pplx's layers (docs/architecture.md).

Each layer (a folder of ``pplx/``) lists the pplx layers it may import, itself always
allowed. The test walks every import statement with ``ast`` (top-level and inside
functions alike), so a lazy import cannot dodge the rule.

    core, distributions, kernels, runtime, results, diagnostics: the foundations,
        each knowing no other pplx layer;
    model: core + distributions (a model is effects over densities);
    infer: everything below it; the one layer where a model meets the kernels;
    pplx/__init__.py: the public surface, re-exports only.
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pplx"

ALLOWED = {
    "core": set(),
    "distributions": set(),
    "kernels": set(),
    "runtime": set(),
    "results": set(),
    "diagnostics": set(),
    "model": {"core", "distributions"},
    "infer": {
        "core",
        "distributions",
        "model",
        "kernels",
        "runtime",
        "results",
        "diagnostics",
    },
}


def _imports(path: Path) -> list[str]:
    """Absolute pplx module names imported anywhere in ``path``."""
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "pplx":  # from pplx import x: x is the layer
                names += [f"pplx.{a.name}" for a in node.names]
            else:
                names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.append(".relative")  # relative imports stay inside their layer
    return [n for n in names if n.startswith("pplx") or n == ".relative"]


def _layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_folder_is_a_layer():
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(ALLOWED), f"folders without a rule: {folders ^ set(ALLOWED)}"


def test_top_level_holds_only_the_public_surface():
    loose = sorted(p.name for p in PKG.glob("*.py"))
    assert loose == ["__init__.py"], f"loose modules at the top of pplx/: {loose}"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports(layer):
    bad = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for name in _imports(path):
            target = layer if name == ".relative" else _layer_of(name)
            if target != layer and target not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert not bad, f"layer rule of {layer} broken:\n" + "\n".join(bad)


def test_only_infer_joins_model_and_kernels():
    joiners = []
    for path in PKG.rglob("*.py"):
        layers = {_layer_of(n) for n in _imports(path)}
        if {"model", "kernels"} <= layers:
            joiners.append(str(path.relative_to(PKG)))
    assert all(j.startswith("infer/") for j in joiners), joiners


def test_the_rule_detects_a_forbidden_import(tmp_path):
    # the checker itself can fail: a kernel importing the model layer is caught
    bad = tmp_path / "k.py"
    bad.write_text("def f():\n    from pplx.model import Model\n")
    (name,) = _imports(bad)
    assert _layer_of(name) == "model"
    assert "model" not in ALLOWED["kernels"]
