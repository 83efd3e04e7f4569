#!/usr/bin/env bash
# Faults between machines, with real processes: a learner and two worker hosts, each in its own network namespace
# (netns-hosts.sh), training CartPole-v1 over mutual TLS while the script
#   1. fills the disk that holds the checkpoint folder (a small tmpfs): checkpoint writes fail, are counted on
#      /metrics, the last good checkpoint still loads, training goes on; the disk is freed and writes resume;
#   2. takes the learner host's link down for longer than the workers' learner timeout: each worker notices by
#      itself, keeps retrying, and reconnects once the link is back;
#   3. takes worker host w1's link down for longer than the learner's idle timeout: the learner closes w1's
#      connection; when the link is back w1 reconnects by itself and delivers again;
# then checks that the run finished (status 0, both workers told it is finished), that transitions and grants
# balance, and that the checkpoint loads. Everything is torn down on exit.
#
# usage (as root): Deploy/netns-faults.sh [--bin DIR]
#   --bin DIR   folder with ppo, ppo-learner, ppo-worker (default: .build/release, built if missing)
set -euo pipefail

bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "netns-faults needs root (ip netns, mount)" >&2; exit 2; }
cd "$(dirname "$0")/.."
source Deploy/netns-hosts.sh
netns_binaries "$bin"

work=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  netns_teardown
  umount "$work/disk" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    for f in "$work"/*.err; do [ -f "$f" ] && { echo "--- $(basename "$f") (last 15 lines)"; tail -15 "$f"; } >&2; done
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAILED: $*" >&2; exit 1; }
# The value of a counter or gauge on the learner's /metrics (0 when absent).
metric() {
  ip netns exec "$tag-learner" python3 - "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=5).read().decode()
values = [l.split()[-1] for l in text.splitlines() if l.startswith(sys.argv[1] + " ")]
print(int(float(values[0])) if values else 0)
PY
}
# wait_for SECONDS WHAT COMMAND…: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what (waited $seconds s)"
    sleep 0.2
  done
}
at_least() { [ "$(metric "$1")" -ge "$2" ]; }
count() { grep -c -- "$2" "$work/$1" 2>/dev/null || true; }
more_than() { [ "$(count "$1" "$2")" -gt "$3" ]; }

netns_hosts "pf$$" learner w1 w2
learner_ip=${address[learner]}
"$bin/ppo" certs --out "$work/certs" --learner-host "$learner_ip" --workers 2 >/dev/null
mkdir "$work/disk"
mount -t tmpfs -o size=4m tmpfs "$work/disk"
checkpoint="$work/disk/run/checkpoint.safetensors"

echo "hosts: learner $learner_ip, workers ${address[w1]} ${address[w2]}; learner idle timeout 3 s, worker learner timeout 3 s"
ip netns exec "$tag-learner" "$bin/ppo-learner" --env CartPole-v1 --steps 1000000 --tls-dir "$work/certs" \
  --host "$learner_ip" --port 9000 --metrics-port 9100 --checkpoint-dir "$work/disk/run" --checkpoint-every 1 \
  --idle-timeout 3 >"$work/learner.out" 2>"$work/learner.err" &
learner_pid=$!
pids+=("$learner_pid")
wait_for 20 "the learner did not start listening" grep -q "listening on" "$work/learner.out"
worker_pids=()
for i in 1 2; do
  ip netns exec "$tag-w$i" "$bin/ppo-worker" --learner "$learner_ip:9000" --tls-dir "$work/certs" \
    --cert-name "worker-$i" --id "host-w$i" --learner-timeout 3 >"$work/w$i.out" 2>"$work/w$i.err" &
  worker_pids+=($!)
  pids+=($!)
done
wait_for 30 "no update within 30 s" at_least ppo_updates_total 5

echo "== 1. the checkpoint disk fills up"
dd if=/dev/zero of="$work/disk/fill" bs=64k 2>/dev/null || true
wait_for 30 "no checkpoint failure counted while the disk was full" at_least ppo_checkpoint_failures_total 3
"$bin/ppo" eval --checkpoint "$checkpoint" --episodes 1 --json >/dev/null || fail "the last good checkpoint does not load while the disk is full"
failures=$(metric ppo_checkpoint_failures_total)
written=$(metric ppo_checkpoints_written_total)
rm -f "$work/disk/fill"
wait_for 30 "checkpoints were not written again after the disk was freed" at_least ppo_checkpoints_written_total $((written + 2))
echo "   $failures checkpoint writes failed while full, the last good checkpoint loaded, writes resumed once freed"

echo "== 2. the learner host's link goes down for 8 s"
updates=$(metric ppo_updates_total)
back1=$(count learner.err "worker host-w1 connected")
back2=$(count learner.err "worker host-w2 connected")
netns_link learner down
sleep 8
netns_link learner up
for i in 1 2; do
  [ "$(count "w$i.err" "the learner sent nothing for")" -ge 1 ] || fail "worker w$i did not notice the silent learner within its timeout"
done
wait_for 60 "training did not resume after the learner's link came back" at_least ppo_updates_total $((updates + 5))
# The next fault needs both workers connected again and no stale session of theirs left on the learner (its idle
# timeout closes those, seconds after the link is back): w1 may still be reconnecting when training resumes.
both_back() {
  more_than learner.err "worker host-w1 connected" "$back1" && more_than learner.err "worker host-w2 connected" "$back2" \
    && [ "$(metric ppo_workers_connected)" -eq 2 ]
}
wait_for 60 "the workers were not both back, alone, after the learner's link came back" both_back
echo "   both workers noticed the silence by themselves and reconnected; training resumed"

echo "== 3. worker host w1's link goes down for 6 s (the learner's idle timeout is 3 s)"
connected=$(count learner.err "worker host-w1 connected")
timeouts=$(count learner.err "worker host-w1 disconnected after [0-9]* batches (timeout")
netns_link w1 down
sleep 6
netns_link w1 up
# (The learner logs the disconnect once the TLS close has given up on the silent peer: seconds later.)
wait_for 30 "the learner did not close w1's silent connection on its idle timeout" \
  more_than learner.err "worker host-w1 disconnected after [0-9]* batches (timeout" "$timeouts"
wait_for 60 "w1 did not reconnect after its link came back" more_than learner.err "worker host-w1 connected" "$connected"
echo "   the learner closed w1's silent connection; w1 reconnected by itself"

echo "== the run goes on to its end"
wait "$learner_pid" || fail "the learner exited with status $?"
for i in 1 2; do
  wait "${worker_pids[$((i - 1))]}" || fail "worker w$i exited with status $?"
  grep -q "training is finished" "$work/w$i.err" || fail "worker w$i was not told that training finished"
done
last=$(grep -o "worker host-w1 disconnected after [0-9]* batches" "$work/learner.err" | tail -1 | awk '{print $5}')
[ "${last:-0}" -ge 1 ] || fail "w1 delivered nothing after it reconnected"
python3 - "$work/disk/run/summary.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
received, trained, dropped = m["transitions_received"], m["transitions_trained"], sum(m["transitions_dropped"].values())
issued, completed, returned, open_ = m["grants_issued"], m["grants_completed"], m["grants_returned"], m["grants_open"]
c = m["checkpoints"]
print(f"   {m['updates']} updates, {m['env_steps']} env steps; transitions received {received} = trained {trained} + dropped {dropped}; "
      f"grants issued {issued} = completed {completed} + returned {returned} + open {open_}; "
      f"checkpoints written {c['written']}, failed {c['failures']}")
assert received == trained + dropped, "transitions do not balance"
assert issued == completed + returned + open_ and open_ == 0, "grants do not balance"
assert c["failures"] >= 3 and c.get("last_failure") is None, "checkpoint failures not counted, or the last write failed"
PY
"$bin/ppo" eval --checkpoint "$checkpoint" --episodes 5 --json >/dev/null || fail "the final checkpoint does not load"
echo "netns-faults: every fault survived"
