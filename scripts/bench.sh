#!/usr/bin/env bash
# Builds (Release) and runs the sensor benchmark: ratios against a bare
# baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-release} BUILD_TYPE=Release scripts/build.sh
exec bench/run.sh "${BUILD_DIR:-build-release}"
