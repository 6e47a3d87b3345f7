#!/usr/bin/env bash
# Palisade policy benchmark.
#
#   sudo bench/policy_bench.sh BUILD_DIR
#
# 1. Per-syscall cost of the in-kernel policy filter: the openat+close loop of
#    palisade-workload bare, under the agent without policies, and under the agent
#    with 1, 10 and 100 enforced TracingPolicies on the openat path that never
#    match (so every openat is evaluated in full and none is killed). Reported as
#    the median of per-repetition ratios against bare, against the agent without
#    policies and against 1 policy. Policies become map data for one program set,
#    so the target is "flat": 100 policies cost at most 1.10x of 1 policy.
#    The figure is the workload's CPU time per op, not wall-clock time: on this
#    shared 2-CPU VM other load stretches wall-clock runs by up to 3x (1.8 vs
#    5.3 us/op with two busy loops beside it) while their CPU time stays within
#    a few percent. Its syscalls, and the BPF programs they run, are in it.
#    1b. The time spent in the policy program itself, from bpf_stats.
# 2. Time from a policy file change to enforcement (and from its removal to
#    release), with palisade-policy-reload-latency against a running agent.
#
# Results go to stdout (table) and to BUILD_DIR/bench-policy.json. A missed target
# is reported, never fatal; a failed measurement (agent or workload dying, a
# policy set that does not load, a workload that gets killed) exits non-zero.
#
# Runs are interleaved as in bench/run.sh (which explains why): each repetition
# runs every configuration once, seconds apart, in forward order on odd
# repetitions and reversed on even ones, and yields one ratio per pair. Bare
# runs have no agent, the 0-policy run a fresh agent, and the policy runs share
# one agent that switches between the policy sets (see use_policies).
#
# Optional environment knobs (defaults in brackets):
#   BENCH_OPEN_N [200000]  BENCH_REPS [15]  BENCH_POLICY_COUNTS ["1 10 100"]
#   BENCH_BPF_STATS [1]  BENCH_BPF_STATS_REPS [7]  (0 = skip the bpf_stats phase)
#   BENCH_RELOAD_TRIALS [7]  BENCH_RESULTS [BUILD_DIR/bench-policy.json]
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
die() { echo "policy_bench.sh: error: $*" >&2; exit 1; }
log() { echo "[policy-bench] $*" >&2; }

[[ $# -eq 1 ]] || usage
BUILD_DIR=$(cd "$1" && pwd) || die "no such build dir: $1"
AGENT="$BUILD_DIR/palisade"
WORKLOAD="$BUILD_DIR/bench/palisade-workload"
LATENCY="$BUILD_DIR/bench/palisade-policy-reload-latency"
RESULTS_JSON=${BENCH_RESULTS:-$BUILD_DIR/bench-policy.json}
OPEN_N=${BENCH_OPEN_N:-200000}
REPS=${BENCH_REPS:-15}
read -ra COUNTS <<<"${BENCH_POLICY_COUNTS:-1 10 100}"
RELOAD_TRIALS=${BENCH_RELOAD_TRIALS:-7}
BPF_STATS=${BENCH_BPF_STATS:-1}
BPF_STATS_REPS=${BENCH_BPF_STATS_REPS:-7}
# Only exec events reach user space, so what is measured is the kernel side.
AGENT_ARGS=(--no-rules --output null --events exec)
FLAT_TARGET=1.10   # largest count vs 1 policy
SETTLE=1.2         # pause after the agent starts and before bare runs, as in run.sh
RELOAD_SETTLE=0.3  # pause after a policy switch: the agent's reload work is done by then

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer: $REPS"
[[ $EUID -eq 0 ]] || die "must run as root (the agent loads eBPF programs)"
for bin in "$AGENT" "$WORKLOAD" "$LATENCY"; do
  [[ -x $bin ]] || die "not built: $bin (targets palisade, palisade-workload, palisade-policy-reload-latency)"
done

TMP=$(mktemp -d /tmp/palisade-policy-bench.XXXXXX)
STATS="$TMP/stats.json"
READY="$TMP/ready"
AGENT_ERR="$TMP/agent.stderr"
AGENT_PID=""
STATS_WAS=""   # kernel.bpf_stats_enabled before phase 1b changed it

is_running() {   # PID exists and is not a zombie
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st:0:1} != Z && ${st:0:1} != X ]]
}

stop_agent() {   # SIGINT, SIGKILL after 15 s; fails unless the agent exits 0 or 130
  local pid=$AGENT_PID i rc=0
  [[ -n $pid ]] || return 0
  AGENT_PID=""
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do is_running "$pid" || break; sleep 0.1; done
  if is_running "$pid"; then
    log "agent (pid $pid) ignored SIGINT for 15 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || rc=$?
  [[ $rc -eq 0 || $rc -eq 130 ]] || die "agent exited with status $rc"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e   # clean up as much as possible, whatever fails
  [[ -n $AGENT_PID ]] && { kill -KILL "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; }
  [[ -n $STATS_WAS ]] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
  if [[ $rc -ne 0 && -s $AGENT_ERR ]]; then
    echo "---- agent stderr (last 20 lines) ----" >&2
    tail -n 20 "$AGENT_ERR" >&2
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Another agent (the kernel tests start some) attaches its own programs, which
# every syscall of the workload would then run too: wait until none runs.
other_agents() { pgrep -x palisade | grep -vx "${AGENT_PID:-0}" | tr '\n' ' '; }
wait_for_no_other_agent() {
  local others i
  for ((i = 0; i < 120; i++)); do
    others=$(other_agents) || return 0
    ((i % 6)) || log "waiting: another palisade agent is running (pid(s) $others)"
    sleep 5
  done
  die "another palisade agent has been running for 10 minutes (pid(s) $others)"
}

# start_agent ARGS...: the agent with AGENT_ARGS and ARGS, once every hook is attached.
start_agent() {
  wait_for_no_other_agent
  rm -f "$STATS" "$READY"
  set -m   # otherwise the background agent starts with SIGINT ignored
  "$AGENT" run "${AGENT_ARGS[@]}" "$@" --stats-file "$STATS" --ready-file "$READY" \
    </dev/null >/dev/null 2>"$AGENT_ERR" &
  AGENT_PID=$!
  set +m
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -e $READY ]] && return 0
    is_running "$AGENT_PID" || { AGENT_PID=""; die "agent exited before becoming ready"; }
    sleep 0.1
  done
  die "agent not ready after 30 s"
}

stat_field() {   # NAME -> integer from the stats file (rewritten every second)
  local v="" i
  for ((i = 0; i < 20; i++)); do
    v=$(sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$STATS" 2>/dev/null | head -n1)
    [[ -n $v ]] && { echo "$v"; return 0; }
    sleep 0.1
  done
  die "cannot read \"$1\" from the stats file"
}

open_loop() {   # -> RUN_NS (CPU time), RUN_WALL: ns per openat+close of one run
  local out
  while :; do   # a run during which another agent started is repeated
    wait_for_no_other_agent
    out=$("$WORKLOAD" open "$OPEN_N") || die "workload failed (killed by a policy?): $out"
    [[ -z $(other_agents) ]] && break
  done
  [[ $out =~ ^ns_per_op=([0-9.]+).*cpu_ns_per_op=([0-9.]+) ]] || die "cannot parse workload output: $out"
  RUN_WALL=${BASH_REMATCH[1]} RUN_NS=${BASH_REMATCH[2]}
}

# rep_order R ITEM... -> the items, one a line: in order on odd repetitions, reversed on even ones.
rep_order() {
  local r=$1
  shift
  if ((r % 2)); then printf '%s\n' "$@"; else printf '%s\n' "$@" | tac; fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }   # for the table

# ---- policies --------------------------------------------------------------------

# Policy I, three kinds in turn, all served at openat's entry, each with its own
# directory prefix the workload never opens: sys_openat's path argument;
# fd_install's file (served at open, openat, openat2, creat); and
# security_file_open's file restricted by matchBinaries. All Sigkill.
gen_policy() {
  local i=$1 call syscall=false args file_arg=1 binaries=""
  case $((i % 3)) in
    0) call=sys_openat; syscall=true; args='{index: 0, type: "int"}, {index: 1, type: "string"}' ;;
    1) call=fd_install; args='{index: 0, type: "int"}, {index: 1, type: "file"}' ;;
    2) call=security_file_open; args='{index: 0, type: "file"}'; file_arg=0
       binaries=$'\n          matchBinaries:\n            - operator: "In"\n              values: ["/usr/bin/python3", "/usr/bin/curl"]' ;;
  esac
  cat <<EOF
apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: bench-$i-${call//_/-}
spec:
  kprobes:
    - call: "$call"
      syscall: $syscall
      args: [$args]
      selectors:
        - matchArgs:
            - index: $file_arg
              operator: "Prefix"
              values: ["/srv/palisade-bench/p$i/"]$binaries
          matchActions:
            - action: Sigkill
EOF
}

for n in "${COUNTS[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_POLICY_COUNTS must hold positive integers: ${COUNTS[*]}"
  mkdir "$TMP/policies-$n"
  for ((i = 0; i < n; i++)); do gen_policy "$i" >"$TMP/policies-$n/p$i.yaml"; done
done

# ---- 1. per-syscall cost ---------------------------------------------------------

CONFIGS=(bare none "${COUNTS[@]}")
FIRST_N=${COUNTS[0]} LAST_N=${COUNTS[-1]}
ACTIVE="$TMP/active"   # -p of the policy runs: a symlink to one policies-N directory

# One agent serves every policy count of a repetition: the policy set is switched
# by pointing ACTIVE at another directory, which the agent loads within 0.5 s.
# Runs with 1, 10 and 100 policies are then about a second apart, close enough
# to share this VM's slow phases (seconds long, in which the same loop takes up
# to 1.6x as long), where an agent restart per count puts them seconds apart.
# use_policies N: switches to the N-policy set and waits until the agent says it
# loaded it (up to 5 s; it checks its files every 500 ms).
use_policies() {
  local n=$1 before i loaded
  if [[ $(readlink "$ACTIVE") != "$TMP/policies-$n" ]]; then
    before=$(grep -c "policies loaded:" "$AGENT_ERR")
    ln -sfn "$TMP/policies-$n" "$ACTIVE.new"
    mv -T "$ACTIVE.new" "$ACTIVE"
    for ((i = 0; i < 500; i++)); do
      (($(grep -c "policies loaded:" "$AGENT_ERR") > before)) && break
      is_running "$AGENT_PID" || die "agent died while loading $n policies"
      sleep 0.01
    done
  fi
  loaded=$(grep "policies loaded:" "$AGENT_ERR" | tail -n1 | sed 's/.*policies loaded: //' | awk -F, '{ print NF }')
  [[ $loaded -eq $n ]] || die "the agent loaded $loaded of $n policies"
}

# start_policy_agent N: the agent with -p ACTIVE, serving the N-policy set.
start_policy_agent() {
  ln -sfn "$TMP/policies-$1" "$ACTIVE"
  start_agent -p "$ACTIVE" --policy-mode enforce
  sleep "$SETTLE"
  use_policies "$1"   # loaded at start: this checks the count
}

# stop_policy_agent: stops it; fails if a benchmark policy matched, since its
# action would then be in the figures.
stop_policy_agent() {
  local matched
  is_running "$AGENT_PID" || die "agent died during the workload"
  stop_agent   # the agent writes its stats file a last time at exit
  matched=$(stat_field policy_events_total)
  [[ $matched -eq 0 ]] || die "$matched policy events: a benchmark policy matched"
}

declare -A NS_REPS WALL_REPS VS_BARE VS_NONE VS_ONE ns wall
for ((r = 1; r <= REPS; r++)); do
  ns=() wall=()
  mapfile -t blocks < <(rep_order "$r" bare none policies)
  for block in "${blocks[@]}"; do
    case $block in
      bare)
        sleep "$SETTLE"
        open_loop; ns[bare]=$RUN_NS wall[bare]=$RUN_WALL ;;
      none)
        start_agent
        sleep "$SETTLE"
        open_loop; ns[none]=$RUN_NS wall[none]=$RUN_WALL
        stop_agent ;;
      policies)
        mapfile -t counts < <(rep_order "$r" "${COUNTS[@]}")
        start_policy_agent "${counts[0]}"
        for n in "${counts[@]}"; do
          use_policies "$n"
          sleep "$RELOAD_SETTLE"
          open_loop; ns[$n]=$RUN_NS wall[$n]=$RUN_WALL
        done
        stop_policy_agent ;;
    esac
  done
  line=""
  for cfg in "${CONFIGS[@]}"; do
    NS_REPS[$cfg]+="${ns[$cfg]} "
    WALL_REPS[$cfg]+="${wall[$cfg]} "
    VS_BARE[$cfg]+="$(ratio "${ns[$cfg]}" "${ns[bare]}") "
    VS_NONE[$cfg]+="$(ratio "${ns[$cfg]}" "${ns[none]}") "
    VS_ONE[$cfg]+="$(ratio "${ns[$cfg]}" "${ns[$FIRST_N]}") "
    line+=" $cfg=${ns[$cfg]}"
  done
  log "rep $r/$REPS ($( ((r % 2)) && echo forward || echo reversed) order), CPU ns/op:$line"
done

# ---- 1b. the filter's own time, from the kernel's BPF run-time statistics ---------

# The time spent in the policy program itself is what must not grow with the
# number of policies, and the kernel measures it per program. pl_pol_sys_enter
# runs at every syscall entry: per openat+close it evaluates the openat and
# exits early on the close. kernel.bpf_stats_enabled times every BPF program on
# the host (which costs each run some ns, included in the figure), so this is a
# phase of its own, and the setting is restored afterwards.
declare -A FILTER_REPS
if [[ $BPF_STATS == 1 ]]; then
  command -v bpftool >/dev/null || die "bpftool is required (or BENCH_BPF_STATS=0)"
  # filter_prog_stats MIN_ID -> "run_time_ns run_cnt" of the one pl_pol_sys_enter with an id above MIN_ID.
  # Both count every process's syscalls: runs/op (2 for openat+close) in the log
  # shows how much other activity is in a figure.
  filter_prog_stats() {
    bpftool prog show name pl_pol_sys_enter 2>/dev/null | awk -v min="$1" '
      /^[0-9]+:/ { if ($1 + 0 <= min) next; n++
                   for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } }
      END { if (n != 1 || t == "") exit 1; print t, c }'
  }
  STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
  sysctl -qw kernel.bpf_stats_enabled=1
  last_id=$(bpftool prog show | awk -F: '/^[0-9]+:/ { if ($1 + 0 > m) m = $1 + 0 } END { print m + 0 }')
  start_policy_agent "$FIRST_N"
  filter_prog_stats "$last_id" >/dev/null || die "cannot tell the agent's pl_pol_sys_enter in bpftool's list"
  for ((r = 1; r <= BPF_STATS_REPS; r++)); do
    mapfile -t counts < <(rep_order "$r" "${COUNTS[@]}")
    line=""
    for n in "${counts[@]}"; do
      use_policies "$n"
      sleep "$RELOAD_SETTLE"
      s0=$(filter_prog_stats "$last_id") || die "the agent's pl_pol_sys_enter is gone"
      open_loop
      s1=$(filter_prog_stats "$last_id") || die "the agent's pl_pol_sys_enter is gone"
      v=$(awk -v a="$s0" -v b="$s1" -v n="$OPEN_N" 'BEGIN { split(a, x, " "); split(b, y, " ")
        printf "%.1f", (y[1] - x[1]) / n }')
      FILTER_REPS[$n]+="$v "
      line+=" $n=$v ($(awk -v a="$s0" -v b="$s1" -v n="$OPEN_N" 'BEGIN { split(a, x, " "); split(b, y, " ")
        printf "%.2f", (y[2] - x[2]) / n }') runs/op)"
    done
    log "bpf_stats rep $r/$BPF_STATS_REPS, pl_pol_sys_enter ns per openat+close:$line"
  done
  stop_policy_agent
  sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
  STATS_WAS=""
fi

# ---- 2. reload latency -----------------------------------------------------------

# Against an agent with no policy, then with the largest set present (the reload
# compiles and swaps the whole set, so its size may show).
declare -A RELOAD
for base in 0 "$LAST_N"; do
  dir="$TMP/reload-$base"
  mkdir "$dir"
  ((base == 0)) || cp "$TMP/policies-$base"/*.yaml "$dir/"
  start_agent -p "$dir" --policy-mode enforce
  out=$("$LATENCY" "$dir" "$RELOAD_TRIALS") || die "reload latency measurement failed"
  [[ $out =~ ^add_ms=.*remove_ms_trials=[0-9] ]] || die "cannot parse: $out"
  is_running "$AGENT_PID" || die "agent died during the reload measurement"
  stop_agent
  RELOAD[$base]=$out
  log "reload with $base policies present: $out"
done
reload_field() { [[ ${RELOAD[$1]} =~ (^| )$2=([0-9.,]+) ]] && echo "${BASH_REMATCH[2]}"; }   # BASE FIELD

# ---- report ----------------------------------------------------------------------

label() { case $1 in bare) echo "bare (no agent)" ;; none) echo "agent, 0 policies" ;; *) echo "$1" ;; esac; }
# shellcheck disable=SC2086 # the per-rep lists are word lists
med() { local m; m=$(median $1); printf "%.2f" "$m"; }   # median of a word list, 2 decimals
# shellcheck disable=SC2086
fastest() { local v; v=$(printf '%s\n' $1 | sort -g | head -n1); echo "${v:-null}"; }   # smallest of a word list
# shellcheck disable=SC2086
filter() { [[ -n ${FILTER_REPS[$1]:-} ]] && median ${FILTER_REPS[$1]} | awk '{ printf "%.1f", $1 }'; }  # CONFIG -> ns, or fails
# shellcheck disable=SC2086
{
  echo
  echo "Palisade policy benchmark ($(uname -r), $(nproc) CPUs, openat+close x $OPEN_N, $REPS interleaved reps, medians)"
  echo "(CPU ns/op: the workload's own CPU time per openat+close, median and fastest run; ratios are medians of"
  echo " per-rep ratios; filter ns/op: time in the policy program per openat+close, from bpf_stats)"
  printf '%-18s %9s %8s %14s %20s %18s %13s\n' policies "CPU ns/op" fastest "ratio vs bare" "ratio vs 0 policies" \
    "ratio vs $FIRST_N policy" "filter ns/op"
  for cfg in "${CONFIGS[@]}"; do
    f=$(filter "$cfg") || f=""
    printf '%-18s %9.1f %8.1f %13sx %19sx %17sx %13s\n' "$(label "$cfg")" "$(median ${NS_REPS[$cfg]})" \
      "$(fastest "${NS_REPS[$cfg]}")" "$(med "${VS_BARE[$cfg]}")" "$(med "${VS_NONE[$cfg]}")" \
      "$(med "${VS_ONE[$cfg]}")" "${f:--}"
  done
  flat=$(med "${VS_ONE[$LAST_N]}")
  verdict=$(awk -v v="$flat" -v t="$FLAT_TARGET" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }')
  echo "flat: $LAST_N policies vs $FIRST_N: ${flat}x (target <= ${FLAT_TARGET}x: $verdict); per rep: ${VS_ONE[$LAST_N]}"
  # Runs seconds apart can straddle one of this VM's slow phases; the fastest
  # run of each configuration most likely missed them all.
  echo "fastest runs: $LAST_N vs $FIRST_N policies $(ratio2 "$(fastest "${NS_REPS[$LAST_N]}")" "$(fastest "${NS_REPS[$FIRST_N]}")")x," \
    "$FIRST_N policy vs 0 $(ratio2 "$(fastest "${NS_REPS[$FIRST_N]}")" "$(fastest "${NS_REPS[none]}")")x," \
    "0 policies vs bare $(ratio2 "$(fastest "${NS_REPS[none]}")" "$(fastest "${NS_REPS[bare]}")")x"
  if [[ $BPF_STATS == 1 ]]; then
    echo "filter ns/op (pl_pol_sys_enter, $BPF_STATS_REPS runs with bpf_stats on): $LAST_N vs $FIRST_N policies" \
      "$(ratio2 "$(filter "$LAST_N")" "$(filter "$FIRST_N")")x (medians)," \
      "$(ratio2 "$(fastest "${FILTER_REPS[$LAST_N]}")" "$(fastest "${FILTER_REPS[$FIRST_N]}")")x (fastest runs)"
  fi
  echo
  echo "policy file change -> enforcement (median / max of $RELOAD_TRIALS; the agent checks every 500 ms):"
  for base in 0 "$LAST_N"; do
    printf '  %3s policies present: enforced after %s / %s ms, released after %s / %s ms\n' "$base" \
      "$(reload_field "$base" add_ms)" "$(reload_field "$base" add_ms_max)" \
      "$(reload_field "$base" remove_ms)" "$(reload_field "$base" remove_ms_max)"
  done
}

json_list() { local IFS=,; echo "[$*]"; }
# shellcheck disable=SC2086
{
  echo "{"
  echo "  \"kernel\": \"$(uname -r)\", \"cpus\": $(nproc), \"reps\": $REPS, \"open_ops\": $OPEN_N, \"interleaved\": true,"
  echo "  \"configs\": {"
  sep=""
  for cfg in "${CONFIGS[@]}"; do
    key=$cfg; [[ $cfg == none ]] && key=0
    f=$(filter "$cfg") || f=null
    printf '%s    "%s": {"cpu_ns_per_op": %s, "ratio_vs_bare": %s, "ratio_vs_0": %s, "ratio_vs_%s": %s, "cpu_ns_per_op_fastest": %s, "filter_ns_per_op": %s, "filter_ns_per_op_fastest": %s, "wall_ns_per_op": %s, "cpu_ns_per_op_reps": %s, "wall_ns_per_op_reps": %s, "ratio_vs_bare_reps": %s, "ratio_vs_0_reps": %s, "ratio_vs_%s_reps": %s, "filter_ns_per_op_reps": %s}' \
      "$sep" "$key" "$(median ${NS_REPS[$cfg]})" "$(median ${VS_BARE[$cfg]})" "$(median ${VS_NONE[$cfg]})" \
      "$FIRST_N" "$(median ${VS_ONE[$cfg]})" "$(fastest "${NS_REPS[$cfg]}")" "$f" "$(fastest "${FILTER_REPS[$cfg]:-}")" "$(median ${WALL_REPS[$cfg]})" "$(json_list ${NS_REPS[$cfg]})" \
      "$(json_list ${WALL_REPS[$cfg]})" "$(json_list ${VS_BARE[$cfg]})" \
      "$(json_list ${VS_NONE[$cfg]})" "$FIRST_N" "$(json_list ${VS_ONE[$cfg]})" "$(json_list ${FILTER_REPS[$cfg]:-})"
    sep=$',\n'
  done
  echo
  echo "  },"
  echo "  \"flat_ratio\": $(median ${VS_ONE[$LAST_N]}), \"flat_target\": $FLAT_TARGET,"
  echo "  \"flat_ratio_fastest\": $(ratio "$(fastest "${NS_REPS[$LAST_N]}")" "$(fastest "${NS_REPS[$FIRST_N]}")"),"
  echo "  \"reload_trials\": $RELOAD_TRIALS, \"reload\": {"
  sep=""
  for base in 0 "$LAST_N"; do
    printf '%s    "with_%s_policies": {"add_ms": %s, "add_ms_max": %s, "remove_ms": %s, "remove_ms_max": %s, "add_ms_trials": [%s], "remove_ms_trials": [%s]}' \
      "$sep" "$base" "$(reload_field "$base" add_ms)" "$(reload_field "$base" add_ms_max)" \
      "$(reload_field "$base" remove_ms)" "$(reload_field "$base" remove_ms_max)" \
      "$(reload_field "$base" add_ms_trials)" "$(reload_field "$base" remove_ms_trials)"
    sep=$',\n'
  done
  echo
  echo "  }"
  echo "}"
} >"$RESULTS_JSON"
echo
echo "results written to $RESULTS_JSON"
