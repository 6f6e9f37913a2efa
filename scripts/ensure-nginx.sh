#!/usr/bin/env bash
# Installs Debian's nginx for the gateway test (test/gateway/) when it is
# missing. The package's service must not start: it would take port 80 on a
# shared machine. policy-rc.d (exit 101 = "not allowed") keeps invoke-rc.d
# from starting it during the install, and it is removed afterwards; tests
# run their own nginx with -p/-c on free ports.
set -euo pipefail
NGINX=${NGINX_BIN:-/usr/sbin/nginx}
if [[ -x $NGINX ]]; then exit 0; fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "nginx: $NGINX is missing; install Debian's nginx (apt-get install nginx-light) or set NGINX_BIN" >&2
  exit 1
fi
echo "nginx: installing Debian's nginx-light (the service is not started)…"
policy=/usr/sbin/policy-rc.d
added=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; added=1
fi
trap '[[ $added -eq 1 ]] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends nginx-light >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends nginx-light >/dev/null; }
# In case something started it anyway (no policy-rc.d honoured): stop the system service.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx || true; fi
[[ -f /run/nginx.pid ]] && kill "$(cat /run/nginx.pid)" 2>/dev/null || true
"$NGINX" -v
