#!/usr/bin/env bash
# Learner ingest: a ppo-learner (plaintext, loopback) flooded by synthetic workers that answer every grant at
# once with recorded CartPole-v1 transitions. Reports the transitions per second the learner took in and trained
# on, and the learner's own CPU time per transition (what bounds it when collection is free).
#
# usage: Benchmarks/learner-ingest.sh [CONNECTIONS] [SECONDS]     (default 64 connections, 20 s)
set -euo pipefail
connections=${1:-64}
seconds=${2:-20}
cd "$(dirname "$0")/.."
swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null  # the flags of the build at hand (CI: static)
out=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
# A large rollout (64 × 8 envs × 64 steps) with one epoch: the update is not what is measured here.
.build/release/ppo-learner --env CartPole-v1 --plaintext --host 127.0.0.1 --port "$port" --steps 100000000 \
  --set rollout_steps=32768 --set update_epochs=1 --set minibatch_size=4096 --grant-steps 64 \
  --checkpoint-dir "$out/run" --checkpoint-every 0 --quiet >"$out/learner.log" 2>&1 &
learner=$!
trap 'kill -9 $learner 2>/dev/null || true; rm -rf "$out"' EXIT
sleep 1
cpu_before=$(awk '{print $14 + $15}' /proc/$learner/stat)
rss_peak=0
.build/release/ppo flood --learner 127.0.0.1:"$port" --connections "$connections" --seconds "$seconds" --json >"$out/flood.json" &
flood=$!
while kill -0 $flood 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$learner/status)
  [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
  sleep 0.5
done
wait $flood
cpu_after=$(awk '{print $14 + $15}' /proc/$learner/stat)
ticks=$(getconf CLK_TCK)
python3 - "$out/flood.json" "$cpu_before" "$cpu_after" "$ticks" "$rss_peak" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
n = r["transitionsAcked"]
print(f"{r['connections']} synthetic workers, {r['seconds']:.1f} s: {n} transitions acknowledged, "
      f"{r['transitionsPerSecond']:.0f}/s; learner CPU {cpu:.1f} s = {1e6 * cpu / max(n, 1):.2f} µs per transition "
      f"(one learner core takes in {n / max(cpu, 1e-9):.0f} transitions/s); learner peak RSS {int(sys.argv[5]) / 1024:.0f} MiB")
PY
