#!/usr/bin/env bash
# Palisade kernel-sensor benchmark.
#
#   sudo bench/run.sh BUILD_DIR
#
# Runs syscall-heavy workloads with the agent off (bare) and on, and reports the
# slowdown as a ratio against the bare baseline measured in the same run, the
# agent's CPU cost per million events, the highest paced event rate it absorbs
# without drops, and its peak RSS. Results go to stdout (table) and to
# BUILD_DIR/bench-results.json. Targets are reported, never enforced: the script
# exits 0 whenever the measurement itself succeeded.
#
# Optional environment knobs (defaults in brackets):
#   BENCH_OPEN_N [200000]  BENCH_FORKEXEC_N [2000]  BENCH_CONNECT_N [20000]
#   BENCH_REPS [3]         BENCH_RATES ["25000 50000 100000 200000 400000"]
#   BENCH_RATE_SECS [3]    BENCH_BARE_ONLY [0]  (1 = skip everything needing the agent)
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "[bench] $*" >&2; }

[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || die "no such build dir: $1"
AGENT="$BUILD_DIR/palisade"
# What the agent runs with: by default the bare sensor with every hook; set
# BENCH_AGENT_ARGS="-r rules.yaml" to measure with a rule set loaded.
AGENT_ARGS=${BENCH_AGENT_ARGS:---no-rules --events all}
WORKLOAD="$BUILD_DIR/bench/palisade-workload"
RESULTS_JSON=${BENCH_RESULTS:-$BUILD_DIR/bench-results.json}

OPEN_N=${BENCH_OPEN_N:-200000}
FORKEXEC_N=${BENCH_FORKEXEC_N:-2000}
CONNECT_N=${BENCH_CONNECT_N:-20000}
REPS=${BENCH_REPS:-3}
RATES=${BENCH_RATES:-"25000 50000 100000 200000 400000"}
RATE_SECS=${BENCH_RATE_SECS:-3}
BARE_ONLY=${BENCH_BARE_ONLY:-0}

OPEN_TARGET=1.30          # agent/bare ratio for open+close must stay below this
ZERO_DROP_TARGET=100000   # events/s the agent must absorb without drops
RSS_TARGET_MIB=64         # peak RSS of the agent must stay below this
SETTLE=1.2                # > 1 s: the agent rewrites its stats file every second

WORKLOADS=(open forkexec connect)
declare -A WL_N=([open]=$OPEN_N [forkexec]=$FORKEXEC_N [connect]=$CONNECT_N)
declare -A WL_LABEL=([open]="open+close" [forkexec]="fork+exec" [connect]="tcp connect")

[[ $EUID -eq 0 ]] || die "must run as root (the agent loads eBPF programs)"
[[ -x "$WORKLOAD" ]] || die "workload binary not found: $WORKLOAD (build target palisade-workload)"
if [[ $BARE_ONLY != 1 ]]; then
  [[ -x "$AGENT" ]] || die "agent binary not found: $AGENT (build target palisade)"
fi
command -v awk >/dev/null || die "awk is required"

TMP=$(mktemp -d /tmp/palisade-bench.XXXXXX)
STATS="$TMP/stats.json"
READY="$TMP/ready"
AGENT_ERR="$TMP/agent.stderr"
AGENT_PID=""
CLK_TCK=$(getconf CLK_TCK)

# Stop the agent (SIGINT; SIGTERM after 10 s; SIGKILL after 15 s). Sets AGENT_RC.
# is_running PID: true while PID exists and is not a zombie (an exited child that
# has not been waited for still answers kill -0).
is_running() {
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st:0:1} != Z && ${st:0:1} != X ]]
}

AGENT_RC=""
stop_agent() {
  local pid=$AGENT_PID i
  [[ -n $pid ]] || return 0
  AGENT_PID=""
  if is_running "$pid"; then
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
      is_running "$pid" || break
      [[ $i -eq 100 ]] && { log "agent (pid $pid) still running 10 s after SIGINT, sending SIGTERM"; kill -TERM "$pid" 2>/dev/null || true; }
      sleep 0.1
    done
    if is_running "$pid"; then
      log "agent (pid $pid) ignored SIGINT and SIGTERM for 15 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  AGENT_RC=0
  wait "$pid" 2>/dev/null || AGENT_RC=$?
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $AGENT_PID ]]; then
    log "stopping agent (pid $AGENT_PID)"
    stop_agent
  fi
  if [[ $rc -ne 0 && -s $AGENT_ERR ]]; then
    echo "---- agent stderr (last 40 lines) ----" >&2
    tail -n 40 "$AGENT_ERR" >&2
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers -----------------------------------------------------------------------

# run_workload ARGS... -> prints the value of the first key (ns_per_op / ops_per_sec)
# and the ops count, space separated.
run_workload() {
  local out
  out=$("$WORKLOAD" "$@") || die "workload '$*' failed"
  awk '{ v = ""; n = "";
         for (i = 1; i <= NF; i++) { split($i, kv, "=");
           if (kv[1] == "ns_per_op" || kv[1] == "ops_per_sec") v = kv[2];
           else if (kv[1] == "ops") n = kv[2] }
         if (v == "" || n == "") exit 1; print v, n }' <<<"$out" \
    || die "cannot parse workload output: $out"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Agent CPU time (utime + stime) in seconds.
agent_cpu() {
  local stat
  stat=$(cat "/proc/$AGENT_PID/stat" 2>/dev/null) || die "agent (pid $AGENT_PID) is gone"
  # Drop "pid (comm) " - comm may contain spaces - then utime/stime are fields 12/13.
  awk -v tck="$CLK_TCK" '{ printf "%.3f\n", ($12 + $13) / tck }' <<<"${stat##*) }"
}

# stat_field NAME -> integer value of "NAME" in the stats file. Retries briefly in
# case the file is caught mid-rewrite.
stat_field() {
  local name=$1 v="" i
  for ((i = 0; i < 20; i++)); do
    if [[ -s $STATS ]]; then
      v=$(sed -n "s/.*\"$name\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$STATS" | head -n1)
      [[ -n $v ]] && { echo "$v"; return 0; }
    fi
    sleep 0.1
  done
  die "cannot read \"$name\" from stats file $STATS: $(head -c 300 "$STATS" 2>/dev/null)"
}

check_agent_alive() {
  is_running "$AGENT_PID" && return 0
  local pid=$AGENT_PID rc=0
  AGENT_PID=""
  wait "$pid" 2>/dev/null || rc=$?
  die "agent (pid $pid) died unexpectedly (exit status $rc)"
}

start_agent() {
  if pgrep -x palisade >/dev/null 2>&1; then
    die "another palisade agent is already running (pid(s): $(pgrep -x palisade | tr '\n' ' ')); only one may run at a time"
  fi
  rm -f "$STATS" "$READY"
  # Job control on while forking: otherwise bash starts background commands with
  # SIGINT ignored and the agent could not be stopped with SIGINT.
  set -m
  # shellcheck disable=SC2086 # the agent arguments are a word list
  "$AGENT" run $AGENT_ARGS --output null --stats-file "$STATS" --ready-file "$READY" \
    </dev/null >"$TMP/agent.stdout" 2>"$AGENT_ERR" &
  AGENT_PID=$!
  set +m
  log "agent started (pid $AGENT_PID), waiting for it to attach"
  local i rc
  for ((i = 0; i < 300; i++)); do
    [[ -e $READY ]] && break
    if ! is_running "$AGENT_PID"; then
      rc=0; wait "$AGENT_PID" 2>/dev/null || rc=$?
      AGENT_PID=""
      die "agent exited with status $rc before becoming ready"
    fi
    sleep 0.1
  done
  [[ -e $READY ]] || die "agent not ready after 30 s"
  log "agent ready after $(awk -v i="$i" 'BEGIN { printf "%.1f", i / 10 }') s"
  # Wait for the first stats file.
  for ((i = 0; i < 50; i++)); do [[ -s $STATS ]] && break; sleep 0.1; done
  [[ -s $STATS ]] || die "agent did not write its stats file within 5 s of ready"
}

# ---- (a) bare --------------------------------------------------------------------------

declare -A BARE AGENT_NS CPU_PER_M EV_DELTA CPU_DELTA
for wl in "${WORKLOADS[@]}"; do
  sleep "$SETTLE"   # same pause as the agent phase, so both see the same conditions
  vals=()
  for ((r = 1; r <= REPS; r++)); do
    out=$(run_workload "$wl" "${WL_N[$wl]}")
    read -r v _ <<<"$out"
    vals+=("$v")
    log "bare  $wl rep $r: $v ns/op"
  done
  BARE[$wl]=$(median "${vals[@]}")
done

if [[ $BARE_ONLY == 1 ]]; then
  printf '\n%-12s %14s\n' workload "bare ns/op"
  for wl in "${WORKLOADS[@]}"; do printf '%-12s %14.1f\n' "${WL_LABEL[$wl]}" "${BARE[$wl]}"; done
  exit 0
fi

# ---- (b) agent on ------------------------------------------------------------------

start_agent
for wl in "${WORKLOADS[@]}"; do
  sleep "$SETTLE"
  check_agent_alive
  cpu0=$(agent_cpu); ev0=$(stat_field events_total)
  vals=()
  for ((r = 1; r <= REPS; r++)); do
    out=$(run_workload "$wl" "${WL_N[$wl]}")
    read -r v _ <<<"$out"
    vals+=("$v")
    log "agent $wl rep $r: $v ns/op"
  done
  sleep "$SETTLE"
  check_agent_alive
  cpu1=$(agent_cpu); ev1=$(stat_field events_total)
  AGENT_NS[$wl]=$(median "${vals[@]}")
  EV_DELTA[$wl]=$((ev1 - ev0))
  CPU_DELTA[$wl]=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')
  CPU_PER_M[$wl]=$(awk -v c="${CPU_DELTA[$wl]}" -v e="${EV_DELTA[$wl]}" \
    'BEGIN { if (e > 0) printf "%.3f", c / (e / 1e6); else print "null" }')
  log "agent $wl: ${EV_DELTA[$wl]} events, ${CPU_DELTA[$wl]} s agent CPU"
done

# ---- (c) zero-drop rate -----------------------------------------------------------

RATE_ROWS=()        # "R achieved events drops"
MAX_ZERO_DROP=0
for R in $RATES; do
  sleep "$SETTLE"
  check_agent_alive
  ev0=$(stat_field events_total); dr0=$(stat_field drops_total)
  out=$(run_workload rate "$R" "$RATE_SECS")
  read -r achieved _ <<<"$out"
  sleep "$SETTLE"
  check_agent_alive
  ev1=$(stat_field events_total); dr1=$(stat_field drops_total)
  ev=$((ev1 - ev0)); dr=$((dr1 - dr0))
  RATE_ROWS+=("$R $achieved $ev $dr")
  log "rate $R/s: achieved $achieved/s, $ev events, $dr drops"
  if [[ $dr -eq 0 && $R -gt $MAX_ZERO_DROP ]]; then MAX_ZERO_DROP=$R; fi
done

# ---- (d) peak RSS, (e) stop ---------------------------------------------------------

check_agent_alive
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
[[ -n $HWM_KB ]] || die "cannot read VmHWM of agent"
RSS_MIB=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')
FINAL_DECODE_ERRORS=$(stat_field decode_errors)
stop_agent
log "agent stopped (exit status $AGENT_RC)"
[[ $AGENT_RC -eq 0 || $AGENT_RC -eq 130 ]] || log "warning: agent exited with status $AGENT_RC"

# ---- report ----------------------------------------------------------------------------

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
  ok = (op == "<") ? (v < t) : (v >= t); print ok ? "PASS" : "MISS" }'; }

echo
echo "Palisade sensor benchmark ($(uname -r), $(nproc) CPUs, $REPS reps, median; agent: $AGENT_ARGS)"
printf '%-12s %12s %12s %8s  %-20s %16s\n' workload "bare ns/op" "agent ns/op" ratio target "agent CPU s/1M ev"
declare -A RATIO
for wl in "${WORKLOADS[@]}"; do
  RATIO[$wl]=$(awk -v a="${AGENT_NS[$wl]}" -v b="${BARE[$wl]}" 'BEGIN { printf "%.2f", a / b }')
  if [[ $wl == open ]]; then
    target="< ${OPEN_TARGET}x $(verdict "${RATIO[$wl]}" "$OPEN_TARGET" "<")"
  else
    target="-"
  fi
  cpu=${CPU_PER_M[$wl]}; [[ $cpu == null ]] && cpu="n/a"
  printf '%-12s %12.1f %12.1f %7sx  %-20s %16s\n' "${WL_LABEL[$wl]}" "${BARE[$wl]}" \
    "${AGENT_NS[$wl]}" "${RATIO[$wl]}" "$target" "$cpu"
done

echo
printf '%-14s %16s %12s %8s\n' "target ops/s" "achieved ops/s" events drops
for row in "${RATE_ROWS[@]}"; do
  read -r R achieved ev dr <<<"$row"
  note=""
  awk -v a="$achieved" -v r="$R" 'BEGIN { exit !(a < 0.95 * r) }' && note="  (workload below target rate)"
  printf '%-14s %16.0f %12s %8s%s\n' "$R" "$achieved" "$ev" "$dr" "$note"
done
echo
echo "max zero-drop rate: $MAX_ZERO_DROP ops/s   (target >= $ZERO_DROP_TARGET: $(verdict "$MAX_ZERO_DROP" "$ZERO_DROP_TARGET" ">="))"
echo "peak RSS (VmHWM):   $RSS_MIB MiB   (target < $RSS_TARGET_MIB: $(verdict "$RSS_MIB" "$RSS_TARGET_MIB" "<"))"
echo "decode errors:      $FINAL_DECODE_ERRORS"

{
  echo "{"
  echo "  \"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"reps\": $REPS,"
  echo "  \"workloads\": {"
  sep=""
  for wl in "${WORKLOADS[@]}"; do
    printf '%s    "%s": {"ops": %s, "bare_ns_per_op": %s, "agent_ns_per_op": %s, "ratio": %s, "events": %s, "agent_cpu_s": %s, "agent_cpu_s_per_1m_events": %s}' \
      "$sep" "$wl" "${WL_N[$wl]}" "${BARE[$wl]}" "${AGENT_NS[$wl]}" "${RATIO[$wl]}" \
      "${EV_DELTA[$wl]}" "${CPU_DELTA[$wl]}" "${CPU_PER_M[$wl]}"
    sep=$',\n'
  done
  echo
  echo "  },"
  echo "  \"open_ratio_target\": $OPEN_TARGET,"
  echo "  \"rates\": ["
  sep=""
  for row in "${RATE_ROWS[@]}"; do
    read -r R achieved ev dr <<<"$row"
    printf '%s    {"target_ops_per_sec": %s, "achieved_ops_per_sec": %s, "events": %s, "drops": %s}' \
      "$sep" "$R" "$achieved" "$ev" "$dr"
    sep=$',\n'
  done
  echo
  echo "  ],"
  echo "  \"max_zero_drop_rate\": $MAX_ZERO_DROP, \"max_zero_drop_rate_target\": $ZERO_DROP_TARGET,"
  echo "  \"peak_rss_mib\": $RSS_MIB, \"peak_rss_target_mib\": $RSS_TARGET_MIB,"
  echo "  \"decode_errors\": $FINAL_DECODE_ERRORS, \"agent_exit_status\": $AGENT_RC"
  echo "}"
} >"$RESULTS_JSON"
echo
echo "results written to $RESULTS_JSON"
