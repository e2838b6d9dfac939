#!/usr/bin/env bash
# Every built-in adapter through `lstm-bench check --profile quick` on the framework's own layer:
# float64 where the layer computes float64, else float32. Needs the extras:
#   pip install -c constraints-extras.txt '.[jax,keras]'
# Usage: bash benchmarks/adapter_checks.sh [OUT_DIR]   (about 20 minutes on 2 cores; one JSON per layer)
set -u -o pipefail
out=${1:-reports/adapter_checks}
mkdir -p "$out"
status=0
check() {  # NAME KERAS_BACKEND SPEC DTYPE
  echo "== $1" >&2
  KERAS_BACKEND=$2 OMP_NUM_THREADS=1 lstm-bench check --impl "$3" --profile quick --dtype "$4" \
    --json "$out/$1.json" | tail -1 || status=1
}
check keras-torch-LSTM torch keras.layers:LSTM float64
check keras-torch-GRU torch keras.layers:GRU float64
check keras-torch-GRUResetBefore torch lstm_bench.adapters.keras_layers:KerasGRUResetBefore float32
check keras-torch-SimpleRNN torch keras.layers:SimpleRNN float32
check keras-jax-LSTM jax keras.layers:LSTM float32
check flax-LSTMCell torch flax.nnx:LSTMCell float64
check flax-OptimizedLSTMCell torch flax.nnx:OptimizedLSTMCell float64
check flax-SimpleCell torch flax.nnx:SimpleCell float64
check flax-GRUCell torch flax.nnx:GRUCell float64
check equinox-LSTMCell torch equinox.nn:LSTMCell float64
check equinox-GRUCell torch equinox.nn:GRUCell float64
exit $status
