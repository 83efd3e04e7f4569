# Sourced by the network-namespace scripts (netns-demo.sh, netns-faults.sh): hosts on one machine, each in its own
# Linux network namespace with an address on a bridge that lives in a namespace of its own (the root namespace's
# network is not touched), and a teardown that removes them and every process in them.
#
#   netns_hosts TAG HOST…   creates namespace TAG-HOST per host, with 10.77.0.N on eth0; fills address[HOST];
#                           the bridge end of HOST's link is vHOST in namespace TAG-sw (link down = partition)
#   netns_link HOST up|down brings HOST's link up or down
#   netns_teardown          kills the processes in the namespaces and deletes them
#   netns_binaries DIR      sets `bin` to DIR's absolute path; with DIR empty, .build/release (built if missing)
# Source it from the repository's root; run netns_teardown on exit.

declare -A address
netns_names=()

netns_hosts() {
  tag=$1; shift
  ip netns add "$tag-sw"
  netns_names+=("$tag-sw")
  ip -n "$tag-sw" link add br0 type bridge
  ip -n "$tag-sw" link set br0 up
  local n=1 h ns
  for h in "$@"; do
    ns="$tag-$h"
    ip netns add "$ns"
    netns_names+=("$ns")
    ip -n "$tag-sw" link add "v$h" type veth peer name eth0 netns "$ns"
    ip -n "$tag-sw" link set "v$h" master br0 up
    address[$h]="10.77.0.$n"
    ip -n "$ns" addr add "${address[$h]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    n=$((n + 1))
  done
}

netns_link() {
  ip -n "$tag-sw" link set "v$1" "$2"
}

netns_teardown() {
  local ns p
  for ns in "${netns_names[@]:-}"; do
    [ -n "$ns" ] || continue
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
      ip netns delete "$ns" 2>/dev/null || true
    fi
  done
}

netns_binaries() {
  bin=$1
  if [ -z "$bin" ]; then
    bin=.build/release
    [ -x "$bin/ppo-worker" ] && [ -x "$bin/ppo-learner" ] && [ -x "$bin/ppo" ] || swift build -c release ${PPO_SWIFT_BUILD_FLAGS:-} >/dev/null
  fi
  bin=$(cd "$bin" && pwd)
}
