#!/usr/bin/env bash
# descent against its peers, one command: builds the whole-step C program
# (native/bench/step.c, the f32 limit) and descent, installs PyTorch (Debian's
# python3-torch via scripts/setup-extras.sh torch; where it cannot, one skip
# line and the PyTorch rows are left out), then runs every system for E
# epochs interleaved (bench/peers: same split, initial weights, batch and
# Keras Adam), trains the limit, descent dnnl and PyTorch's fastest setting on
# to 97% validation accuracy, and measures inference throughput at batch 256
# (descent bench predict). Prints the tables; writes them to OUT/peers.md and
# the bar chart of samples/s to OUT/peers.png.
#
# Usage: bench/peers/run.sh [EPOCHS (default 3)] [OUT (default bench/peers/out)]
# Environment: DESCENT_MNIST_DIR (else located as descent train does),
#   PEERS_MAX_EPOCHS_97 (default 15; 0 leaves the 97% rows out),
#   DESCENT_OPENBLAS_CORETYPE (descent openblas's kernels, default SkylakeX;
#   empty: OpenBLAS's own choice).
set -euo pipefail
cd "$(dirname "$0")/../.."
epochs=${1:-3}
out=${2:-bench/peers/out}
mkdir -p "$out" bin
say() { echo "peers: $*" >&2; }

say "building the C program (CMake target bench_step) and descent"
cmake -S . -B build >/dev/null
cmake --build build --target bench_step >/dev/null
go build -o bin/descent ./cli/descent
go build -o bin/peers ./bench/peers

python=/usr/bin/python3
if ! scripts/setup-extras.sh torch || ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  say "SKIP PyTorch rows: python3-torch could not be installed or imported by $python"
  python=
fi

# descent's OpenBLAS kernels: OpenBLAS 0.3.21 picks Prescott (SSE3) on
# recent Xeons it does not know; the PyTorch rows try Haswell and SkylakeX
# themselves, unset for their default rows.
OPENBLAS_CORETYPE=${DESCENT_OPENBLAS_CORETYPE-SkylakeX} bin/peers --step build/bench_step --python "$python" --epochs "$epochs" \
  --max-epochs-97 "${PEERS_MAX_EPOCHS_97:-15}" --out "$out/peers.md" --png "$out/peers.png"

# Inference throughput, the serving issue's measurement at batch 256: one
# requester, descent dnnl beside PyTorch at 1 thread and its defaults.
torch_flag=--torch
[ -n "$python" ] || torch_flag=--torch=false
{
  echo
  echo "Inference throughput, batch 256, one requester (\`descent bench predict --backends dnnl --goroutines 1 --batch 256 --rounds 3 --seconds 0.5\`):"
  echo
  bin/descent bench predict --backends dnnl --goroutines 1 --batch 256 --rounds 3 --seconds 0.5 \
    "$torch_flag" --python /usr/bin/python3
} | tee -a "$out/peers.md"
say "wrote $out/peers.md and $out/peers.png"
