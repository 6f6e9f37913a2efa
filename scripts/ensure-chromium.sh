#!/usr/bin/env bash
# The browser tests (test/web/*.int.test.ts) drive Debian's Chromium through
# playwright-core. Installs it once when it is missing (root, apt-get).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "deps: installing Chromium for the browser tests (apt-get, once)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
