#!/usr/bin/env bash
# MuJoCo presets through the Gymnasium bridge: for each env and seed, `ppo train --config ENV` (its preset, 1M
# steps) with --workers W (default 0: one process, the documented way on one machine), then its deterministic evaluation of 20 episodes and its wall time;
# and, once per env in the same run, the time Gymnasium alone takes to step the env as many times with random
# actions (Benchmarks/bridge_floor.py's plain loop, one env; with --floor-steps N timed on N steps and projected to
# the budget: random stepping costs the same per step throughout). One CSV row per run; every run's TensorBoard log is
# kept under --logs (learning curves: tensorboard --logdir DIR). With --sb3 N, also once per env, Stable-Baselines3's
# PPO on the same preset (Benchmarks/sb3_timing.py, torch on one thread) is timed on N steps and projected to the
# budget; its interpreter is $PPO_SB3_PYTHON, or .build/sb3-python (stable-baselines3, gymnasium[mujoco], pyyaml).
#
# usage: Benchmarks/mujoco-results.sh [--envs "HalfCheetah-v5"] [--seeds "1 2 3 4 5"] [--workers 2] [--steps N]
#                                     [--lag L] [--sb3 0] [--floor-steps N] [--out Benchmarks/mujoco-results.csv]
#                                     [--logs runs/mujoco-logs] [--bin DIR]
# --lag (default: the preset's max_policy_lag) 1 with --workers 0 steps the envs on a thread of their own while the
# update runs. --bin DIR runs the ppo and
# ppo-worker binaries in DIR instead of building (a queue of long runs is then not rebuilt under its feet).
# Interpreter: $PPO_PYTHON, or the venv .ci/run makes (.build/ci-python), with gymnasium[mujoco].
set -euo pipefail
cd "$(dirname "$0")/.."
envs="HalfCheetah-v5" seeds="1 2 3 4 5" workers=0 steps="" lag="" sb3=0 floorSteps="" out=Benchmarks/mujoco-results.csv logs=runs/mujoco-logs bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --lag) lag="$2"; shift 2 ;;
    --sb3) sb3="$2"; shift 2 ;;
    --floor-steps) floorSteps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --logs) logs="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
python=${PPO_PYTHON:-$PWD/.build/ci-python/bin/python3}
sb3python=${PPO_SB3_PYTHON:-$PWD/.build/sb3-python/bin/python3}
[ -n "$bin" ] || { swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null; bin=.build/release; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$logs"
[ -f "$out" ] || echo "env,seed,workers,max_policy_lag,env_steps,eval_mean,eval_std,wall_seconds,steps_per_second,gymnasium_alone_seconds,sb3_projected_seconds" > "$out"
for env in $envs; do
  preset="$work/$env.yaml"
  "$bin/ppo" presets "$env" > "$preset"
  budget=${steps:-$(sed -n 's/^total_steps: *//p' "$preset")}
  envLag=${lag:-$(sed -n 's/^max_policy_lag: *//p' "$preset")}
  envLag=${envLag:-0}
  floorRun=${floorSteps:-$budget}
  # The preset's env_args (gymnasium.make keyword arguments) as JSON, so Gymnasium alone steps the same env.
  envArgs=$("$bin/ppo" presets "$env" --env-args)
  floor=$("$python" Benchmarks/bridge_floor.py --env "$env" --env-args "$envArgs" --envs 1 --steps "$floorRun" --only plain \
    | "$python" -c 'import json, sys; r = json.load(sys.stdin); print("%.1f" % (int(sys.argv[1]) / r["plain_loop_steps_per_second"]))' "$budget")
  echo "$env $envArgs: Gymnasium alone steps it $budget times in $floor s (timed on $floorRun)"
  sb3seconds=""
  if [ "$sb3" -gt 0 ]; then
    sb3seconds=$("$sb3python" Benchmarks/sb3_timing.py \
      --preset "$preset" --steps "$sb3" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["projected_seconds"])')
    echo "$env: Stable-Baselines3 takes $sb3seconds s for $budget steps (projected from $sb3)"
  fi
  for seed in $seeds; do
    "$bin/ppo" train --config "$env" --seed "$seed" --workers "$workers" --max-policy-lag "$envLag" --steps "$budget" \
      --python "$python" --out "$work/$env-$seed" --logdir "$logs/$env-w$workers-lag$envLag-seed$seed" --status-port=-1 --json \
      >"$work/$env-$seed.json" 2>"$work/$env-$seed.err" || { echo "$env seed $seed failed:"; tail -5 "$work/$env-$seed.err"; continue; }
    "$python" - "$work/$env-$seed.json" "$env" "$seed" "$workers" "$envLag" "$floor" "$sb3seconds" >>"$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, e = r["summary"], r["evaluation"]
env, seed, workers, lag, floor, sb3 = sys.argv[2:]
print(f"{env},{seed},{workers},{lag},{s['envSteps']},{e['mean']:.1f},{e['std']:.1f},"
      f"{s['wallSeconds']:.1f},{s['stepsPerSecond']:.0f},{floor},{sb3}")
PY
    echo "$(tail -1 "$out")"
  done
done
