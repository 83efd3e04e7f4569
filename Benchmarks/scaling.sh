#!/usr/bin/env bash
# Scaling: env steps/s of full training (learner + W worker processes on loopback) against the number of workers,
# with every worker's environments made expensive by --step-delay (each vector step of its K envs takes at least
# that long, sleeping), as remote or GPU simulators are. CartPole-v1 with the seed's update (rollout 2048,
# 10 epochs of minibatch 64, 4-64-64), strictly on-policy. For each delay and worker count it runs WARMUP seconds,
# then measures WINDOW seconds from the learner's /status.json and /metrics, and the learner's own CPU time from
# /proc, and the workers' CPU time (all of them together); at the end it stops the learner and checks the accounts
# (transitions and grants balance). Writes one CSV row per run (Benchmarks/scaling.csv by default);
# Benchmarks/plot_scaling.py draws it and Benchmarks/scaling_model.py compares it with the capacity model.
#
# usage: Benchmarks/scaling.sh [--delays "1ms 10ms"] [--workers "1 2 4 8 16 32 64"] [--envs 8] [--window 20]
#                              [--warmup 8] [--learner-threads 1] [--grant-steps 4] [--max-policy-lag 0]
#                              [--netns] [--out Benchmarks/scaling.csv]
# --netns (as root): the learner and every worker on a host of its own, a Linux network namespace with its address
# on a bridge (Deploy/netns-hosts.sh), over mutual TLS with certificates issued for the learner's address, instead
# of processes on loopback in plaintext. The CSV's `hosts` column says which.
# --grant-steps: steps per env of one grant (4 × 8 envs = 32 transitions, so a 2048-transition rollout is spread
# over up to 64 workers; the learner's default grant is sized for the preset's collector and would give the whole
# rollout to one or two workers). A learner that exits other than 0 leaves its log beside the CSV.
set -euo pipefail
cd "$(dirname "$0")/.."
delays="1ms 10ms" counts="1 2 4 8 16 32 64" envs=8 window=20 warmup=8 threads=1 grant=4 lag=0 netns=no out=Benchmarks/scaling.csv
while [ $# -gt 0 ]; do
  case "$1" in
    --delays) delays="$2"; shift 2 ;;
    --workers) counts="$2"; shift 2 ;;
    --envs) envs="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --learner-threads) threads="$2"; shift 2 ;;
    --grant-steps) grant="$2"; shift 2 ;;
    --max-policy-lag) lag="$2"; shift 2 ;;
    --netns) netns=yes; shift ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null
bin=.build/release
work=$(mktemp -d)
pids=()
netns_names=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ "$netns" = no ] || netns_teardown
  rm -rf "$work"
}
trap cleanup EXIT
if [ "$netns" = yes ]; then
  [ "$(id -u)" = 0 ] || { echo "--netns needs root (ip netns)" >&2; exit 2; }
  source Deploy/netns-hosts.sh
fi

# Reads the learner's state: env steps, updates, update seconds, RSS (KiB) and CPU seconds of the process, received
# transitions, workers connected, and the CPU seconds of the worker processes together.
sample() {  # metrics_port pid worker_pid...
  "${on_learner[@]}" python3 - "$learner_ip" "$@" <<'PY'
import json, os, sys, urllib.request
host, port, pid, worker_pids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def cpu_seconds(p):
    try:
        stat = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
s = json.load(urllib.request.urlopen(f"http://{host}:{port}/status.json", timeout=10))
m = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10).read().decode()
upd = next(float(l.split()[1]) for l in m.splitlines() if l.startswith("ppo_update_duration_seconds_total "))
recv = next(float(l.split()[1]) for l in m.splitlines() if l.startswith("ppo_transitions_received_total "))
rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
print(s["run"]["env_steps"], s["run"]["updates"], upd, rss, cpu_seconds(pid), recv, s["run"]["workers_connected"],
      sum(cpu_seconds(p) for p in worker_pids))
PY
}

[ -f "$out" ] || echo "delay_ms,workers,envs,steps_per_second,updates,update_seconds_per_update,learner_cpu_fraction,learner_cpu_us_per_transition,update_fraction,rss_quarter_mib,rss_end_mib,balanced,learner_exit,worker_cpu_us_per_transition,max_policy_lag,cores,hosts" > "$out"
for delay in $delays; do
  for w in $counts; do
    dir="$work/run-$delay-$w"
    hosts=loopback learner_ip=127.0.0.1 on_learner=() security=(--plaintext) tls=()
    if [ "$netns" = yes ]; then
      hosts=netns
      names=(learner); for i in $(seq 1 "$w"); do names+=("w$i"); done
      netns_hosts "scale$$-$w" "${names[@]}"
      learner_ip=${address[learner]} on_learner=(ip netns exec "$tag-learner")
      "$bin/ppo" certs --out "$work/certs-$delay-$w" --learner-host "$learner_ip" --workers "$w" >/dev/null
      security=(--tls-dir "$work/certs-$delay-$w")
    fi
    "${on_learner[@]}" "$bin/ppo-learner" --env CartPole-v1 --config seed "${security[@]}" --host "$learner_ip" --port 0 --metrics-port 0 \
      --metrics-host "$learner_ip" --steps 1000000000 --checkpoint-dir "$dir" --checkpoint-every 0 \
      --learner-threads "$threads" --grant-steps "$grant" --max-policy-lag "$lag" --max-connections 300 >"$work/learner.out" 2>"$work/learner.err" &
    learner=$!; pids+=("$learner")
    for _ in $(seq 1 100); do grep -q "listening on" "$work/learner.out" && grep -q "metrics on" "$work/learner.err" && break; sleep 0.1; done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/learner.out" | head -1)
    mport=$(sed -n 's|.*metrics on http://[^:]*:\([0-9]*\)/metrics.*|\1|p' "$work/learner.err" | head -1)
    workers=()
    for i in $(seq 1 "$w"); do
      if [ "$netns" = yes ]; then
        on_worker=(ip netns exec "$tag-w$i") tls=(--tls-dir "$work/certs-$delay-$w" --cert-name "worker-$i")
      else
        on_worker=() tls=(--plaintext)
      fi
      "${on_worker[@]}" "$bin/ppo-worker" --learner "$learner_ip:$port" "${tls[@]}" --id "w$i" --envs "$envs" --step-delay "$delay" >/dev/null 2>&1 &
      workers+=($!); pids+=($!)
    done
    sleep "$warmup"
    read -r s0 u0 t0 rss0 c0 r0 conn0 wc0 < <(sample "$mport" "$learner" "${workers[@]}")
    start=$(date +%s.%N)
    sleep $(echo "$window / 4" | bc -l)
    read -r _ _ _ rssq _ _ _ _ < <(sample "$mport" "$learner")
    sleep $(echo "$window * 3 / 4" | bc -l)
    read -r s1 u1 t1 rss1 c1 r1 conn1 wc1 < <(sample "$mport" "$learner" "${workers[@]}")
    end=$(date +%s.%N)
    kill -TERM "$learner"
    status=0; wait "$learner" || status=$?
    [ "$status" -eq 0 ] || { cp "$work/learner.err" "${out%.csv}-learner-exit-$status-$delay-$w.log"; echo "the learner exited with $status (log: ${out%.csv}-learner-exit-$status-$delay-$w.log)"; }
    for p in "${workers[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$netns" = yes ]; then netns_teardown; netns_names=(); fi
    balanced=$(python3 - "$dir/summary.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
dropped = sum(m["transitions_dropped"].values())
ok = m["transitions_received"] == m["transitions_trained"] + dropped and m["grants_issued"] == m["grants_completed"] + m["grants_returned"] + m["grants_open"]
print("yes" if ok else "no")
PY
)
    python3 - "$delay" "$w" "$envs" "$s0" "$s1" "$u0" "$u1" "$t0" "$t1" "$c0" "$c1" "$r0" "$r1" "$start" "$end" "$rssq" "$rss1" "$balanced" "$status" "$wc0" "$wc1" "$lag" "$(nproc)" "$hosts" >>"$out" <<'PY'
import sys
a = sys.argv[1:]
delay = a[0]; ms = float(delay[:-2]) if delay.endswith("ms") else float(delay.rstrip("s")) * 1000
w, envs = int(a[1]), int(a[2])
s0, s1, u0, u1 = map(int, a[3:7]); t0, t1, c0, c1, r0, r1, start, end = map(float, a[7:15])
dt = end - start
steps = s1 - s0
print(f"{ms:g},{w},{envs},{steps / dt:.0f},{u1 - u0},{(t1 - t0) / max(u1 - u0, 1):.5f},{(c1 - c0) / dt:.3f},"
      f"{(c1 - c0) / max(r1 - r0, 1) * 1e6:.2f},{(t1 - t0) / dt:.3f},{int(a[15]) / 1024:.1f},{int(a[16]) / 1024:.1f},{a[17]},{a[18]},"
      f"{(float(a[20]) - float(a[19])) / max(r1 - r0, 1) * 1e6:.2f},{a[21]},{a[22]},{a[23]}")
PY
    echo "delay $delay, $w workers: $(tail -1 "$out")"
  done
done
