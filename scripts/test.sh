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
# With no arguments every suite runs; arguments name files or globs. Solidity property tests
# (test/solidity/*.t.sol: fuzz and invariants, run by Hardhat's own runner in its in-process EVM,
# no services needed) run first; arguments ending in .sol name some of them.
solidity=() mocha=()
for argument in "$@"; do
  if [[ $argument == *.sol ]]; then solidity+=("$argument"); else mocha+=("$argument"); fi
done
if [[ $# -eq 0 ]]; then
  hardhat test solidity
  mocha=("test/**/*.test.ts")
elif [[ ${#solidity[@]} -gt 0 ]]; then
  hardhat test solidity "${solidity[@]}"
fi
if [[ ${#mocha[@]} -eq 0 ]]; then exit 0; fi
exec node scripts/withTestServices.ts mocha "${mocha[@]}"
