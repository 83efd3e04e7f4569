#!/usr/bin/env bash
# Installs the system packages the build links against, where they are missing (Debian and Ubuntu):
# OpenBLAS (the numerics), zlib (the wire's compression) and OpenSSL's headers (TLS). Nothing else is touched.
#
# usage: Deploy/setup.sh
set -euo pipefail
packages=(libopenblas-dev zlib1g-dev libssl-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "error: missing ${missing[*]} and no apt-get here; install OpenBLAS, zlib and OpenSSL development packages with this system's package manager" >&2
  exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed ${missing[*]}"
