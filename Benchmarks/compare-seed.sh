#!/usr/bin/env bash
# Trains CartPole-v1 with the seed's exact configuration, in PyTorch (the seed itself, through its driver
# script) and here, one after the other for each seed, and compares when the mean of the last 20 episode returns
# first reaches 475: environment steps and wall time.
#
# usage: Benchmarks/compare-seed.sh RUN_SEED_PY [PYTHON] [SEEDS...]
#   RUN_SEED_PY  the seed's driver (run_seed.py, needs torch, numpy, gymnasium)
#   PYTHON       interpreter with those packages (default: python3)
#   SEEDS        default: 1 2 3
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
driver=$1
py=${2:-python3}
shift $(( $# >= 2 ? 2 : 1 ))
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
cd "$(dirname "$0")/.."
swift build -c release --product ppo >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for s in "${seeds[@]}"; do
  "$py" "$driver" --env CartPole-v1 --seed "$s" --steps 100000 --threads 1 --out "$out/torch-$s.json" >/dev/null
  .build/release/ppo train --workers 0 --config seed --seed "$s" --out "$out/swift-$s" --json --eval-episodes 0 >"$out/swift-$s.json"
done
python3 - "$out" "${seeds[@]}" <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2:]
print(f"{'seed':>4} {'PyTorch steps':>14} {'PyTorch s':>10} {'Swift steps':>12} {'Swift s':>8} {'wall-time ratio':>16}")
ts, tw, ss, sw = [], [], [], []
for s in seeds:
    t = json.load(open(f"{out}/torch-{s}.json"))["first_reach"]
    w = json.load(open(f"{out}/swift-{s}.json"))["summary"].get("firstReach")
    if not t or not w:
        print(f"{s:>4} threshold not reached: PyTorch {t}, Swift {w}")
        continue
    ts.append(t["env_step"]); tw.append(t["wall_s"]); ss.append(w["envSteps"]); sw.append(w["wallSeconds"])
    print(f"{s:>4} {t['env_step']:>14} {t['wall_s']:>10.2f} {w['envSteps']:>12} {w['wallSeconds']:>8.3f} {t['wall_s'] / w['wallSeconds']:>15.1f}x")
if ts:
    m = lambda x: sum(x) / len(x)
    print(f"mean {m(ts):>14.0f} {m(tw):>10.2f} {m(ss):>12.0f} {m(sw):>8.3f} {m(tw) / m(sw):>15.1f}x")
PY
