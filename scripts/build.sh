#!/usr/bin/env bash
# Builds what runs from build output: the contracts' artifacts (Hardhat's build is
# incremental, so this is quick when nothing changed) and the web app (rebuilt when any of its
# sources is newer than the last build). Used by `npm test` and scripts/prepare.sh (which every
# npm script that runs the code calls first).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export HARDHAT_DISABLE_TELEMETRY=true

hardhat build --quiet
if [[ -f web/index.html ]]; then
  if [[ ! -f web/dist/index.html ]] || [[ -n "$(find web -path web/dist -prune -o -newer web/dist/index.html -type f -print -quit)" ]]; then
    # NODE_ENV=test (set by the test runner) would make Vite bundle React's development build.
    NODE_ENV=production vite build --config web/vite.config.ts --logLevel warn
  fi
fi
