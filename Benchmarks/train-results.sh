#!/usr/bin/env bash
# Trains every shipped environment preset with several seeds and prints the results table: deterministic
# evaluation (20 episodes) after training, mean ± std over seeds of each seed's mean return, and wall time.
#
# usage: Benchmarks/train-results.sh [SEEDS...]        (default seeds: 1 2 3 4 5)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
swift build -c release --product ppo >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
envs=(CartPole-v1 Acrobot-v1 MountainCar-v0 Pendulum-v1 MountainCarContinuous-v0)
for env in "${envs[@]}"; do
  for s in "${seeds[@]}"; do
    .build/release/ppo train --workers 0 --env "$env" --seed "$s" --out "$out/$env-$s" --json >"$out/$env-$s.json"
  done
done
python3 - "$out" "${seeds[*]}" "${envs[@]}" <<'PY'
import json, statistics, sys
out, seeds, envs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print("| env | preset | env steps | seeds | deterministic return, mean ± std over seeds | per seed | wall time per run |")
print("|---|---|---|---|---|---|---|")
for env in envs:
    runs = [json.load(open(f"{out}/{env}-{s}.json")) for s in seeds]
    means = [r["evaluation"]["mean"] for r in runs]
    walls = [r["summary"]["wallSeconds"] for r in runs]
    steps = runs[0]["summary"]["envSteps"]
    sd = statistics.pstdev(means) if len(means) > 1 else 0.0
    print(f"| {env} | `{env}` | {steps:,} | {len(seeds)} | {statistics.mean(means):.1f} ± {sd:.1f} | "
          + ", ".join(f"{m:.1f}" for m in means) + f" | {statistics.mean(walls):.1f} s |")
PY
