#!/usr/bin/env bash
# Runs every suite: compiles the contracts, type-checks, builds the web app, then mocha.
# The database suites use the real PostgreSQL server (KEYLEDGER_TEST_PG_URL, default the
# local server) with one fresh database per suite; the PGlite path has its own suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export HARDHAT_DISABLE_TELEMETRY=true NODE_ENV=test

bash scripts/build.sh
tsc --noEmit -p tsconfig.json
# With no arguments every suite runs; arguments name files or globs.
if [[ $# -eq 0 ]]; then set -- "test/**/*.test.ts"; fi
mocha "$@"
