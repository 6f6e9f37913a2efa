#!/usr/bin/env bash
# Builds the web client (web/ → web/dist, served at / by the gateway) when
# it is missing or older than its sources (web/, packages/sdk/src). Called
# by `npm start` and `npm test` through scripts/ensure-deps.sh; the output is
# git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/dist/index.html
if [[ -f $out ]] && [[ -z $(find web/src web/index.html web/vite.config.ts web/package.json packages/sdk/src -newer "$out" -print -quit) ]]; then
  exit 0
fi
echo "web: building the web client (vite)…"
(cd web && npx vite build --logLevel warn)
touch "$out"
