"""Importing ArviZ in a background thread while XLA compiles.

``import arviz`` takes seconds (it imports scipy.stats, matplotlib helpers and xarray),
and a first ``pplx.nuts`` call spends seconds in XLA's compiler, which releases the GIL.
The drivers start the import before compiling, so the two overlap; the conversion to
InferenceData then waits for the import (usually long finished) instead of starting it.
"""

from __future__ import annotations

import sys
import threading
import warnings

# ArviZ 0.2x prints this FutureWarning once a day on import; pplx users did not ask for it
ARVIZ_REFACTOR_MESSAGE = r"(?s)\s*ArviZ is undergoing a major refactor"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _import_quietly() -> None:
    try:
        import arviz  # noqa: F401
    except Exception:  # noqa: BLE001 - the main thread's import reports the error
        sys.modules.pop("arviz", None)


def prefetch_arviz() -> None:
    """Start importing ArviZ in a background thread, once per process.

    Does nothing when ArviZ is already imported or its import is under way. Silences
    ArviZ's refactor FutureWarning (that message only) for the whole process, since the
    warning would otherwise be printed from the background thread.

    Example:
        >>> prefetch_arviz(); wait_for_arviz()
        >>> "arviz" in sys.modules
        True
    """
    global _thread
    with _lock:
        if "arviz" in sys.modules or _thread is not None:
            return
        warnings.filterwarnings("ignore", message=ARVIZ_REFACTOR_MESSAGE, category=FutureWarning)
        # not a daemon: an interpreter that exits mid-import waits for it to finish
        _thread = threading.Thread(target=_import_quietly, name="pplx-import-arviz")
        _thread.start()


def wait_for_arviz() -> None:
    """Block until a prefetch started by :func:`prefetch_arviz` has finished.

    Example:
        >>> wait_for_arviz()  # returns at once when nothing is in flight
    """
    thread = _thread
    if thread is not None:
        thread.join()
