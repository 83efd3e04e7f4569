#!/usr/bin/env bash
# Full training throughput (collect + learn), CartPole-v1, 200k env steps with rollouts of 4096 transitions:
# single-process, then a learner with 1, 2 and 4 worker processes over mutual TLS on loopback.
#
# usage: Benchmarks/distributed-throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf "%-16s %12s %14s %10s\n" "workers" "env steps" "steps/s" "wall s"
for n in 0 1 2 4; do
  .build/release/ppo train --env CartPole-v1 --workers "$n" --steps 200000 --set rollout_steps=4096 \
    --eval-episodes 0 --out "$out/w$n" --json 2>/dev/null >"$out/w$n.json"
  python3 - "$out/w$n.json" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
label = "single-process" if sys.argv[2] == "0" else sys.argv[2]
print(f"{label:<16} {s['envSteps']:>12} {s['stepsPerSecond']:>14.0f} {s['wallSeconds']:>10.2f}")
PY
done
