#!/usr/bin/env bash
# Which way of using a machine's cores trains a MuJoCo preset fastest: for each env, `ppo train --config ENV` on
# --steps steps four ways, one after the other:
#   single        --workers 0                          collection and update in turn, in this process
#   single-lag1   --workers 0 --max-policy-lag 1       the envs stepped on a thread of their own while the update runs
#   workers2      --workers 2                          the learner here, two worker processes over mutual TLS
#   workers2-lag1 --workers 2 --max-policy-lag 1       the same, the workers collecting while the learner trains
# One CSV row per run: the training's wall time and steps/s (ppo train's summary: start-up and the final evaluation
# are not in it).
#
# usage: Benchmarks/mujoco-modes.sh [--envs "HalfCheetah-v5 Hopper-v5 …"] [--steps 102400] [--seed 1]
#                                   [--out Benchmarks/mujoco-modes.csv] [--bin DIR]
# --bin DIR runs the ppo and ppo-worker binaries in DIR instead of building.
# Interpreter: $PPO_PYTHON, or the venv .ci/run makes (.build/ci-python), with gymnasium[mujoco].
set -euo pipefail
cd "$(dirname "$0")/.."
envs="HalfCheetah-v5 Hopper-v5 Walker2d-v5 Ant-v5 Humanoid-v5 Swimmer-v5 InvertedPendulum-v5 InvertedDoublePendulum-v5 Reacher-v5 Pusher-v5"
steps=102400 seed=1 out=Benchmarks/mujoco-modes.csv bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
python=${PPO_PYTHON:-$PWD/.build/ci-python/bin/python3}
[ -n "$bin" ] || { swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null; bin=.build/release; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f "$out" ] || echo "env,mode,env_steps,wall_seconds,steps_per_second" > "$out"
modes=("single:--workers 0" "single-lag1:--workers 0 --max-policy-lag 1" "workers2:--workers 2" "workers2-lag1:--workers 2 --max-policy-lag 1")
for env in $envs; do
  for entry in "${modes[@]}"; do
    mode=${entry%%:*} args=${entry#*:}
    # shellcheck disable=SC2086 # args are words
    "$bin/ppo" train --config "$env" --seed "$seed" $args --steps "$steps" --python "$python" --eval-episodes 0 \
      --out "$work/$env-$mode" --status-port=-1 --json >"$work/run.json" 2>"$work/run.err" \
      || { echo "$env $mode failed:"; tail -5 "$work/run.err"; continue; }
    "$python" -c 'import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("%s,%s,%d,%.1f,%.0f" % (sys.argv[2], sys.argv[3], s["envSteps"], s["wallSeconds"], s["stepsPerSecond"]))' \
      "$work/run.json" "$env" "$mode" >>"$out"
    tail -1 "$out"
  done
done
