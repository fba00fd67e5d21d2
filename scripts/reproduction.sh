#!/usr/bin/env bash
# The study behind docs/reproduction.md: the tutorial's two experiments at its
# stated settings (three seeds each), then fast sweeps for the settings that
# give its optimizer-comparison curves, then the tables. About 5 minutes on a
# 2-core machine with OpenBLAS, one run at a time. Folders already written
# are kept, so an interrupted study resumes.
# Usage: scripts/reproduction.sh [OUT]   (default runs/reproduction)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
out="${1:-runs/reproduction}"
mkdir -p bin "$out"
go build -o bin/descent ./cli/descent

exp() { # exp NAME ARGS...: one experiment into $out/NAME, unless done
  local name=$1; shift
  [ -e "$out/$name/report.html" ] && return 0
  rm -rf "${out:?}/$name"
  echo "== descent $* ($name)" >&2
  bin/descent "$@" --backend openblas --quiet --out "$out/$name" >/dev/null
}

# 1. The tutorial's settings.
for seed in 1 2 3; do
  exp "sweep-seed$seed" sweep --seed "$seed"
  exp "compare-seed$seed" compare --seed "$seed"
done
# 2. Learning rates for each optimizer, 10 epochs as in the comparison.
for opt in sgd momentum rmsprop adam; do
  exp "$opt-lrs" sweep --optimizer "$opt" --lrs 0.003,0.005,0.01,0.015,0.02 --epochs 10
done
for seed in 2 3; do
  for opt in sgd momentum; do
    exp "$opt-lrs-seed$seed" sweep --optimizer "$opt" --lrs 0.01,0.015,0.02 --epochs 10 --seed "$seed"
  done
done
# 3. Smaller batches at the stated lr (more steps per epoch), and SGD
#    continuing the sweep's lr=0.001 network (epochs 6-15 of one run).
exp sgd-batch16 sweep --optimizer sgd --lrs 0.001 --batch-size 16 --epochs 10
exp momentum-batch16 sweep --optimizer momentum --lrs 0.001 --batch-size 16 --epochs 10
exp sgd-15-epochs sweep --optimizer sgd --lrs 0.001 --epochs 15

go run ./scripts/reproduction "$out"
