#!/usr/bin/env bash
# Stopping on the training return against stopping on the greedy evaluation: for each env and seed, `ppo train
# --workers 0` once with --stop-at-return R (the mean of the last 20 sampled training episodes) and once with
# --eval-every N --stop-at-eval-return R (the greedy policy's mean over 20 episodes of its own), then the final
# checkpoint's deterministic evaluation (20 episodes on the seed + 1,000,000, which neither rule looked at). One CSV
# row per run; a rerun skips the rows already there. Seeds 101 and up: none of the presets was tuned on them.
#
# usage: Benchmarks/eval-stop.sh [--envs "CartPole-v1:500 Acrobot-v1:-80"] [--seeds "$(seq 101 200)"]
#                                [--every 10] [--out Benchmarks/eval-stop.csv] [--bin .build/release]
# Each env is ID:R, R the target of both rules. Benchmarks/eval_stop_report.py summarises the CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
envs="CartPole-v1:500 Acrobot-v1:-80" seeds=$(seq 101 200) every=10 out=Benchmarks/eval-stop.csv bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --every) every="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$bin" ] || { swift build -c release --product ppo >/dev/null; bin=.build/release; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -s "$out" ] || echo "env,seed,rule,target,eval_every,updates,env_steps,stopped_early,final_eval_mean,final_eval_std,evaluations,best_eval_mean,evaluation_seconds,wall_seconds" > "$out"
for spec in $envs; do
  env=${spec%%:*} target=${spec#*:}
  for seed in $seeds; do
    for rule in training greedy; do
      grep -q "^$env,$seed,$rule,$target," "$out" && continue
      if [ "$rule" = training ]; then flags=("--stop-at-return=$target"); else flags=(--eval-every "$every" "--stop-at-eval-return=$target"); fi
      "$bin/ppo" train --env "$env" --seed "$seed" --workers 0 --out "$work/run" --overwrite --json "${flags[@]}" \
        > "$work/run.json" 2> "$work/run.err" || { echo "$env seed $seed $rule failed:"; tail -3 "$work/run.err"; continue; }
      python3 - "$work/run.json" "$env" "$seed" "$rule" "$target" "$([ "$rule" = greedy ] && echo "$every")" >> "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, e = r["summary"], r["evaluation"]
env, seed, rule, target, every = sys.argv[2:]
stopped = s["reachedTarget"] or s.get("reachedEvalTarget", False)
best = s.get("bestEvaluation")
print(f"{env},{seed},{rule},{target},{every},{s['updates']},{s['envSteps']},{str(stopped).lower()},{e['mean']:.2f},{e['std']:.2f},"
      f"{s.get('evaluations', 0)},{'' if best is None else format(best['mean'], '.2f')},{s.get('evaluationSeconds', 0):.3f},{s['wallSeconds']:.2f}")
PY
    done
  done
done
