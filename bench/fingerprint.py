"""Fingerprints of draws: proof that a refactor changed no result.

Runs every inference family on a few benchmark models with fixed keys and prints one
checksum per run (the float64 bytes of every draw and sample stat). Run it before and
after a change that should not alter behaviour and compare the two outputs::

    python -m bench.fingerprint > before.txt
    # ... refactor ...
    python -m bench.fingerprint > after.txt && diff before.txt after.txt

The models are the benchmark's own (``bench/models_pplx.py``, data from the shared
posteriordb), so the check covers the code paths that ``make bench`` exercises.
"""

from __future__ import annotations

import hashlib
import sys
import warnings

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import pplx  # noqa: E402
from bench import models_pplx  # noqa: E402
from bench.common import model_data, resolve_model  # noqa: E402

#: (pplx model function in bench/models_pplx.py, benchmark short name)
MODELS = (("eight_schools", "eight_schools"), ("kidiq", "kidiq"), ("garch", "garch11"))


def _digest(arrays: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(np.asarray(arrays[name], dtype=np.float64)).tobytes())
    return h.hexdigest()[:16]


def _idata_arrays(idata) -> dict:
    out = {f"posterior/{k}": v.values for k, v in idata.posterior.data_vars.items()}
    out.update({f"stats/{k}": v.values for k, v in idata.sample_stats.data_vars.items()})
    return out


def _bound(function: str, short: str):
    return getattr(models_pplx, function)(**model_data(resolve_model(short)))


def runs() -> dict[str, str]:
    """Runs each family once per model and returns ``{run name: checksum}``."""
    key = jax.random.key(20261206)
    out = {}
    for function, name in MODELS:
        m = _bound(function, name)
        settings = dict(num_warmup=200, num_samples=200, num_chains=2, progress_bar=False)
        out[f"nuts/{name}"] = _digest(_idata_arrays(pplx.nuts(m, key, **settings)))
        out[f"hmc/{name}"] = _digest(
            _idata_arrays(pplx.hmc(m, key, num_integration_steps=8, **settings))
        )
    m = _bound("eight_schools", "eight_schools")
    res = pplx.infer.nuts_run(m, key, num_warmup=100, num_samples=100, num_chains=3)
    out["nuts_run/eight_schools"] = _digest({**res.draws, **res.stats})
    fit = pplx.vi.advi(m, key, num_steps=300)
    out["advi/eight_schools"] = _digest(fit.sample(key, 50))
    cp = pplx.compound.sample(
        m, key, num_warmup=100, num_samples=100, num_chains=2, return_inferencedata=False
    )
    out["compound/eight_schools"] = _digest({**cp.draws, **cp.stats})
    return out


def main() -> int:
    warnings.simplefilter("ignore")
    for name, digest in runs().items():
        print(f"{name:28s} {digest}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
