#!/usr/bin/env bash
# Held-out results: each preset trained on the reporting seeds (101–110), which no tuning may look at, then the
# final checkpoint's deterministic evaluation (20 episodes, what `ppo train` ends with). A resumable queue: one CSV
# row per finished run, keyed by env, seed, a hash of the preset's text and the commit the binaries were built
# from; a rerun skips every key already in the CSV, so an interrupted queue (a session's end, a reboot) starts
# again where it stopped, losing at most the run in progress (runs are deterministic for their seed with
# --workers 0, so a rerun of that run gives the same figure). Envs run in the order given (highest priority first),
# each over all its seeds. Benchmarks/heldout_report.py makes the tables.
#
# usage: Benchmarks/heldout.sh [--envs "CartPole-v1 HalfCheetah-v5 …"] [--seeds "101 … 110"]
#                              [--out Benchmarks/heldout-results.csv] [--bin DIR | --commit REV] [--runs DIR]
# --bin DIR      run the ppo binary in DIR (its commit is read from DIR/BUILD_COMMIT, written by --commit)
# --commit REV   build REV in a git worktree under .build/heldout-REV (once) and run that: what a later session
#                gives to go on with the same binaries, so the rows it already has keep their key
# (neither)      build HEAD (a clean tree) and run .build/release
# --runs DIR     run folders (checkpoints, TensorBoard logs); default /var/tmp/ppo-heldout
# Interpreter for gym: envs: $PPO_PYTHON, or the venv .ci/run makes (.build/ci-python), with gymnasium[mujoco].
# OPENBLAS_CORETYPE is Haswell unless set (see below): a row is reproducible bit for bit on any AVX2 host.
# The CSV's load_1min column is /proc/loadavg's 1-minute figure at the end of the run: about 1 (2 for a preset
# with max_policy_lag 1) when the run had the machine to itself; wall times of rows well above that shared it.
set -euo pipefail
cd "$(dirname "$0")/.."
classic="CartPole-v1 Acrobot-v1 MountainCar-v0 Pendulum-v1 MountainCarContinuous-v0"
locomotion="HalfCheetah-v5 Hopper-v5 Walker2d-v5 Ant-v5 Humanoid-v5"
envs="$classic $locomotion" seeds="101 102 103 104 105 106 107 108 109 110"
out=Benchmarks/heldout-results.csv bin="" commit="" runs=/var/tmp/ppo-heldout
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --commit) commit="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
python=${PPO_PYTHON:-$PWD/.build/ci-python/bin/python3}
# One OpenBLAS kernel for every row, whatever host the queue runs on: OpenBLAS picks its sgemm kernels from the CPU
# (Cooperlake on a host that shows AVX-512 BF16, Haswell or Zen on an AVX2 one), their float rounding differs, and
# a run's trajectory follows it (Pendulum-v1 seed 101: -233.07 with the Haswell or Zen kernels, -223.46 with
# SkylakeX or Cooperlake). The rows were made with the AVX2 kernels, which every x86-64 host of the last decade has.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
# The benchmarks' own envs (gym:ppo_bench_envs:ID) and their presets (Benchmarks/presets/NAME.yaml, found before
# the shipped ones).
export PYTHONPATH=$PWD/Benchmarks/envs${PYTHONPATH:+:$PYTHONPATH}
config_of() { if [ -f "Benchmarks/presets/$1.yaml" ]; then echo "Benchmarks/presets/$1.yaml"; else echo "$1"; fi; }

if [ -n "$commit" ]; then
  full=$(git rev-parse --verify "$commit^{commit}")
  tree=$PWD/.build/heldout-${full:0:12}
  if [ ! -x "$tree/.build/release/ppo" ]; then
    [ -d "$tree" ] || git worktree add --detach "$tree" "$full" >/dev/null
    (cd "$tree" && swift build -c release >/dev/null)
  fi
  bin=$tree/.build/release
  echo "$full" > "$bin/BUILD_COMMIT"
elif [ -z "$bin" ]; then
  [ -z "$(git status --porcelain --untracked-files=no)" ] || { echo "the tree has uncommitted changes: commit them, or give --commit REV or --bin DIR" >&2; exit 2; }
  swift build -c release >/dev/null
  bin=.build/release
  git rev-parse HEAD > "$bin/BUILD_COMMIT"
fi
[ -f "$bin/BUILD_COMMIT" ] || { echo "$bin/BUILD_COMMIT is missing: say which commit $bin was built from (or use --commit REV)" >&2; exit 2; }
build=$(cut -c1-12 "$bin/BUILD_COMMIT")
mkdir -p "$runs"
header="env,seed,preset_hash,commit,env_steps,eval_mean,eval_std,wall_seconds,steps_per_second,load_1min,finished_utc"
[ -s "$out" ] || echo "$header" > "$out"

for env in $envs; do
  config=$(config_of "$env")
  # (the hash of the preset's text, as `ppo presets NAME` prints a shipped one)
  if [ -f "$config" ]; then hash=$(sha256sum <"$config" | cut -c1-12); else hash=$("$bin/ppo" presets "$config" | sha256sum | cut -c1-12); fi
  for seed in $seeds; do
    if grep -q "^$env,$seed,$hash,$build," "$out"; then continue; fi
    dir="$runs/$env-$seed-$hash-$build"
    echo "$(date -u +%H:%M:%S) $env seed $seed (preset $hash, commit $build)"
    rm -rf "$dir"
    if ! "$bin/ppo" train --config "$config" --seed "$seed" --workers 0 --python "$python" --out "$dir" --overwrite \
        --logdir "$dir/tb" --status-port=-1 --json >"$dir.json" 2>"$dir.err"; then
      echo "$env seed $seed failed:"; tail -5 "$dir.err"; continue
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    python3 - "$dir.json" "$env" "$seed" "$hash" "$build" "$load" >>"$out" <<'PY'
import datetime, json, sys
r = json.load(open(sys.argv[1]))
s, e = r["summary"], r["evaluation"]
env, seed, hash_, build, load = sys.argv[2:]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
print(f"{env},{seed},{hash_},{build},{s['envSteps']},{e['mean']:.2f},{e['std']:.2f},"
      f"{s['wallSeconds']:.1f},{s['stepsPerSecond']:.0f},{load},{now}")
PY
    tail -1 "$out"
  done
done
