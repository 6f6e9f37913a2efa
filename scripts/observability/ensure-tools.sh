#!/usr/bin/env bash
# Installs the observability tools the project uses, when missing:
#   prometheus   Debian's prometheus (prometheus, promtool) and
#                prometheus-alertmanager (amtool), for the alert tests and
#                `HUB_OBSERVABILITY=1 npm start`.
#   jaeger       Jaeger all-in-one built from its Go module
#                (github.com/jaegertracing/jaeger v1.75.0), cached like the
#                stack's other binaries in $HUB_CACHE_DIR/bin (default
#                ~/.cache/messaging-hub/bin). The first build takes minutes.
# Usage: scripts/observability/ensure-tools.sh prometheus|jaeger ...
# Prints nothing when everything is there already.
set -euo pipefail

CACHE_DIR=${HUB_CACHE_DIR:-$HOME/.cache/messaging-hub}
BIN_DIR=$CACHE_DIR/bin
JAEGER_VERSION=v1.75.0

say() { printf 'observability: %s\n' "$*"; }
die() { printf 'observability: %s\n' "$*" >&2; exit 1; }

ensure_prometheus() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null && command -v amtool >/dev/null; then return 0; fi
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install prometheus"
    sudo=(sudo)
  fi
  say "installing prometheus and prometheus-alertmanager (Debian packages)…"
  # The packages' scripts would start system services on 9090/9093; a
  # policy-rc.d answering 101 stops that (the project runs its own, on its
  # own ports and data directories). An existing policy-rc.d is left alone.
  local policy=/usr/sbin/policy-rc.d added_policy=0 log
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  log=$(mktemp)
  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager
  } >"$log" 2>&1 || rc=$?
  ((added_policy)) && "${sudo[@]}" rm -f "$policy"
  if ((rc)); then
    tail -n 30 "$log" >&2
    die "apt-get install prometheus prometheus-alertmanager failed"
  fi
  rm -f "$log"
  command -v promtool >/dev/null || die "promtool is still not on PATH after installing prometheus"
}

ensure_jaeger() {
  local bin=$BIN_DIR/jaeger stamp=$BIN_DIR/jaeger.stamp
  if [[ -x $bin && -f $stamp && $(<"$stamp") == "$JAEGER_VERSION" ]]; then return 0; fi
  command -v go >/dev/null || die "go is required to build Jaeger"
  say "building Jaeger $JAEGER_VERSION from its Go module (takes several minutes the first time)…"
  local t0=$SECONDS dir log
  # `go install module@version` refuses Jaeger: its go.mod has replace
  # directives. Building inside the downloaded module honours them.
  dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -d $dir ]] || die "go mod download github.com/jaegertracing/jaeger@$JAEGER_VERSION failed"
  mkdir -p "$BIN_DIR"
  log=$(mktemp)
  if ! (cd "$dir" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" ./cmd/jaeger) >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$bin.tmp"
    die "go build of Jaeger failed"
  fi
  rm -f "$log"
  mv -f "$bin.tmp" "$bin"
  echo "$JAEGER_VERSION" >"$stamp"
  say "Jaeger built in $((SECONDS - t0)) s: $bin"
}

(($#)) || die "usage: $0 prometheus|jaeger ..."
for tool in "$@"; do
  case $tool in
    prometheus) ensure_prometheus ;;
    jaeger) ensure_jaeger ;;
    *) die "unknown tool: $tool" ;;
  esac
done
