#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests (no root needed) and the
# kernel tests (root and a BPF-capable kernel: they load the real sensor).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 120
