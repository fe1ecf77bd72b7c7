#!/usr/bin/env bash
# Bounded soak: trains the default experiment (mnist-cnn) once, samples the process's resident
# memory twice a second and reports the peak of each epoch (epochs end where their validation
# line lands in metrics.jsonl). The first epoch builds the evaluation graph and writes the first
# checkpoints, and Go's heap settles during the second, so it fails if any later epoch's peak
# exceeds the second's by more than 10%: a leak shows as growth from epoch to epoch.
#   bash scripts/soak.sh [RUN_DIR] [--set key=value]...
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/soak-$(date +%Y%m%d-%H%M%S)}
shift || true
bin=$(mktemp -d)
go build -o "$bin/" ./cmd/train
"$bin/train" --out "$out" --progress lines "$@" >"$bin/log" 2>&1 &
pid=$!
peaks=(0)
while kill -0 "$pid" 2>/dev/null; do
  epoch=$(grep -c '"split":"val"' "$out/metrics.jsonl" 2>/dev/null || true)
  r=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  while [ "${#peaks[@]}" -le "${epoch:-0}" ]; do peaks+=(0); done
  [ "${r:-0}" -gt "${peaks[${epoch:-0}]}" ] && peaks[${epoch:-0}]=$r
  sleep 0.5
done
wait "$pid" || { cat "$bin/log"; exit 1; }
n=$(grep -c '"split":"val"' "$out/metrics.jsonl")
for ((e = 0; e < n && e < ${#peaks[@]}; e++)); do echo "epoch $((e + 1)): peak RSS $((peaks[e] / 1024)) MB"; done
if [ "$n" -lt 3 ]; then echo "soak: $n epochs; 3 or more are needed to compare"; exit 1; fi
base=${peaks[1]}
for ((e = 2; e < n && e < ${#peaks[@]}; e++)); do
  if [ "${peaks[e]}" -gt $((base * 11 / 10)) ]; then
    echo "soak: peak RSS grew from $((base / 1024)) MB in epoch 2 to $((peaks[e] / 1024)) MB in epoch $((e + 1))"
    exit 1
  fi
done
echo "soak: every epoch after the second peaked within 10% of its $((base / 1024)) MB"
