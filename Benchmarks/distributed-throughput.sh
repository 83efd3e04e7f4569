#!/usr/bin/env bash
# Full training throughput (collect + learn), CartPole-v1, 200k env steps with rollouts of 4096 transitions:
# single-process, then a learner with 1, 2 and 4 worker processes over mutual TLS on loopback. Two settings:
# the preset's update (20 epochs: the update dominates), and a light update (1 epoch of minibatch 4096), where
# collection and the wire dominate.
#
# usage: Benchmarks/distributed-throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-14s %-16s %12s %14s %10s\n" "update" "workers" "env steps" "steps/s" "wall s"
for setting in preset light; do
  extra=()
  [ "$setting" = light ] && extra=(--set update_epochs=1 --set minibatch_size=4096)
  for n in 0 1 2 4; do
    .build/release/ppo train --env CartPole-v1 --workers "$n" --steps 200000 --set rollout_steps=4096 "${extra[@]}" \
      --eval-episodes 0 --out "$out/$setting-$n" --json 2>/dev/null >"$out/$setting-$n.json"
    python3 - "$out/$setting-$n.json" "$n" "$setting" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
label = "single-process" if sys.argv[2] == "0" else sys.argv[2]
print(f"{sys.argv[3]:<14} {label:<16} {s['envSteps']:>12} {s['stepsPerSecond']:>14.0f} {s['wallSeconds']:>10.2f}")
PY
  done
done
