#!/usr/bin/env bash
# Renders the gateway's nginx configuration into OUT (default
# /etc/nginx, as in the nginx container image) from templates/ and the
# GATEWAY_* environment (docs/gateway.md lists each). Only GATEWAY_*
# names are substituted, so nginx's own $variables are left as they are,
# as the nginx image's envsubst entrypoint does with its templates.
#   deploy/gateway/render.sh OUT && nginx -p OUT -c OUT/nginx.conf
set -euo pipefail
# No globbing: a setting such as GATEWAY_CORS_ALLOWED_ORIGINS='*' is split, never expanded into file names.
set -f
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/etc/nginx}
fail() { echo "gateway: $*" >&2; exit 1; }

: "${GATEWAY_SERVER_NAME:=localhost}"
: "${GATEWAY_HTTP_LISTEN:=80}"
: "${GATEWAY_HTTPS_LISTEN:=443}"
https_port=${GATEWAY_HTTPS_LISTEN##*:}
if [[ $https_port == 443 ]]; then default_public="https://${GATEWAY_SERVER_NAME}"; else default_public="https://${GATEWAY_SERVER_NAME}:${https_port}"; fi
: "${GATEWAY_PUBLIC_URL:=$default_public}"
: "${GATEWAY_TLS_CERT:=$here/.certs/server.crt}"
: "${GATEWAY_TLS_KEY:=$here/.certs/server.key}"
: "${GATEWAY_FRONTEND_SERVERS:=frontend:8081}"
: "${GATEWAY_PRESENCE_SERVERS:=presence:8083}"
: "${GATEWAY_FILES_SERVERS:=files:8084}"
: "${GATEWAY_OBJECTS_UPSTREAM:=}"
: "${GATEWAY_OBJECTS_SERVER_NAME:=objects.${GATEWAY_SERVER_NAME}}"
: "${GATEWAY_OBJECTS_LISTEN:=$GATEWAY_HTTPS_LISTEN}"
: "${GATEWAY_CORS_ALLOWED_ORIGINS:=}"
: "${GATEWAY_RATE_LIMIT_PER_MIN:=1000}"
: "${GATEWAY_RATE_LIMIT_BURST:=100}"
: "${GATEWAY_RATE_LIMIT_ZONE_SIZE:=32m}"
: "${GATEWAY_MAX_BODY_API:=1m}"
: "${GATEWAY_MAX_BODY_FILES:=1m}"
: "${GATEWAY_MAX_BODY_PRESENCE:=64k}"
: "${GATEWAY_MAX_BODY_OBJECTS:=1g}"
: "${GATEWAY_WS_TIMEOUT:=1h}"
: "${GATEWAY_HSTS_MAX_AGE_S:=31536000}"
: "${GATEWAY_READY_CHECK_LISTEN:=127.0.0.1:8079}"
: "${GATEWAY_WEB_ROOT:=web}"
: "${GATEWAY_TRUSTED_PROXIES:=}"
: "${GATEWAY_WORKER_PROCESSES:=auto}"
: "${GATEWAY_WORKER_CONNECTIONS:=4096}"
: "${GATEWAY_ERROR_LOG_LEVEL:=warn}"
: "${GATEWAY_ACCESS_LOG:=/dev/stdout hub}"

[[ $GATEWAY_RATE_LIMIT_PER_MIN =~ ^[1-9][0-9]*$ ]] || fail "GATEWAY_RATE_LIMIT_PER_MIN must be a positive integer (got '$GATEWAY_RATE_LIMIT_PER_MIN')"
[[ $GATEWAY_RATE_LIMIT_BURST =~ ^[0-9]+$ ]] || fail "GATEWAY_RATE_LIMIT_BURST must be an integer >= 0 (got '$GATEWAY_RATE_LIMIT_BURST')"
[[ $GATEWAY_PUBLIC_URL =~ ^https://[^/?#]+$ ]] || fail "GATEWAY_PUBLIC_URL must be https://host[:port] without a path (got '$GATEWAY_PUBLIC_URL')"
[[ -r $GATEWAY_TLS_CERT && -r $GATEWAY_TLS_KEY ]] || fail "no TLS certificate at $GATEWAY_TLS_CERT / $GATEWAY_TLS_KEY: set GATEWAY_TLS_CERT and GATEWAY_TLS_KEY, or run deploy/gateway/dev-cert.sh for a development one"
# leaky bucket: one request per 60/rate s once the burst is spent
GATEWAY_RETRY_AFTER_S=$(( (60 + GATEWAY_RATE_LIMIT_PER_MIN - 1) / GATEWAY_RATE_LIMIT_PER_MIN ))

# "a:1,b:2" or "a:1 b:2" -> one `server` line each
servers() {
  local name=$1 list=$2 lines="" s
  for s in ${list//,/ }; do
    [[ $s =~ ^[A-Za-z0-9._-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:.]+\]:[0-9]{1,5}$ ]] || fail "$name: '$s' is not host:port"
    lines+="  server $s max_fails=1 fail_timeout=5s;"$'\n'
  done
  [[ -n $lines ]] || fail "$name is empty"
  printf '%s' "$lines"
}
# Plain assignments (exported below): `export X=$(…)` would hide a failure inside.
GATEWAY_FRONTEND_UPSTREAM=$(servers GATEWAY_FRONTEND_SERVERS "$GATEWAY_FRONTEND_SERVERS")
GATEWAY_PRESENCE_UPSTREAM=$(servers GATEWAY_PRESENCE_SERVERS "$GATEWAY_PRESENCE_SERVERS")
GATEWAY_FILES_UPSTREAM=$(servers GATEWAY_FILES_SERVERS "$GATEWAY_FILES_SERVERS")
if [[ -n $GATEWAY_OBJECTS_UPSTREAM ]]; then GATEWAY_OBJECTS_UPSTREAM_SERVERS=$(servers GATEWAY_OBJECTS_UPSTREAM "$GATEWAY_OBJECTS_UPSTREAM"); fi

origin_map=""
for o in ${GATEWAY_CORS_ALLOWED_ORIGINS//,/ }; do
  [[ $o =~ ^https?://[a-z0-9.-]+(:[0-9]{1,5})?$ ]] || fail "GATEWAY_CORS_ALLOWED_ORIGINS: '$o' is not an origin (scheme://host[:port], lower case, no path; '*' is not accepted)"
  origin_map+="  \"$o\" \$http_origin;"$'\n'
done
GATEWAY_CORS_ORIGIN_MAP=$origin_map

real_ip=""
if [[ -n $GATEWAY_TRUSTED_PROXIES ]]; then
  # A load balancer in front: take the client from its X-Forwarded-For,
  # right to left, skipping only these addresses.
  for c in ${GATEWAY_TRUSTED_PROXIES//,/ }; do
    [[ $c =~ ^[0-9a-fA-F:.]+(/[0-9]{1,3})?$ ]] || fail "GATEWAY_TRUSTED_PROXIES: '$c' is not an address or CIDR"
    real_ip+="set_real_ip_from $c;"$'\n'
  done
  real_ip+="real_ip_header X-Forwarded-For;"$'\n'"real_ip_recursive on;"
fi
GATEWAY_REAL_IP_CONF=$real_ip

for v in $(compgen -v GATEWAY_); do export "$v"; done
names=$(compgen -v GATEWAY_ | sed 's/^/$/' | tr '\n' ' ')

mkdir -p "$out/conf.d" "$out/snippets" "$out/tmp"
rm -f "$out"/conf.d/hub.conf "$out"/conf.d/objects.conf
(cd "$here/templates" && find . -name '*.template') | while read -r t; do
  rel=${t#./}; rel=${rel%.template}
  [[ $rel == conf.d/objects.conf && -z $GATEWAY_OBJECTS_UPSTREAM ]] && continue
  envsubst "$names" < "$here/templates/$t" > "$out/$rel"
done
cp "$here/mime.types" "$out/mime.types"
if [[ $GATEWAY_WEB_ROOT == web ]]; then rm -rf "$out/web"; cp -r "$here/web" "$out/web"; fi
echo "gateway: rendered into $out (https ${GATEWAY_HTTPS_LISTEN}, http ${GATEWAY_HTTP_LISTEN}$([[ -n $GATEWAY_OBJECTS_UPSTREAM ]] && echo ", objects ${GATEWAY_OBJECTS_LISTEN}"))"
