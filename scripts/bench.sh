#!/usr/bin/env bash
# Builds (Release) and runs the benchmarks: the sensor, rule evaluation and
# policy enforcement, ratios against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-release} BUILD_TYPE=Release scripts/build.sh
build=${BUILD_DIR:-build-release}
echo "== the sensor alone, every hook attached"
BENCH_RESULTS="$build/bench-sensor.json" bench/run.sh "$build"
echo
echo "== with Falco's falco_rules.yaml loaded (hooks chosen by the rules)"
BENCH_RESULTS="$build/bench-falco-rules.json" \
  BENCH_AGENT_ARGS="-r $(cd .. && pwd)/shared/corpus/falco-rules/falco_rules.yaml" bench/run.sh "$build"
echo
echo "== rule evaluation on one core, Falco's three official files"
"$build/bench/palisade-rules-bench"
echo
echo "== in-kernel policy filter with 1, 10 and 100 policies; policy file change to enforcement"
BENCH_RESULTS="$build/bench-policy.json" bench/policy_bench.sh "$build"
