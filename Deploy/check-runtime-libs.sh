#!/usr/bin/env bash
# Checks that the runtime stage of Deploy/Dockerfile installs every Debian package whose shared libraries the
# release binaries load (ldd), glibc aside.
#
# usage: Deploy/check-runtime-libs.sh [BIN_DIR]   (default: builds with --static-swift-stdlib into .build-static)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then
  swift build -c release --static-swift-stdlib --scratch-path .build-static >/dev/null
  dir=.build-static/release
fi
wanted=$(sed -n '/^FROM debian:bookworm-slim/,$p' Deploy/Dockerfile | grep -o 'install -y --no-install-recommends[^\\]*' | head -1 | cut -d' ' -f4-)
status=0
for bin in ppo ppo-learner ppo-worker; do
  for lib in $(ldd "$dir/$bin" | awk '$3 ~ /^\// {print $3}'); do
    real=$(readlink -f "$lib")
    pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || true)
    pkg=${pkg%%:*}
    case "$pkg" in
      libc6) continue ;;                       # in every Debian image
      "") echo "$bin: $lib belongs to no Debian package"; status=1; continue ;;
    esac
    if ! grep -qw -- "$pkg" <<<"$wanted"; then
      echo "$bin needs $lib from $pkg, which the runtime stage does not install"
      status=1
    fi
  done
done
[ $status = 0 ] && echo "runtime stage installs every library the binaries load: $wanted"
exit $status
