#!/usr/bin/env bash
# Where an openat+close loop's CPU goes under the agent, by perf sampling.
#
#   sudo bench/bpf_share.sh BUILD_DIR [agent args...]   (default: -r falco_rules.yaml)
#
# Samples palisade-workload's open loop at 20 kHz under a running agent and prints,
# per symbol, the share of the loop's samples spent in it and below it: the BPF
# trampoline (bpf_trace_run2), Palisade's programs, and the helpers they call.
# The shares are taken within one run, so the machine's speed drifting between runs
# (up to 2x on a shared VM) cancels out, unlike an agent/bare ratio of two runs.
# An overhead share S corresponds to a slowdown of about 1 / (1 - S).
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [agent args...]" >&2; exit 2; }
BUILD_DIR=$(cd "$1" && pwd); shift
[[ $EUID -eq 0 ]] || { echo "bpf_share.sh: must run as root" >&2; exit 1; }
command -v perf >/dev/null || { echo "bpf_share.sh: perf is required (linux-perf)" >&2; exit 1; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [[ $# -eq 0 ]]; then set -- -r "$SRC/../shared/corpus/falco-rules/falco_rules.yaml"; fi
N=${BENCH_OPEN_N:-1000000}

TMP=$(mktemp -d /tmp/palisade-share.XXXXXX)
AGENT_PID=""
cleanup() { [[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$BUILD_DIR/palisade" run "$@" -o null --lock-file "$TMP/lock" --ready-file "$TMP/ready" >/dev/null 2>"$TMP/agent.err" &
AGENT_PID=$!
for ((i = 0; i < 300; i++)); do
  [[ -e $TMP/ready ]] && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$TMP/agent.err" >&2; exit 1; }
  sleep 0.1
done
[[ -e $TMP/ready ]] || { echo "bpf_share.sh: agent not ready after 30 s" >&2; exit 1; }
sleep 0.5
perf record -g -F 20000 -o "$TMP/perf.data" -- "$BUILD_DIR/bench/palisade-workload" open "$N" 2>/dev/null
echo "share of the loop's samples in and below each symbol (children, self):"
perf report -i "$TMP/perf.data" --children --sort sym --stdio 2>/dev/null |
  grep -E "^ +[0-9.]+% +[0-9.]+%" |
  grep -E "bpf_trace_run2|bpf_prog_|strncpy_from_user_nofault|copy_from_kernel_nofault$|trie_lookup_elem|read_tsc|syscall_exit_work|syscall_trace_enter"
