"""The gallery: every script of ``examples/`` run, with its output and figures, as pages.

Used two ways:

- as a mkdocs hook (``mkdocs.yml``): ``mkdocs build`` adds ``gallery/index.md`` and one page
  per example (code, printed output, figures, measured wall time) as generated files;
- from the command line, to run the examples without building the site::

      python docs/gallery.py            # run the examples whose source changed
      python docs/gallery.py --force    # run them all

Each script runs in a fresh process with matplotlib's Agg backend; every figure it shows
(``plt.show()``) or leaves open is saved as a PNG. Results are cached in
``.gallery_cache/<name>/`` under the hash of the script's source (and of this runner), so a
rebuild runs only the examples that changed. ``PPLX_GALLERY=cache`` never runs a script:
an example without a current cache gets a page with its code and a note instead (what
the fast site test builds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CACHE = ROOT / ".gallery_cache"
RUNNER_VERSION = "1"  # bump to rerun every example (the runner's output changed)
TIMEOUT_S = 600
log = logging.getLogger("mkdocs.plugins.pplx.gallery")

# the order of the gallery; scripts not listed follow in name order
ORDER = [
    "eight_schools",
    "hierarchical_regression",
    "logistic_minibatch_advi",
    "gaussian_process",
    "change_point",
    "ar_timeseries",
    "bayesian_last_layer",
    "many_datasets",
]

# runs in the example's process: save each figure the script shows or leaves open
_RUNNER = r"""
import runpy, sys
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
out = Path(sys.argv[1]); script = sys.argv[2]; saved = []
def _save_open_figures(*args, **kwargs):
    for num in plt.get_fignums():
        fig = plt.figure(num)
        path = out / f"figure_{len(saved) + 1}.png"
        fig.savefig(path, dpi=80, bbox_inches="tight")
        saved.append(path.name)
        plt.close(fig)
plt.show = _save_open_figures
sys.argv = [script, "--plot"]
runpy.run_path(script, run_name="__main__")
_save_open_figures()
"""


def scripts() -> list[Path]:
    found = {p.stem: p for p in sorted(EXAMPLES.glob("*.py")) if not p.name.startswith("_")}
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + list(found.values())


def source_hash(path: Path) -> str:
    digest = hashlib.sha256(RUNNER_VERSION.encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached(path: Path) -> dict | None:
    """The cached result of ``path`` if it is current, else None."""
    meta_file = CACHE / path.stem / "meta.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text())
    if meta.get("hash") != source_hash(path):
        return None
    if not all((CACHE / path.stem / f).is_file() for f in meta["figures"]):
        return None
    return meta


def run(path: Path) -> dict:
    """Run one example in a fresh process and cache its output, figures and wall time."""
    out = CACHE / path.stem
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("figure_*.png"):
        old.unlink()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(out), str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"gallery: examples/{path.name} failed (exit {proc.returncode}); fix the script "
            f"or run it alone with `python examples/{path.name}`:\n{proc.stderr[-3000:]}"
        )
    figures = sorted(p.name for p in out.glob("figure_*.png"))
    figures.sort(key=lambda name: int(name.split("_")[1].split(".")[0]))
    meta = {
        "hash": source_hash(path),
        "wall_s": round(wall, 1),
        "figures": figures,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (out / "output.txt").write_text(proc.stdout)
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    log.info("gallery: ran examples/%s in %.1f s, %d figures", path.name, wall, len(figures))
    return meta


def split_docstring(source: str) -> tuple[str, str, str]:
    """(title, description, code without the module docstring) of an example."""
    import ast

    tree = ast.parse(source)
    doc = ast.get_docstring(tree) or ""
    code = source
    if doc and tree.body and isinstance(tree.body[0], ast.Expr):
        code = "\n".join(source.splitlines()[tree.body[0].end_lineno :]).lstrip("\n")
    title, _, rest = doc.partition("\n")
    return title.strip().rstrip(".") or "Example", rest.strip(), code


def page(path: Path, meta: dict | None) -> str:
    title, description, code = split_docstring(path.read_text())
    lines = [f"# {title}", "", description, "", f"Source: `examples/{path.name}`.", ""]
    if meta is None:
        lines += [
            '!!! note "Not run in this build"',
            "    This page was built without running the gallery (`PPLX_GALLERY=cache`);",
            "    `make docs` runs the example and shows its output and figures here.",
            "",
        ]
    else:
        lines += [
            f"**Wall time: {meta['wall_s']:.1f} s** for the whole script (imports, "
            f"compilation, inference, plots) on the build machine ({meta['machine']}, "
            f"{meta['when']}).",
            "",
        ]
    lines += ["## Code", "", "```python", code.rstrip(), "```", ""]
    if meta is not None:
        output = (CACHE / path.stem / "output.txt").read_text().rstrip()
        lines += ["## Output", "", "```text", output or "(no output)", "```", ""]
        if meta["figures"]:
            lines += ["## Figures", ""]
            for i, fig in enumerate(meta["figures"], 1):
                lines += [f"![{title}: figure {i}]({path.stem}/{fig})", ""]
    return "\n".join(lines)


def index_page(entries: list[tuple[Path, dict | None]]) -> str:
    lines = [
        "# Gallery",
        "",
        "Worked examples, each a script in `examples/` that runs on its own "
        "(`python examples/<name>.py`). The pages are built by running the scripts; the "
        "wall time is that of the whole script on the build machine.",
        "",
        "| example | what it shows | wall time |",
        "| --- | --- | --- |",
    ]
    for path, meta in entries:
        title, description, _ = split_docstring(path.read_text())
        summary = description.split("\n\n")[0].replace("\n", " ")
        wall = f"{meta['wall_s']:.1f} s" if meta else "not run in this build"
        lines.append(f"| [{title}]({path.stem}.md) | {summary} | {wall} |")
    return "\n".join(lines) + "\n"


def collect(execute: bool) -> list[tuple[Path, dict | None]]:
    entries = []
    for path in scripts():
        meta = cached(path)
        if meta is None and execute:
            meta = run(path)
        entries.append((path, meta))
    return entries


def on_config(config):
    """mkdocs hook: the nav entry ``Gallery: gallery/`` becomes the gallery's pages."""
    pages = [{"Overview": "gallery/index.md"}]
    for path in scripts():
        pages.append({split_docstring(path.read_text())[0]: f"gallery/{path.stem}.md"})
    for i, item in enumerate(config.nav or []):
        if isinstance(item, dict) and item.get("Gallery") == "gallery/":
            config.nav[i] = {"Gallery": pages}
    return config


def on_files(files, config):
    """mkdocs hook: run (or read from the cache) every example; add its pages and images."""
    from mkdocs.structure.files import File

    execute = os.environ.get("PPLX_GALLERY", "run") != "cache"
    entries = collect(execute)
    generated = {"gallery/index.md": index_page(entries)}
    for path, meta in entries:
        generated[f"gallery/{path.stem}.md"] = page(path, meta)
        for fig in (meta or {}).get("figures", []):
            uri = f"gallery/{path.stem}/{fig}"
            files.append(File.generated(config, uri, abs_src_path=str(CACHE / path.stem / fig)))
    for uri, text in generated.items():
        files.append(File.generated(config, uri, content=text))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the gallery's examples (cached).")
    parser.add_argument("names", nargs="*", help="example names (default: all)")
    parser.add_argument("--force", action="store_true", help="run even if cached")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in scripts():
        if args.names and path.stem not in args.names:
            continue
        meta = None if args.force else cached(path)
        meta = meta or run(path)
        print(f"{path.name}: {meta['wall_s']:.1f} s, {len(meta['figures'])} figures")


if __name__ == "__main__":
    main()
