#!/usr/bin/env bash
# descent against scikit-learn's MLP on the fixtures of data/testdata/sklearn
# (iris, wine, breast_cancer, a synthetic binary set, diabetes, a synthetic
# regression), the same 80/20 split (train_test_split(random_state=42)),
# standardised features, the same network and optimiser (64 ReLU units, Adam
# at 1e-3, batch 32, max_iter epochs): scikit-learn's scores and fit times
# (5 seeds, scripts/golden/sklearn_reference.py) and descent's (3 seeds),
# measured in this one run, printed as a markdown table.
#
# Usage: scripts/bench/owndata.sh [BACKEND]   (default auto)
set -euo pipefail
cd "$(dirname "$0")/../.."
backend=${1:-auto}
mkdir -p bin
go build -o bin/descent ./cli/descent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fix=data/testdata/sklearn
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)" >&2
/usr/bin/python3 scripts/golden/sklearn_reference.py "$fix" "$tmp/ref.json" >&2
for name in iris wine breast_cancer binary diabetes regression; do
  read -r file task label epochs < <(/usr/bin/python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))['datasets'][sys.argv[2]]
print(d['file'], d['task'], d['label_column'], d['mlp']['params']['max_iter'])" "$tmp/ref.json" "$name")
  for seed in 1 2 3; do
    start=$(date +%s.%N)
    bin/descent train --data "$fix/$file" --label "$label" --task "$task" --normalize standardize \
      --hidden 64 --activation relu --optimizer adam --lr 0.001 --batch-size 32 --epochs "$epochs" \
      --val-split 0 --seed "$seed" --backend "$backend" --quiet --history "$tmp/$name-$seed.json" >/dev/null
    end=$(date +%s.%N)
    echo "$name $seed $(echo "$end - $start" | bc)" >> "$tmp/wall.txt"
  done
done
/usr/bin/python3 - "$tmp" <<'PY'
import json, statistics as st, sys
tmp = sys.argv[1]
ref = json.load(open(tmp + "/ref.json"))["datasets"]
wall = {}
for line in open(tmp + "/wall.txt"):
    n, s, w = line.split()
    wall.setdefault(n, []).append(float(w))
print("| data set | task | metric | scikit-learn MLP median (min–max, 5 seeds) | descent median (min–max, 3 seeds) | scikit-learn fit s (median) | descent train s (median; process wall) |")
print("|---|---|---|---|---|---|---|")
for n in ["iris", "wine", "breast_cancer", "binary", "diabetes", "regression"]:
    d = ref[n]
    metric = d["floor"]["metric"]
    sk = d["mlp"][metric]
    ours, secs = [], []
    for s in (1, 2, 3):
        h = json.load(open(f"{tmp}/{n}-{s}.json"))
        ours.append(h["test"][metric])
        secs.append(sum(h["epoch_seconds"]))
    print(f"| {n} | {d['task']} | {metric} | {sk['median']:.4f} ({sk['min']:.4f}–{sk['max']:.4f}) | "
          f"{st.median(ours):.4f} ({min(ours):.4f}–{max(ours):.4f}) | {d['mlp']['wall_s']['median']:.2f} | "
          f"{st.median(secs):.2f} ({st.median(wall[n]):.2f}) |")
PY
