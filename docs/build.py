"""Build the documentation site into ``site/`` (``make docs``).

Runs ``mkdocs build --strict`` (a broken link or a missing reference fails the build).
The hooks named in ``mkdocs.yml`` generate the API reference from the docstrings
(``docs/api_pages.py``) and the gallery from ``examples/`` (``docs/gallery.py``: each
script runs only when its source changed since the cached run).

Usage::

    python docs/build.py               # the whole site, gallery run where stale
    python docs/build.py --no-gallery  # cached gallery pages or placeholders, nothing run
                                       # (also with PPLX_GALLERY=cache in the environment)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(site_dir: Path | None = None, gallery: bool = True) -> subprocess.CompletedProcess:
    """Run ``mkdocs build --strict``; returns the finished process (output captured)."""
    env = {
        **os.environ,
        "PPLX_GALLERY": "run" if gallery else "cache",
        "NO_MKDOCS_2_WARNING": "1",
        "MPLBACKEND": "Agg",
    }
    cmd = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(ROOT / "mkdocs.yml"),
    ]
    if site_dir is not None:
        cmd += ["--site-dir", str(site_dir)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-gallery", action="store_true", help="run no example")
    args = parser.parse_args()
    proc = build(gallery=not args.no_gallery and os.environ.get("PPLX_GALLERY") != "cache")
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        sys.exit(proc.returncode)
    print(f"site built into {ROOT / 'site'}; open site/index.html")


if __name__ == "__main__":
    main()
