#!/usr/bin/env bash
# Learning results on environments whose spaces are not a flat Box (the spaces issue's table): each preset trained
# on the reporting seeds with Benchmarks/heldout.sh (resumable, one CSV row per run, final deterministic evaluation
# of 20 episodes), beside a uniformly random policy's return over 20 episodes (Benchmarks/random_policy.py).
#
# usage: Benchmarks/spaces.sh [--envs "LunarLander-v3 highway-fast-v0 PointMaze_UMazeDense-v3 GridReach-v0"] [--seeds "101 102 103"]
#                             [--out Benchmarks/spaces-results.csv] [heldout.sh options: --bin DIR | --commit REV]
# The env packages (Box2D, highway-env, gymnasium-robotics, MiniGrid, MinAtar) go into a venv of their own,
# .build/spaces-python (made once); the random policy's returns go to Benchmarks/spaces-random.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
envs="LunarLander-v3 highway-fast-v0 PointMaze_UMazeDense-v3" seeds="101 102 103" out=Benchmarks/spaces-results.csv
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
venv=$PWD/.build/spaces-python
if ! "$venv/bin/python3" -c "import gymnasium, Box2D, highway_env, gymnasium_robotics, minigrid, minatar" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "gymnasium[box2d,mujoco]" highway-env gymnasium-robotics minigrid minatar
fi
export PPO_PYTHON=$venv/bin/python3 PPO_PRESETS_DIR=${PPO_PRESETS_DIR:-$PWD/Sources/Training/Presets}
export PYTHONPATH=$PWD/Benchmarks/envs${PYTHONPATH:+:$PYTHONPATH}  # the benchmarks' own envs (GridReach-v0)

random=Benchmarks/spaces-random.csv
[ -s "$random" ] || echo "env,episodes,first_seed,mean,std,min,max,success_rate" > "$random"
for env in $envs; do
  grep -q "^$env," "$random" && continue
  preset=$PPO_PRESETS_DIR/$env.yaml
  [ -f "Benchmarks/presets/$env.yaml" ] && preset=Benchmarks/presets/$env.yaml
  id=$(sed -n 's/^env: gym://p' "$preset")
  # A one-line register: [module:function, …] list, as the presets write it.
  register=()
  for path in $(sed -n 's/^register: *\[\(.*\)\]/\1/p' "$preset" | tr ',' ' '); do register+=(--register "$path"); done
  "$PPO_PYTHON" Benchmarks/random_policy.py "$id" --episodes 20 --seed 101 "${register[@]}" --csv "$env" >> "$random"
  tail -1 "$random"
done
Benchmarks/heldout.sh --envs "$envs" --seeds "$seeds" --out "$out" "${pass[@]}"
