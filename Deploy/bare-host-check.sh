#!/usr/bin/env bash
# Checks Deploy/BARE-HOSTS.md: the static release binaries, copied with their presets into an empty folder, run a
# short distributed training from there with a clean environment (no toolchain on PATH or LD_LIBRARY_PATH), and
# load only shared libraries from Debian packages that BARE-HOSTS.md lists.
#
# usage: Deploy/bare-host-check.sh [--bin DIR]   (default: swift build -c release --static-swift-stdlib, .build/release)
set -euo pipefail
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
if [ -z "$bin" ]; then
  swift build -c release --static-swift-stdlib >/dev/null
  bin=.build/release
fi
host=$(mktemp -d)
trap 'rm -rf "$host"' EXIT
# What BARE-HOSTS.md says to copy: the three binaries and the presets' resource folder beside them.
mkdir -p "$host/opt/ppo/bin"
cp "$bin/ppo" "$bin/ppo-learner" "$bin/ppo-worker" "$host/opt/ppo/bin/"
cp -R "$bin/swift-ppo_Training.resources" "$host/opt/ppo/bin/"
for b in ppo ppo-learner ppo-worker; do
  if ldd "$host/opt/ppo/bin/$b" | grep -E "libswift|libFoundation|libdispatch|libBlocksRuntime|not found"; then
    echo "FAILED: $b loads the Swift runtime or a missing library: build with --static-swift-stdlib" >&2
    exit 1
  fi
done
clean=(env -i HOME="$host" PATH=/usr/bin:/bin LANG=C.UTF-8)
cd "$host"
"${clean[@]}" opt/ppo/bin/ppo certs --out tls --learner-host 127.0.0.1 --workers 2 >/dev/null
"${clean[@]}" opt/ppo/bin/ppo train --env CartPole-v1 --workers 2 --steps 20480 --eval-episodes 5 --out run --quiet >train.out 2>train.err \
  || { echo "FAILED: the copied binaries did not train:" >&2; tail -20 train.err >&2; exit 1; }
[ -f run/checkpoint.safetensors ] || { echo "FAILED: no checkpoint in run/" >&2; exit 1; }
"${clean[@]}" opt/ppo/bin/ppo eval --checkpoint run --episodes 3 >/dev/null
echo "bare host: the static binaries and their presets, copied into an empty folder, trained from there without the toolchain:"
grep -E "^done:|deterministic evaluation" train.out | sed 's/^/   /'
