#!/usr/bin/env bash
# A newcomer's first command: install, build, start the agent in the
# foreground with its defaults. Extra arguments go to `palisade run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/palisade" run "$@"
