#!/usr/bin/env bash
# `npm test`: the whole suite. Installs dependencies if needed, type-checks,
# lints, then runs unit and integration tests. Integration tests use the
# servers named in the environment (KAFKA_BROKERS, MONGO_URL, ETCD_HOSTS,
# REDIS_URL, S3_*) or else the local stack, which this script starts and,
# if it started it, stops again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)

bash scripts/ensure-deps.sh
# Prometheus, promtool and amtool for the alert and dashboard tests (test/observability).
bash scripts/observability/ensure-tools.sh prometheus
# Debian's chromium for the browser tests (test/web, test/api-reference).
bash scripts/ensure-chromium.sh

started_stack=0
if [[ -z ${KAFKA_BROKERS:-} ]]; then
  if ! bash deploy/local/stack.sh status >/dev/null 2>&1; then started_stack=1; fi
  bash deploy/local/stack.sh up
fi
cleanup() {
  if [[ $started_stack == 1 && -z ${HUB_KEEP_STACK:-} ]]; then
    echo "test: stopping the local stack (set HUB_KEEP_STACK=1 to keep it running)"
    bash deploy/local/stack.sh down || true
  fi
}
trap cleanup EXIT

echo "test: type-check"
npx tsc -p tsconfig.json
echo "test: type-check @hub/sdk as published (browser DOM library, its own tsconfig)"
npx tsc -p packages/sdk/tsconfig.build.json --noEmit
echo "test: type-check the web client (browser DOM library, Preact JSX)"
npx tsc -p web/tsconfig.json
echo "test: format (prettier --check; npm run format fixes it)"
npx prettier --check --log-level warn "**/*.{ts,tsx,js,mjs,cjs}"
echo "test: lint"
npx eslint --max-warnings=0 .
echo "test: workspace boundaries (scripts/check-deps.ts)"
node --import tsx scripts/check-deps.ts
echo "test: import cycles"
npx madge --circular --extensions ts --ts-config tsconfig.json packages services connectors scripts >/dev/null || {
  npx madge --circular --extensions ts --ts-config tsconfig.json packages services connectors scripts
  exit 1
}

if command -v go >/dev/null 2>&1; then
  # The local stack's FerretDB wrapper has Go code of its own (index keeper, log handler).
  echo "test: go test (deploy/local/ferretdb)"
  (cd deploy/local/ferretdb && GOFLAGS=-buildvcs=false go test ./...)
fi

# kustomize and deploy/validate for test/deploy (built once into ~/.cache/messaging-hub/bin).
echo "test: deployment tools"
bash scripts/ensure-deploy-tools.sh

mkdir -p .stack
report=.stack/vitest-report.json
rm -f "$report"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [[ -f $report ]]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$(pwd)/$report"
fi
echo "test: finished in $(( $(date +%s) - t0 )) s"
exit $status
