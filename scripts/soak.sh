#!/usr/bin/env bash
# Bounded soak: trains the default experiment (mnist-cnn) once, reads the process's resident
# memory each time an epoch's validation line lands in metrics.jsonl, and fails if it grows by
# more than 10% after the first epoch (a leak shows as growth).
#   bash scripts/soak.sh [RUN_DIR] [--set key=value]...
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/soak-$(date +%Y%m%d-%H%M%S)}
shift || true
bin=$(mktemp -d)
go build -o "$bin/" ./cmd/train
"$bin/train" --out "$out" --progress lines "$@" >"$bin/log" 2>&1 &
pid=$!
seen=0
rss=()
while kill -0 "$pid" 2>/dev/null; do
  n=$(grep -c '"split":"val"' "$out/metrics.jsonl" 2>/dev/null || true)
  if [ "${n:-0}" -gt "$seen" ]; then
    seen=$n
    r=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    rss+=("$r")
    echo "epoch $seen: RSS $((r / 1024)) MB"
  fi
  sleep 0.5
done
wait "$pid" || { cat "$bin/log"; exit 1; }
first=${rss[0]}
for i in "${!rss[@]}"; do
  if [ "${rss[$i]}" -gt $((first * 11 / 10)) ]; then
    echo "soak: RSS grew from $((first / 1024)) MB after epoch 1 to $((rss[$i] / 1024)) MB after epoch $((i + 1))"
    exit 1
  fi
done
echo "soak: RSS stayed within 10% of epoch 1's $((first / 1024)) MB over ${#rss[@]} epochs"
