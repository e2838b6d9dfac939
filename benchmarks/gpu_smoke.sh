#!/usr/bin/env bash
# GPU smoke run of lstm-bench, under 8 minutes on one GPU:
#   1. the GPU tests (device checks, CUDA timer paths, the GPU benchmark suite's shapes);
#   2. `check` on the GPU: torch.nn LSTM and GRU in float32, float16 and bfloat16, and under
#      torch.autocast float16, reference in float64 on the CPU, plus the CPU-vs-device and
#      backward-determinism checks (cuDNN deterministic setting recorded);
#   3. `bench --device cuda --suite quick` (cuDNN, native kernels without cuDNN, the reference,
#      torch.compile), CUDA events, GEMM peak of the device in the same run;
#   4. `run --profile quick --device cuda`, the report written under $OUT (or a temporary folder).
# Without CUDA it says so and exits 0: everything else is tested on the CPU by the unit tests.
#
#   OUT=/path/to/results benchmarks/gpu_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
CLI=("$PY" -m lstm_bench)

if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu_smoke: skipped: no CUDA ($("$PY" -c 'import torch; print("torch", torch.__version__)'))"
  exit 0
fi
OUT_DIR=${OUT:-$(mktemp -d)}
mkdir -p "$OUT_DIR"
"$PY" -c 'import torch; print("gpu_smoke:", torch.cuda.get_device_name(0), "torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())' | tee "$OUT_DIR/device.txt"
START=$(date +%s)
FAILED=0
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log under $OUT_DIR, keep going on failure
  local name=$1 limit=$2
  shift 2
  echo "== $name (limit ${limit}s)"
  if timeout "$limit" "$@" >"$OUT_DIR/$name.log" 2>&1; then
    echo "   ok ($(( $(date +%s) - START )) s elapsed)"
  else
    echo "   FAILED rc=$? (see $OUT_DIR/$name.log)"; tail -20 "$OUT_DIR/$name.log"; FAILED=1
  fi
}

step gpu-tests 90 "$PY" -m pytest -q -p no:cacheprovider tests/test_device.py tests/test_precision_units.py
for dtype in float32 float16 bfloat16; do
  step "check-lstm-$dtype" 60 "${CLI[@]}" check --impl torch.nn:LSTM --impl torch.nn:GRU --device cuda \
    --dtype "$dtype" --profile quick --json "$OUT_DIR/check-$dtype.json"
done
step check-autocast-float16 60 "${CLI[@]}" check --impl torch.nn:LSTM --device cuda --autocast float16 \
  --profile quick --json "$OUT_DIR/check-autocast-float16.json"
step bench-quick 120 "${CLI[@]}" bench --device cuda --suite quick \
  --backends torch-ref,torch-ref-compiled,torch-native,torch-native-nocudnn --json "$OUT_DIR/bench-quick.json"
step bench-fastrnns 60 "${CLI[@]}" bench --device cuda --suite gpu --kind lstm --workload forward-backward \
  --backends torch-native,torch-native-nocudnn --json "$OUT_DIR/bench-gpu-lstm.json"
step run-quick 150 "${CLI[@]}" run --profile quick --device cuda --out "$OUT_DIR/reports"
echo "gpu_smoke: $(( $(date +%s) - START )) s; results in $OUT_DIR"
exit $FAILED
