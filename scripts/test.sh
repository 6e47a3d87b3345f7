#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests (no root needed) and the
# kernel tests (root and a BPF-capable kernel: they load the real sensor).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

# The condition parser's libFuzzer target, for a bounded time (clang only).
fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$fuzz_dir" -G Ninja -DPALISADE_FUZZ=ON >/dev/null
cmake --build "$fuzz_dir" --target condition_parser_fuzz
(cd "$fuzz_dir" && ctest --output-on-failure -R '^fuzz\.')

(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 120)
