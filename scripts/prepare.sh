#!/usr/bin/env bash
# What every npm script that runs the code does first (start, api, workers, indexer, the CLI, the
# benches, screenshots): install what a fresh clone is missing, then build the contracts and the
# web app. Both steps are incremental, so this costs a couple of seconds when all is there.
# Its output goes to stderr so that a script's own output (CLI answers, bench lines) stays clean.
set -euo pipefail
cd "$(dirname "$0")/.."
exec >&2
bash scripts/bootstrap.sh
bash scripts/build.sh
