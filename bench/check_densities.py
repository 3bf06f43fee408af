"""Check that the three implementations of each model define the same log density.

At a few random unconstrained points (uniform in (-2, 2) per coordinate) we compare
pplx's ``logdensity(z)``, minus NumPyro's ``potential_fn`` and the BlackJAX log density,
all at the same point (``m.unflatten(z)`` gives the per-site unconstrained values).
All three use the same bijections and normalised densities, so they must agree to
rounding (relative 1e-9), not merely up to a constant.

With ``--pymc`` the PyMC version (``bench.models_pymc``, for nutpie) is compared too, at
the same unconstrained values (PyMC's default transforms are the same maps); a model
with no PyMC version is reported as such and not counted as a mismatch.

    python -m bench.check_densities [--models eight_schools garch11] [--points 5] [--pymc]
"""

from __future__ import annotations

import argparse
import json
import sys

import jax

jax.config.update("jax_enable_x64", True)

from bench.common import MODELS, resolve_model, short_name  # noqa: E402

RTOL = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(1.0, abs(a), abs(b))


def pymc_logp(posterior: str):
    """PyMC's log density of ``posterior`` on ``site -> unconstrained value``, or a
    string saying why there is none."""
    try:
        from bench.models_pymc import PYMC_MODELS, logp_at, pymc_model
    except ImportError as err:
        return f"pymc not installed ({err.name}): pip install -e '.[bench-nutpie]'"
    if posterior not in PYMC_MODELS:
        return "no PyMC version of this model yet"
    return logp_at(pymc_model(posterior))


def check_model(posterior: str, num_points: int = 3, seed: int = 0, pymc: bool = False) -> dict:
    """Densities of the three implementations at ``num_points`` points of one model."""
    from bench.models_blackjax import BlackJAXModel
    from bench.models_numpyro import potential_fn

    bj = BlackJAXModel(posterior)
    pot, _ = potential_fn(posterior)
    row = {"model": posterior, "points": [], "ok": True, "pplx": None}
    try:
        from bench.models_pplx import bound_model

        m = bound_model(posterior)
        num_dims = m.num_dims
    except Exception as err:  # pplx side missing or broken: still check the other two
        m = None
        row["pplx"] = f"{type(err).__name__}: {err}"
        num_dims = sum(int(jax.numpy.size(jax.numpy.zeros(s))) for s in bj.shapes.values())
    pm_logp = pymc_logp(posterior) if pymc else None
    if isinstance(pm_logp, str):
        row["pymc"], pm_logp = pm_logp, None
    for i in range(num_points):
        key = jax.random.fold_in(jax.random.key(seed), i)
        if m is not None:
            z = jax.random.uniform(key, (num_dims,), minval=-2.0, maxval=2.0)
            u = m.unflatten(z)
            lp_pplx = float(m.logdensity(z))
        else:
            u = bj.initial_position(key)
            lp_pplx = None
        lp_numpyro = -float(pot(u))
        lp_blackjax = float(bj.logdensity(u))
        ok = _close(lp_numpyro, lp_blackjax) and (lp_pplx is None or _close(lp_pplx, lp_numpyro))
        point = {"pplx": lp_pplx, "numpyro": lp_numpyro, "blackjax": lp_blackjax}
        if pm_logp is not None:
            point["pymc"] = pm_logp({k: jax.numpy.asarray(v) for k, v in u.items()})
            ok = ok and _close(point["pymc"], lp_numpyro)
        point["ok"] = ok
        row["points"].append(point)
        row["ok"] = row["ok"] and ok
    row["ok"] = row["ok"] and m is not None
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--points", type=int, default=3)
    parser.add_argument("--json", default=None, help="write the rows to this file")
    parser.add_argument("--pymc", action="store_true", help="also check the PyMC models")
    args = parser.parse_args(argv)
    models = [resolve_model(m) for m in args.models] if args.models else list(MODELS)
    rows = []
    for posterior in models:
        row = check_model(posterior, args.points, pymc=args.pymc)
        rows.append(row)
        worst = max(
            abs((p["pplx"] if p["pplx"] is not None else p["numpyro"]) - p["blackjax"])
            for p in row["points"]
        )
        status = "ok" if row["ok"] else "MISMATCH"
        extra = f"  pplx: {row['pplx']}" if row["pplx"] else ""
        if args.pymc:
            diffs = [abs(p["pymc"] - p["numpyro"]) for p in row["points"] if "pymc" in p]
            extra += f"  pymc: {row['pymc']}" if row.get("pymc") else ""
            extra += f"  pymc max |diff| {max(diffs):.2e}" if diffs else ""
        print(f"{short_name(posterior):>14}: {status} (max |diff| {worst:.2e}){extra}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
