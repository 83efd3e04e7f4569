#!/usr/bin/env bash
# Gymnasium bridge throughput, side by side in one run: the same K environments stepped with random actions
#   - by plain Python in a loop (the floor: no IPC at all),
#   - by Gymnasium's AsyncVectorEnv (K processes, shared memory),
#   - through the bridge from Swift (`ppo bench bridge`: one Python process, shared memory, Protocol/BRIDGE.md).
#
# usage: Benchmarks/bridge-throughput.sh [ENV_STEPS] [K]      (defaults 40000 and 8; release build first)
# The interpreter is $PPO_PYTHON, else the venv .ci/run makes (.build/ci-python). Goals: the bridge at ≥ 0.8× the
# plain loop for CartPole-v1, ≥ 0.95× for HalfCheetah-v5, and ≥ AsyncVectorEnv.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-40000}
k=${2:-8}
python=${PPO_PYTHON:-.build/ci-python/bin/python3}
ppo=.build/release/ppo
[ -x "$ppo" ] || { echo "no $ppo: run swift build -c release first" >&2; exit 1; }
"$python" -c "import gymnasium" || { echo "$python has no gymnasium: set PPO_PYTHON" >&2; exit 1; }

printf '%-16s %3s %14s %14s %14s %8s %8s\n' env K plain/s async/s bridge/s b/plain b/async
for env in CartPole-v1 HalfCheetah-v5; do
  floor=$("$python" Benchmarks/bridge_floor.py --env "$env" --envs "$k" --steps "$steps" 2>/dev/null)
  bridge=$("$ppo" bench bridge --env "gym:$env" --envs "$k" --steps "$steps" --repetitions 10 --python "$python" --json 2>/dev/null)
  "$python" - "$floor" "$bridge" <<'PY'
import json, sys
floor, bridge = json.loads(sys.argv[1]), json.loads(sys.argv[2])["results"][0]
plain, vec = floor["plain_loop_steps_per_second"], floor["async_vector_env_steps_per_second"]
b = bridge["extra"]["env_steps_per_second"]
print(f'{floor["env"]:<16} {floor["envs"]:>3} {plain:>14.0f} {vec:>14.0f} {b:>14.0f} {b / plain:>8.2f} {b / vec:>8.2f}')
PY
done
