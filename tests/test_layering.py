"""The import rules between layers (GUIDE section 3), checked by walking the AST."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pplx"

FORBIDDEN = {
    "core": [
        "pplx.distributions",
        "pplx.model",
        "pplx.kernels",
        "pplx.api",
        "pplx.run",
        "pplx.results",
    ],
    "distributions": [
        "pplx.core",
        "pplx.model",
        "pplx.kernels",
        "pplx.api",
        "pplx.run",
        "pplx.results",
    ],
    "kernels": [
        "pplx.core",
        "pplx.distributions",
        "pplx.model",
        "pplx.results",
        "pplx.api",
        "pplx.run",
    ],
    "results.py": ["pplx."],
    "diagnostics": [
        "pplx.core",
        "pplx.distributions",
        "pplx.model",
        "pplx.kernels",
        "pplx.api",
        "pplx.run",
        "pplx.results",
    ],
    "model": ["pplx.kernels", "pplx.api", "pplx.run"],
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _files(part: str) -> list[Path]:
    target = PKG / part
    return [target] if target.suffix == ".py" else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_layer_imports(part):
    files = _files(part)
    assert files, f"layer {part} has no files"
    bad = []
    for path in files:
        for name in _imports(path):
            for prefix in FORBIDDEN[part]:
                if name == prefix.rstrip(".") or name.startswith(prefix.rstrip(".") + "."):
                    if part == "diagnostics" and name.startswith("pplx.diagnostics"):
                        continue
                    bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert not bad, "layer rule broken:\n" + "\n".join(bad)


def test_results_imports_no_pplx_module():
    assert not [n for n in _imports(PKG / "results.py") if n.startswith("pplx")]


# user entry points: the only modules that join the model layer and the kernels
ENTRY_MODULES = ["api.py", "sampling.py", "streaming.py", "vi/advi.py", "vi/mode.py", "compound.py"]


def test_only_entry_modules_join_model_and_kernels():
    joiners = []
    for path in PKG.rglob("*.py"):
        names = _imports(path)
        uses_model = any(n.startswith("pplx.model") for n in names)
        uses_kernels = any(n.startswith("pplx.kernels") or n == "pplx.run" for n in names)
        if uses_model and uses_kernels:
            joiners.append(str(path.relative_to(PKG)))
    assert set(joiners) <= set(ENTRY_MODULES), joiners
