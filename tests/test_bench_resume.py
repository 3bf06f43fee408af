"""``bench.run --resume`` keeps finished runs of the same settings and redoes the rest.

The benchmark itself never runs in the test suite; this checks only the bookkeeping that
lets a multi-hour ``make bench`` be finished in parts.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from bench.common import FULL, QUICK
from bench.run import _finished, main


def _write(path, status, settings):
    path.write_text(json.dumps({"status": status, "settings": dataclasses.asdict(settings)}))


def test_finished_runs_are_kept_only_with_the_same_settings(tmp_path):
    done, failed, other = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    _write(done, "ok", FULL)
    _write(failed, "timeout", FULL)
    _write(other, "ok", QUICK)
    assert _finished(done, FULL)["status"] == "ok"
    assert _finished(failed, FULL) is None  # failed runs are redone
    assert _finished(other, FULL) is None  # other settings: redone
    assert _finished(tmp_path / "missing.json", FULL) is None


def test_resume_needs_a_name():
    with pytest.raises(SystemExit, match="need --name"):
        main(["--resume"])
    with pytest.raises(SystemExit, match="need --name"):
        main(["--report-only"])
