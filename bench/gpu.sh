#!/usr/bin/env bash
# The GPU benchmark, ready to run as is on a machine with one accelerator:
#   bash bench/gpu.sh              # eight schools at 1..4096 chains (pplx vs NumPyro
#                                  # vectorized), logistic regression 1e6 rows x 20
#   GPU_SH_TINY=1 bash bench/gpu.sh   # a tiny run of the same steps (tested on a CPU)
# Wheels the device image lacks: put them in bench/wheels/ (pip download jax[cuda12]
# numpyro ... -d bench/wheels) and carry that folder; they are installed offline.
# Results: bench/results/scaling-gpu-*.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
if [ -d bench/wheels ]; then
  "$PY" -m pip install -q --no-index --find-links bench/wheels jax numpyro || true
fi
if [ "${GPU_SH_TINY:-0}" = 1 ]; then
  CHAINS="1 4"; WARMUP=20; DRAWS=20; ROWS=1000; LR_CHAINS="1 4"; TAG=tiny
else
  CHAINS="1 4 16 64 256 1024 4096"; WARMUP=500; DRAWS=500; ROWS=1000000
  LR_CHAINS="1 16 256"; TAG=$(date +%Y%m%d-%H%M%S)
fi
"$PY" -c "import jax; print('backend', jax.default_backend(), jax.devices())"
"$PY" -m bench.scaling --model eight_schools --contenders pplx_vectorized numpyro_vectorized \
  --chains $CHAINS --warmup "$WARMUP" --draws "$DRAWS" --name "gpu-eight-schools-$TAG"
out="bench/results/scaling-gpu-logreg-$TAG.jsonl"
: > "$out"
for c in $LR_CHAINS; do
  # one process per chain count: gradient time, chains (vectorized on a GPU), one chain
  "$PY" -m bench.scaling_devices "$ROWS" "$c" "$WARMUP" "$DRAWS" | tail -n 1 | tee -a "$out"
done
echo "wrote bench/results/scaling-gpu-eight-schools-$TAG.{json,md} and $out"
