#!/usr/bin/env bash
# Installs the tools the deployment checks use (test/deploy/*), into
# ~/.cache/messaging-hub/bin (HUB_CACHE_DIR), once:
# - kustomize, pinned, built from its Go module (the kustomize of kubectl -k);
# - deploy-validate (deploy/validate): strict decoding of Kubernetes objects
#   into the k8s.io/api types and docker-compose.yml through compose-go.
# Both work offline once built; the first build fetches Go modules (~2 min).
# Prints nothing when both are up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
KUSTOMIZE_VERSION=v5.8.2
CACHE_DIR=${HUB_CACHE_DIR:-$HOME/.cache/messaging-hub}
BIN_DIR=$CACHE_DIR/bin
mkdir -p "$BIN_DIR"
say() { echo "deploy-tools: $*"; }
die() { echo "deploy-tools: $*" >&2; exit 1; }
command -v go >/dev/null || die "go is required (builds kustomize and deploy/validate)"
stamp_ok() { [[ -f $1 && $(<"$1") == "$2" ]]; }

bin=$BIN_DIR/kustomize
if ! { [[ -x $bin ]] && stamp_ok "$bin.stamp" "$KUSTOMIZE_VERSION"; }; then
  say "building kustomize $KUSTOMIZE_VERSION…"
  tmp=$(mktemp -d "$CACHE_DIR/kustomize.XXXXXX")
  if ! GOBIN=$tmp GOFLAGS=-buildvcs=false go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >"$tmp.log" 2>&1; then
    tail -n 30 "$tmp.log" >&2; rm -rf "$tmp"
    die "go install kustomize failed"
  fi
  mv -f "$tmp/kustomize" "$bin"; rm -rf "$tmp" "$tmp.log"
  echo "$KUSTOMIZE_VERSION" >"$bin.stamp"
fi

bin=$BIN_DIR/deploy-validate
want=$(cd deploy/validate && cat go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1)
if ! { [[ -x $bin ]] && stamp_ok "$bin.stamp" "$want"; }; then
  say "building deploy-validate…"
  log=$(mktemp)
  # Build to a temp name and rename, so a failed build never leaves half a binary.
  if ! (cd deploy/validate && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" .) >"$log" 2>&1; then
    tail -n 30 "$log" >&2; rm -f "$log"
    die "go build deploy/validate failed"
  fi
  rm -f "$log"
  mv -f "$bin.tmp" "$bin"
  echo "$want" >"$bin.stamp"
fi
