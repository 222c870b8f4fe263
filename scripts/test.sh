#!/usr/bin/env bash
# Runs every suite: compiles the contracts, type-checks, lints, builds the web app, then mocha.
# The database suites use the real PostgreSQL server at KEYLEDGER_TEST_PG_URL (one fresh
# database per suite), the queue suites Redis at KEYLEDGER_TEST_REDIS_URL, the browser suites
# Chromium; scripts/withTestServices.ts starts private ones where they are missing (see
# README "The two commands"). The PGlite path has its own suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export HARDHAT_DISABLE_TELEMETRY=true NODE_ENV=test

bash scripts/build.sh
tsc --noEmit -p tsconfig.json
# Biome (format and lint) and solhint: seconds, and a finding fails the run like a test.
npm run --silent lint
# With no arguments every suite runs; arguments name files or globs.
if [[ $# -eq 0 ]]; then set -- "test/**/*.test.ts"; fi
exec node scripts/withTestServices.ts mocha "$@"
