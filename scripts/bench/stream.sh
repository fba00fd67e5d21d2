#!/usr/bin/env bash
# The streaming measurement of issue 9: train on a synthetic .npy of about
# 2 GiB (700,000 samples × 784 float32 features, 10 classes from a random
# linear teacher) from disk (--stream: the file memory-mapped, its pages
# handed back every 64 MiB) and from memory (the whole array read first),
# alternating the two, and print each run's peak RSS (GNU time's maximum
# resident set size) and training throughput (samples per second of the
# training passes, from the history's epoch_seconds).
#
# Usage: scripts/bench/stream.sh [WORKDIR] [REPEATS]   (default: a temp
# folder, 2 repeats of each). Needs ~2.3 GB of disk and, for the in-memory
# runs, ~2.5 GB of RAM. The .npy is generated with Debian's numpy.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-$(mktemp -d)}
reps=${2:-2}
mkdir -p "$work" bin
go build -o bin/descent ./cli/descent
if [ ! -s "$work/x_train.npy" ]; then
  /usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
out = sys.argv[1]
n, f, k, chunk = 700_000, 784, 10, 50_000
rng = np.random.default_rng(0)
teacher = rng.standard_normal((f, k)).astype(np.float32)
x = np.lib.format.open_memmap(out + "/x_train.npy", mode="w+", dtype="<f4", shape=(n, f))
y = np.empty(n, dtype=np.int64)
for s in range(0, n, chunk):
    xs = rng.standard_normal((min(chunk, n - s), f), dtype=np.float32)
    x[s:s + len(xs)] = xs
    y[s:s + len(xs)] = (xs @ teacher).argmax(axis=1)
x.flush()
del x
np.save(out + "/y_train.npy", y)
PY
fi
ls -l "$work/x_train.npy" "$work/y_train.npy"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; $(date -u +%Y-%m-%d)"
printf '%-8s %5s %12s %14s %10s\n' mode run peak_rss_MB samples_per_s wall_s
for r in $(seq 1 "$reps"); do
  for mode in stream memory; do
    flag=(); [ "$mode" = stream ] && flag=(--stream)
    hist="$work/history-$mode-$r.json"
    /usr/bin/time -f '%M %e' -o "$work/time-$mode-$r" bin/descent train --data "$work/x_train.npy" "${flag[@]}" \
      --epochs 2 --val-split 0 --quiet --history "$hist" > "$work/out-$mode-$r.txt"
    read -r rss wall < "$work/time-$mode-$r"
    sps=$(/usr/bin/python3 -c "import json,sys; h=json.load(open(sys.argv[1])); n=560000; print('%.0f' % (n*len(h['epoch_seconds'])/sum(h['epoch_seconds'])))" "$hist")
    printf '%-8s %5d %12.0f %14s %10s\n' "$mode" "$r" "$((rss / 1024))" "$sps" "$wall"
  done
done
