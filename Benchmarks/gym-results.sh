#!/usr/bin/env bash
# Full training through the Gymnasium bridge beside the same preset on the native environment, each with
# `ppo train --workers 2` (learner in this process, two worker processes over mutual TLS; each gym: worker steps its
# envs in one Python process), several seeds: deterministic evaluation (20 episodes) and wall time.
#
# usage: Benchmarks/gym-results.sh [SEEDS...]        (default seeds: 1 2 3 4 5; interpreter: $PPO_PYTHON or the
#                                                     venv .ci/run makes)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
python=${PPO_PYTHON:-$PWD/.build/ci-python/bin/python3}
swift build -c release >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
envs=(CartPole-v1 gym:CartPole-v1 Pendulum-v1 gym:Pendulum-v1)
for env in "${envs[@]}"; do
  for s in "${seeds[@]}"; do
    .build/release/ppo train --workers 2 --env "$env" --seed "$s" --python "$python" --out "$out/${env/:/_}-$s" --json \
      >"$out/${env/:/_}-$s.json" 2>/dev/null
  done
done
python3 - "$out" "${seeds[*]}" "${envs[@]}" <<'PY'
import json, statistics, sys
out, seeds, envs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
print("| env | env steps | seeds | deterministic return, mean ± std over seeds | per seed | wall time per run |")
print("|---|---|---|---|---|---|")
for env in envs:
    runs = [json.load(open(f"{out}/{env.replace(':', '_')}-{s}.json")) for s in seeds]
    means = [r["evaluation"]["mean"] for r in runs]
    walls = [r["summary"]["wallSeconds"] for r in runs]
    sd = statistics.pstdev(means) if len(means) > 1 else 0.0
    print(f"| `{env}` | {runs[0]['summary']['envSteps']:,} | {len(seeds)} | {statistics.mean(means):.1f} ± {sd:.1f} | "
          + ", ".join(f"{m:.1f}" for m in means) + f" | {statistics.mean(walls):.1f} s |")
PY
