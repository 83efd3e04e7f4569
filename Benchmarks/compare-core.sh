#!/usr/bin/env bash
# Measures the numeric core and the environments against the PyTorch seed and Gymnasium, back to back on this
# machine, and prints the ratios: one PPO minibatch-64 step and one act() call (4-64-64 actor + critic), and one
# CartPole-v1 / Acrobot-v1 step with random actions (Gymnasium through gym.make, so with its time limit).
#
# usage: Benchmarks/compare-core.sh MICROBENCH_PY [PYTHON]
#   MICROBENCH_PY  the seed's micro-benchmark script (microbench.py, needs torch, numpy, gymnasium)
#   PYTHON         the interpreter that has those packages (default: python3)
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,8p' "$0"
  exit 2
fi
micro=$1
py=${2:-python3}
cd "$(dirname "$0")/.."
swift build -c release --product ppo >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$py" "$micro" --threads 1 --out "$out/torch.json" >/dev/null
.build/release/ppo bench all --json >"$out/swift.json"
python3 - "$out/torch.json" "$out/swift.json" <<'PY'
import json, sys
torch = json.load(open(sys.argv[1]))
swift = {r["name"]: r for r in json.load(open(sys.argv[2]))["results"]}
core = json.load(open(sys.argv[2]))["blasCore"]
rows = [("update-step", torch["ppo_minibatch64_step_full"]["median_us"], 10),
        ("act", torch["seed_act_call"]["median_us"], 50)]
for env in ("CartPole-v1", "Acrobot-v1"):
    gym = [r for r in torch.get("env", []) if r["env"] == env and r["wrapped"] and not r["action_space_sample"]]
    if gym:
        rows.append((f"env-step {env}", gym[0]["us_per_step"], 20))
print(f"OpenBLAS core {core}; PyTorch {torch.get('torch')} with {torch.get('torch_threads')} thread(s), "
      f"Gymnasium {torch.get('gymnasium')}")
print(f"{'benchmark':<22} {'Python µs':>10} {'Swift µs':>9} {'speed-up':>9} {'goal':>6}")
for name, t, goal in rows:
    s = swift[name]["medianMicroseconds"]
    print(f"{name:<22} {t:>10.2f} {s:>9.3f} {t / s:>8.1f}x {goal:>5}x")
PY
