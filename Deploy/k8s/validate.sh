#!/usr/bin/env bash
# Checks the Kubernetes manifests offline: renders the base and every overlay with kustomize (kubectl kustomize),
# makes a Secret bundle with make-secrets.sh, validates all of it strictly (unknown fields are errors) against the
# schemas of a current Kubernetes release (kubernetes-validate, from PyPI), and checks that the name the workers
# dial is one the learner's certificate holds.
#   Deploy/k8s/validate.sh --ppo .build/release/ppo [--kubernetes-version 1.37.0]
set -euo pipefail
cd "$(dirname "$0")"

ppo=ppo version=1.37.0
while [ $# -gt 0 ]; do
  case "$1" in
    --ppo) ppo="$(cd "$OLDPWD" && realpath "$2")"; shift 2 ;;
    --kubernetes-version) version="$2"; shift 2 ;;
    *) echo "error: unknown option $1 (--ppo PATH, --kubernetes-version X.Y.Z)" >&2; exit 2 ;;
  esac
done
for tool in kubectl kubernetes-validate openssl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (kubectl from Debian, kubernetes-validate from PyPI, openssl)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kubectl kustomize base > "$work/base.yaml"
for overlay in overlays/*/; do
  kubectl kustomize "$overlay" > "$work/overlay-$(basename "$overlay").yaml"
done
./make-secrets.sh --namespace ppo --out "$work/certs" --ppo "$ppo" >/dev/null
kubernetes-validate --strict --quiet -k "$version" "$work"/*.yaml "$work/certs/secrets.yaml"

# The worker's --learner host must be a name in the learner's certificate, or every TLS handshake fails.
dialled=$(grep -o -- '--learner=[^:]*' "$work/base.yaml" | head -1 | cut -d= -f2)
names=$(openssl x509 -in "$work/certs/learner.pem" -noout -ext subjectAltName | tr ',' '\n' | sed -n 's/ *DNS://p')
grep -qx "$dialled" <<<"$names" || { echo "error: workers dial $dialled, which the learner's certificate does not name ($names)" >&2; exit 1; }
echo "manifests valid against Kubernetes $version (strict): base, $(ls overlays | tr '\n' ' ')and the Secrets; workers dial $dialled, named in the learner's certificate"
