#!/usr/bin/env bash
# Load test: a ppo-learner flooded for minutes by synthetic workers over mutual TLS (one process, many connections,
# each answering every grant at once with recorded CartPole-v1 transitions). Fails, with the reason, when
#   - the learner dies, or its resident memory goes over MAX_RSS_MIB (default 256),
#   - training stalls: no update for STALL_SECONDS (default 20) while the workers are sending (a lost grant
#     would leave its version's rollout unfinished forever),
#   - at the end (SIGTERM): the learner does not exit 0, transitions received != trained + dropped, or grants
#     issued != completed + returned + open, or the workers were acknowledged more than the learner received.
# Prints the figures: transitions/s, updates, peak RSS, RSS at a quarter and at the end of the run.
#
# usage: Benchmarks/learner-load.sh [CONNECTIONS] [SECONDS]     (default 64 connections, 120 s)
#        PPO_LEARNER_THREADS=N sets the learner's --learner-threads (default: its own).
set -euo pipefail
connections=${1:-64}
seconds=${2:-120}
max_rss_mib=${MAX_RSS_MIB:-256}
stall_seconds=${STALL_SECONDS:-20}
cd "$(dirname "$0")/.."
swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null  # the flags of the build at hand (CI: static)
bin=.build/release
out=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
metrics_port=$((port + 1))
fail() { echo "FAIL: $*"; echo "--- learner log (end)"; tail -20 "$out/learner.log"; exit 1; }

"$bin/ppo" certs --out "$out/certs" --learner-host 127.0.0.1 --workers 1 >/dev/null
# Small grants and a rollout of 64 × 8 envs × 64 steps, so that many grants are open at once and versions turn
# over every few seconds while every connection keeps sending.
"$bin/ppo-learner" --env CartPole-v1 --tls-dir "$out/certs" --host 127.0.0.1 --port "$port" --steps 1000000000 \
  --metrics-port "$metrics_port" --metrics-host 127.0.0.1 \
  --set rollout_steps=32768 --set update_epochs=1 --set minibatch_size=4096 --grant-steps 64 \
  --checkpoint-dir "$out/run" --checkpoint-every 0 ${PPO_LEARNER_THREADS:+--learner-threads "$PPO_LEARNER_THREADS"} --quiet >"$out/learner.log" 2>&1 &
learner=$!
trap 'kill -9 $learner $flood 2>/dev/null || true; rm -rf "$out"' EXIT
flood=""
for _ in $(seq 1 100); do grep -q "listening on" "$out/learner.log" && break; sleep 0.1; done
grep -q "listening on" "$out/learner.log" || fail "the learner did not start"

updates() {
  python3 - "$metrics_port" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
print(next(int(float(l.split()[1])) for l in body.splitlines() if l.startswith("ppo_updates_total ")))
PY
}

"$bin/ppo" flood --learner 127.0.0.1:"$port" --tls-dir "$out/certs" --connections "$connections" --seconds "$seconds" --json >"$out/flood.json" &
flood=$!
start=$(date +%s)
rss_peak=0 rss_quarter=0 rss_now=0
last_updates=0 last_progress=$start
while kill -0 $flood 2>/dev/null; do
  kill -0 $learner 2>/dev/null || fail "the learner died"
  now=$(date +%s)
  rss_now=$(awk '/VmRSS/ {print $2}' /proc/$learner/status)
  [ "$rss_now" -gt "$rss_peak" ] && rss_peak=$rss_now
  [ $((now - start)) -le $((seconds / 4)) ] && rss_quarter=$rss_now
  [ $((rss_now / 1024)) -le "$max_rss_mib" ] || fail "learner RSS $((rss_now / 1024)) MiB is over $max_rss_mib MiB"
  u=$(updates) || fail "cannot read /metrics"
  if [ "$u" -gt "$last_updates" ]; then last_updates=$u; last_progress=$now; fi
  # The flood's own deadline ends its connections; only a stall while they send counts.
  if [ $((now - last_progress)) -gt "$stall_seconds" ] && [ $((now - start)) -lt "$seconds" ]; then
    fail "no update for $stall_seconds s (stuck at $last_updates)"
  fi
  sleep 1
done
wait $flood || fail "the flood failed"
kill -0 $learner 2>/dev/null || fail "the learner died"
kill -TERM $learner
for _ in $(seq 1 600); do kill -0 $learner 2>/dev/null || break; sleep 0.1; done
kill -0 $learner 2>/dev/null && fail "the learner was still running 60 s after SIGTERM"
status=0
wait $learner || status=$?
[ "$status" -eq 0 ] || fail "the learner exited with status $status after SIGTERM"

python3 - "$out/flood.json" "$out/learner.log" "$rss_peak" "$rss_quarter" "$rss_now" <<'PY'
import json, re, sys
flood = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
done = [l for l in log.splitlines() if l.startswith("done:")]
if not done:
    sys.exit("FAIL: the learner printed no summary")
line = done[-1]
m = re.search(r"(\d+) updates.*transitions received (\d+) = trained (\d+) \+ dropped (\d+)", line)
g = re.search(r"grants issued (\d+) = completed (\d+) \+ returned (\d+) \+ open (\d+)", line)
if not m or not g:
    sys.exit(f"FAIL: cannot read the summary: {line}")
updates, received, trained, dropped = map(int, m.groups())
issued, completed, returned, still_open = map(int, g.groups())
problems = []
if received != trained + dropped:
    problems.append(f"transitions received {received} != trained {trained} + dropped {dropped}")
if issued != completed + returned + still_open:
    problems.append(f"grants issued {issued} != completed {completed} + returned {returned} + open {still_open}")
if flood["transitionsAcked"] > received:
    problems.append(f"workers were acknowledged {flood['transitionsAcked']} transitions, the learner received {received}")
if updates == 0:
    problems.append("no update at all")
mib = lambda kib: int(kib) / 1024
print(f"{flood['connections']} synthetic workers for {flood['seconds']:.0f} s: {flood['transitionsAcked']} transitions acknowledged "
      f"({flood['transitionsPerSecond']:.0f}/s), {updates} updates, {trained} trained + {dropped} dropped = {received} received; "
      f"grants {issued} = {completed} completed + {returned} returned + {still_open} open; "
      f"learner RSS peak {mib(sys.argv[3]):.0f} MiB (at a quarter {mib(sys.argv[4]):.0f} MiB, at the end {mib(sys.argv[5]):.0f} MiB)")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("load test passed")
PY
