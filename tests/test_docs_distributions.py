"""docs/distributions.md is what docs/build_distributions.py generates, and lists every family.

Regenerate the page with ``.venv/bin/python docs/build_distributions.py``.
"""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pplx.distributions as dist
from pplx.distributions.base import Distribution

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "distributions.md"
BUILD = REPO / "docs" / "build_distributions.py"


def test_distributions_page_is_current():
    # A subprocess: the generator runs with JAX's defaults (float32), not this session's.
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (
        "docs/distributions.md is stale; run `.venv/bin/python docs/build_distributions.py`\n"
        + proc.stdout
        + proc.stderr
    )


def test_distributions_page_lists_every_family():
    text = PAGE.read_text()
    families = [
        name
        for name in dist.__all__
        if inspect.isclass(getattr(dist, name)) and issubclass(getattr(dist, name), Distribution)
    ]
    assert "Normal" in families and "Distribution" in families
    missing = [name for name in families if f"`{name}`" not in text]
    assert not missing, f"not on docs/distributions.md: {missing}"
    # Everything else exported (constraints, bijectors, factories such as Flat) too.
    unlisted = [name for name in dist.__all__ if not re.search(rf"\b{re.escape(name)}\b", text)]
    assert not unlisted, f"not on docs/distributions.md: {unlisted}"
