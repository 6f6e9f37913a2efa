#!/usr/bin/env bash
# A development TLS certificate for the gateway: a private CA (ca.crt, to
# trust in clients and tests) and a server certificate it signed
# (server.crt/.key) for localhost, 127.0.0.1, ::1 and the gateway's names.
# Cached in DIR (default deploy/gateway/.certs, git-ignored) and made again
# only when the names change or it expires within a week. Never for
# production: there, GATEWAY_TLS_CERT/KEY come from your CA or ACME.
#   deploy/gateway/dev-cert.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/.certs}
names="localhost ${GATEWAY_SERVER_NAME:-} ${GATEWAY_OBJECTS_SERVER_NAME:-}"
san="IP:127.0.0.1,IP:::1"
for n in $(printf '%s\n' $names | sort -u); do
  [[ $n =~ ^[A-Za-z0-9.-]+$ ]] || { echo "dev-cert: '$n' is not a host name" >&2; exit 1; }
  if [[ $n =~ ^[0-9.]+$ ]]; then san+=",IP:$n"; else san+=",DNS:$n"; fi
done
mkdir -p "$dir"
chmod 700 "$dir"
if [[ -f $dir/server.crt && -f $dir/san && $(cat "$dir/san") == "$san" ]] && openssl x509 -in "$dir/server.crt" -noout -checkend 604800 >/dev/null; then
  exit 0
fi
umask 077
if [[ ! -f $dir/ca.key ]] || ! openssl x509 -in "$dir/ca.crt" -noout -checkend 604800 >/dev/null 2>&1; then
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 825 -subj "/CN=messaging-hub development CA" \
    -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 90 -sha256 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext"
chmod 644 "$dir/ca.crt" "$dir/server.crt"
echo "$san" > "$dir/san"
echo "dev-cert: made $dir/server.crt ($san), signed by $dir/ca.crt"
