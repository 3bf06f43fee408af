"""What ``import pplx`` loads: modules needed only by some calls load when first used.

Checked in a fresh process through ``sys.modules`` (what got imported), not by timing.
"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# loaded by the calls that need them, never by ``import pplx``:
#   optax: the optimisers of pplx.vi (advi's default Adam, L-BFGS of find_map/laplace/pathfinder)
#   statistics: the inverse normal CDF of the rank-normalised diagnostics (ess_bulk, split_rhat)
LAZY = ("optax", "statistics")


def _python(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def test_import_pplx_leaves_the_lazy_modules_unloaded():
    out = _python(
        "import sys, pplx\n"
        "pplx.vi.advi, pplx.vi.find_map, pplx.vi.laplace, pplx.vi.pathfinder, pplx.SBCResult\n"
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    assert out == "[]", f"import pplx loaded {out}"


def test_the_calls_that_need_them_load_them():
    out = _python(
        "import sys, numpy as np, pplx, pplx.distributions as dist\n"
        "from pplx.diagnostics import ess_bulk\n"
        "ess_bulk(np.random.default_rng(0).normal(size=(2, 50)))\n"
        "@pplx.model\n"
        "def m():\n"
        "    pplx.sample('x', dist.Normal(0.0, 1.0))\n"
        "pplx.vi.find_map(m())\n"
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    assert out == str(sorted(LAZY))
