#!/usr/bin/env bash
# Installs the project's npm dependencies when they are missing or older
# than package-lock.json, so `npm start` and `npm test` work on a fresh
# clone. Servers (Kafka, FerretDB, etcd, Redis, S3) are installed by
# deploy/local/stack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need_major=20; need_minor=19
ver=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
if (( major < need_major || (major == need_major && minor < need_minor) )); then
  echo "deps: Node.js >= ${need_major}.${need_minor} is required (found ${ver}). Install a newer Node.js, then run this again." >&2
  exit 1
fi

stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "deps: installing npm packages (npm ci)…"
  started=$(date +%s)
  npm ci --no-audit --no-fund --loglevel=error
  echo "deps: installed in $(( $(date +%s) - started )) s"
fi

bash scripts/build-web.sh
