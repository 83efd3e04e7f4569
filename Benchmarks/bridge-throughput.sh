#!/usr/bin/env bash
# Gymnasium bridge throughput, side by side in one run: the same K environments stepped with random actions
#   - by plain Python in a loop (the floor: no IPC at all),
#   - by Gymnasium's AsyncVectorEnv (K processes, shared memory),
#   - through the bridge from Swift (`ppo bench bridge`: one Python process, shared memory, Protocol/BRIDGE.md).
#
# usage: Benchmarks/bridge-throughput.sh [ENV_STEPS] [K] [ROUNDS]   (defaults 40000, 8, 5; release build first)
# The three are measured one after the other in each round, and the table gives the median of the rounds (this
# VM's timings wander by ±20 % from one run to the next).
# The interpreter is $PPO_PYTHON, else the venv .ci/run makes (.build/ci-python). Goals: the bridge at ≥ 0.8× the
# plain loop for CartPole-v1, ≥ 0.95× for HalfCheetah-v5, and ≥ AsyncVectorEnv.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-40000}
k=${2:-8}
rounds=${3:-5}
python=${PPO_PYTHON:-.build/ci-python/bin/python3}
ppo=.build/release/ppo
[ -x "$ppo" ] || { echo "no $ppo: run swift build -c release first" >&2; exit 1; }
"$python" -c "import gymnasium" || { echo "$python has no gymnasium: set PPO_PYTHON" >&2; exit 1; }

printf '%-16s %3s %14s %14s %14s %8s %8s\n' env K plain/s async/s bridge/s b/plain b/async
for env in CartPole-v1 HalfCheetah-v5; do
  results=()
  for _ in $(seq "$rounds"); do
    floor=$("$python" Benchmarks/bridge_floor.py --env "$env" --envs "$k" --steps "$steps" 2>/dev/null)
    bridge=$("$ppo" bench bridge --env "gym:$env" --envs "$k" --steps "$steps" --repetitions 10 --python "$python" --json 2>/dev/null)
    results+=("$floor" "$bridge")
  done
  "$python" - "${results[@]}" <<'PY'
import json, statistics, sys
rounds = [(json.loads(a), json.loads(b)["results"][0]) for a, b in zip(sys.argv[1::2], sys.argv[2::2])]
floor = rounds[0][0]
plain = statistics.median(f["plain_loop_steps_per_second"] for f, _ in rounds)
vec = statistics.median(f["async_vector_env_steps_per_second"] for f, _ in rounds)
b = statistics.median(r["extra"]["env_steps_per_second"] for _, r in rounds)
ratios = sorted(r["extra"]["env_steps_per_second"] / f["plain_loop_steps_per_second"] for f, r in rounds)
print(f'{floor["env"]:<16} {floor["envs"]:>3} {plain:>14.0f} {vec:>14.0f} {b:>14.0f} {b / plain:>8.2f} {b / vec:>8.2f}'
      f'   (bridge/plain per round: {", ".join(f"{x:.2f}" for x in ratios)})')
PY
done
