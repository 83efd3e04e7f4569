#!/usr/bin/env bash
# A multi-host run on one machine: the learner and each worker in its own Linux network namespace, with its own
# address on a bridge (as separate hosts would be), certificates issued for the learner's address, training
# CartPole-v1 over mutual TLS until the last 20 training episodes all return 500 (--stop-at-return 500, within the
# preset's 100000 steps; failing if it does not), then printing the deterministic evaluation (with --full: every
# step, and failing if that evaluation is below the threshold of 475). Everything is torn down on exit, on failure
# and on interruption: namespaces, links and processes.
#
# usage (as root): Deploy/netns-demo.sh [--workers N] [--rate RATE] [--steps N] [--full] [--bin DIR] [-- LEARNER_ARGS…]
#   --workers N   worker hosts (default 3)
#   --rate RATE   limit each worker's uplink with tc tbf, e.g. 100mbit (default: unlimited)
#   --steps N     most environment steps (default: the CartPole-v1 preset's 100000)
#   --full        train every step, without --stop-at-return (to measure throughput)
#   --bin DIR     folder with ppo, ppo-learner, ppo-worker (default: .build/release, built if missing)
#   -- ARGS       more learner arguments, e.g. -- --set update_epochs=1
set -euo pipefail

workers=3
extra=()
rate=""
steps=""
bin=""
stop=(--stop-at-return 500)
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --full) stop=(); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "netns-demo needs root (ip netns)" >&2; exit 2; }
cd "$(dirname "$0")/.."
source Deploy/netns-hosts.sh
netns_binaries "$bin"

hosts=(learner)
for i in $(seq 1 "$workers"); do hosts+=("w$i"); done
work=$(mktemp -d)
pids=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  netns_teardown
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns_hosts "ppo$$" "${hosts[@]}"
if [ -n "$rate" ]; then
  for i in $(seq 1 "$workers"); do
    ip netns exec "$tag-w$i" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 50ms
  done
fi
learner_ip=${address[learner]}

"$bin/ppo" certs --out "$work/certs" --learner-host "$learner_ip" --workers "$workers" >/dev/null
step_args=()
[ -n "$steps" ] && step_args=(--steps "$steps")
echo "hosts: learner $learner_ip, workers ${address[w1]}…${address[w$workers]}${rate:+, worker uplinks limited to $rate}"
start=$(date +%s.%N)
ip netns exec "$tag-learner" "$bin/ppo-learner" --env CartPole-v1 "${stop[@]}" "${step_args[@]}" "${extra[@]}" --tls-dir "$work/certs" \
  --host "$learner_ip" --port 9000 --metrics-port 9100 --checkpoint-dir "$work/run" --quiet \
  >"$work/learner.out" 2>"$work/learner.err" &
pids+=($!)
learner_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/learner.out" 2>/dev/null && break; sleep 0.1; done
for i in $(seq 1 "$workers"); do
  ip netns exec "$tag-w$i" "$bin/ppo-worker" --learner "$learner_ip:9000" --tls-dir "$work/certs" \
    --cert-name "worker-$i" --id "host-w$i" --max-attempts 10 >/dev/null 2>"$work/w$i.err" &
  pids+=($!)
done
if ! wait "$learner_pid"; then
  echo "the learner failed:" >&2
  tail -20 "$work/learner.err" >&2
  exit 1
fi
end=$(date +%s.%N)
eval_line=$("$bin/ppo" eval --checkpoint "$work/run/checkpoint.safetensors" --episodes 20 --json)
python3 - "$work/learner.out" "$start" "$end" "$workers" "$eval_line" "${#stop[@]}" <<'PY'
import json, re, sys
out = open(sys.argv[1]).read()
done = [l for l in out.splitlines() if l.startswith("done:")][-1]
steps = int(re.search(r"(\d+) env steps", done).group(1))
updates = int(re.search(r"(\d+) updates", done).group(1))
sent = int(re.search(r"(\d+) bytes received", done).group(1))
wall = float(sys.argv[3]) - float(sys.argv[2])
ev = json.loads(sys.argv[5])
print(f"{sys.argv[4]} worker hosts: {steps} env steps, {updates} updates in {wall:.1f} s ({steps / wall:.0f} steps/s); "
      f"workers sent {sent / 1e6:.1f} MB ({sent / max(steps, 1):.1f} bytes per step); "
      f"deterministic evaluation {ev['mean']:.1f} ± {ev['std']:.1f} over {ev['episodes']} episodes")
print(done)
if sys.argv[6] != "0":
    if "(reached --stop-at-return)" not in done:
        print(f"FAILED: the last 20 episodes did not all return 500 within {steps} steps", file=sys.stderr)
        sys.exit(1)
    if ev["mean"] < 475:
        # PPO's sampling policy and its greedy one can differ: seen once in about 40 runs (Benchmarks/README.md).
        print("note: the greedy policy evaluates below 475, although the last 20 sampled episodes returned 500")
elif ev["mean"] < 475:
    print("FAILED: the policy did not reach CartPole-v1's threshold of 475", file=sys.stderr)
    sys.exit(1)
PY
