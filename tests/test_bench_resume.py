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


def _write(path, status, settings, **extra):
    record = {"status": status, "settings": dataclasses.asdict(settings), **extra}
    path.write_text(json.dumps(record))


def test_finished_runs_are_kept_only_with_the_same_settings(tmp_path):
    done, failed, other = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    _write(done, "ok", FULL, xla_cpu_loops="pplx")
    _write(failed, "timeout", FULL, xla_cpu_loops="pplx")
    _write(other, "ok", QUICK, xla_cpu_loops="pplx")
    assert _finished(done, FULL, "pplx")["status"] == "ok"
    assert _finished(failed, FULL, "pplx") is None  # failed runs are redone
    assert _finished(other, FULL, "pplx") is None  # other settings: redone
    assert _finished(tmp_path / "missing.json", FULL, "pplx") is None
    assert _finished(done, FULL, "all") is None  # another XLA mode: redone


def test_runs_from_before_the_xla_mode_count_as_without_it(tmp_path):
    old = tmp_path / "old.json"
    _write(old, "ok", FULL)
    assert _finished(old, FULL, "none")["status"] == "ok"
    assert _finished(old, FULL, "pplx") is None


def test_workers_get_the_xla_option_by_mode(monkeypatch):
    from bench import run
    from pplx.runtime.xla_options import OPTION

    monkeypatch.setattr(run, "BASE_ENV", {"PATH": "/bin"})
    pplx_env, numpyro_env = run._env("pplx", "pplx"), run._env("numpyro_vectorized", "pplx")
    assert "PPLX_XLA_CPU_LOOPS" not in pplx_env and "XLA_FLAGS" not in pplx_env
    assert numpyro_env["PPLX_XLA_CPU_LOOPS"] == "0"
    assert OPTION in run._env("blackjax", "all")["XLA_FLAGS"]
    assert run._env("pplx", "none")["PPLX_XLA_CPU_LOOPS"] == "0"


def test_resume_needs_a_name():
    with pytest.raises(SystemExit, match="need --name"):
        main(["--resume"])
    with pytest.raises(SystemExit, match="need --name"):
        main(["--report-only"])
