#!/usr/bin/env bash
# Measures the numeric core against the PyTorch seed back to back on this machine and prints the ratios:
# one PPO minibatch-64 step and one act() call (4-64-64 actor + critic).
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
"$py" "$micro" --threads 1 --skip-env --out "$out/torch.json" >/dev/null
.build/release/ppo bench all --json >"$out/swift.json"
python3 - "$out/torch.json" "$out/swift.json" <<'PY'
import json, sys
torch = json.load(open(sys.argv[1]))
swift = {r["name"]: r for r in json.load(open(sys.argv[2]))["results"]}
core = json.load(open(sys.argv[2]))["blasCore"]
rows = [("update-step", "ppo_minibatch64_step_full", 10), ("act", "seed_act_call", 50)]
print(f"OpenBLAS core {core}; PyTorch {torch.get('torch')} with {torch.get('torch_threads')} thread(s)")
print(f"{'benchmark':<12} {'PyTorch µs':>11} {'Swift µs':>9} {'speed-up':>9} {'goal':>6}")
for name, key, goal in rows:
    t = torch[key]["median_us"]
    s = swift[name]["medianMicroseconds"]
    print(f"{name:<12} {t:>11.1f} {s:>9.2f} {t / s:>8.1f}x {goal:>5}x")
PY
