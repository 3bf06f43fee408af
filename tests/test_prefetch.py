"""ArviZ is imported in a background thread while XLA compiles (pplx.results.prefetch)."""

import subprocess
import sys

SCRIPT = """
import sys, threading
import pplx
from pplx.results import prefetch
assert "arviz" not in sys.modules
prefetch.prefetch_arviz()
thread = prefetch._thread
assert thread is not None and thread.name == "pplx-import-arviz"
prefetch.prefetch_arviz()  # a second call starts nothing new
assert prefetch._thread is thread
from pplx.results.posterior import import_arviz
az = import_arviz()  # waits for the thread
assert not thread.is_alive() and az is sys.modules["arviz"]
print("ok")
"""


def test_prefetch_imports_arviz_once_in_a_thread():
    out = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
