#!/usr/bin/env bash
# Makes the mutual-TLS bundle of a Kubernetes run with `ppo certs` and writes it as two Secrets:
#   ppo-learner-tls  ca.pem, learner.pem, learner-key.pem   (mounted by the learner only)
#   ppo-worker-tls   ca.pem, worker-1.pem, worker-1-key.pem (mounted by every worker)
# The learner's certificate names the Service workers dial (ppo-learner, with its namespace-qualified forms) and
# the pod's own name. The CA's key stays in OUT (keep it, or delete it: it is needed only to make more
# certificates). Nothing is sent to a cluster: apply the file it writes.
#
#   Deploy/k8s/make-secrets.sh --namespace ppo --out ppo-certs
#   kubectl create namespace ppo && kubectl apply -n ppo -f ppo-certs/secrets.yaml
set -euo pipefail

namespace=default out=ppo-certs ppo=ppo days=365
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; echo "options: --namespace NS (default) --out DIR (ppo-certs) --ppo PATH_TO_PPO (ppo on PATH) --days N (365)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --ppo) ppo="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
command -v "$ppo" >/dev/null || { echo "error: $ppo not found: build it (swift build -c release) and give --ppo .build/release/ppo" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "error: kubectl not found (it writes the Secret manifests, offline)" >&2; exit 1; }
if [ -e "$out/ca.pem" ]; then
  echo "error: $out already holds a bundle; give another --out, or delete it to replace every certificate" >&2
  exit 1
fi

hosts=(ppo-learner "ppo-learner.$namespace" "ppo-learner.$namespace.svc" "ppo-learner.$namespace.svc.cluster.local"
       ppo-learner-0.ppo-learner "ppo-learner-0.ppo-learner.$namespace.svc.cluster.local")
args=()
for h in "${hosts[@]}"; do args+=(--learner-host "$h"); done
"$ppo" certs --out "$out" "${args[@]}" --workers 1 --days "$days" >/dev/null

secret() {  # name, files...
  local name="$1"; shift
  local from=()
  for f in "$@"; do from+=("--from-file=$f=$out/$f"); done
  kubectl create secret generic "$name" --namespace "$namespace" "${from[@]}" --dry-run=client -o yaml
}
{
  secret ppo-learner-tls ca.pem learner.pem learner-key.pem
  echo "---"
  secret ppo-worker-tls ca.pem worker-1.pem worker-1-key.pem
} > "$out/secrets.yaml"
chmod 600 "$out/secrets.yaml"
echo "wrote $out/secrets.yaml (Secrets ppo-learner-tls and ppo-worker-tls in namespace $namespace)"
echo "apply it with: kubectl apply -n $namespace -f $out/secrets.yaml"
