#!/usr/bin/env bash
# The main job: set up, build descent, train the tutorial network on MNIST with
# the default settings, print the per-epoch lines, the test accuracy and the
# per-class report, and write the run folder (validation curves as PNG and
# SVG, history, confusion matrix, report.html) under runs/. Extra arguments go
# to `descent train`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
mkdir -p bin
go build -o bin/descent ./cli/descent
exec bin/descent train --out "runs/tutorial-$(date +%Y%m%d-%H%M%S)" "$@"
