#!/usr/bin/env bash
# Instructions per event of rule evaluation, counted by callgrind: the stable
# figure on a shared machine, where events/s move with the neighbours' load.
#
#   bench/rules_instructions.sh BUILD_DIR [KIND...]     KIND: mix open connect exec (default: all)
#
# Runs BUILD_DIR/bench/palisade-rules-bench under callgrind, one benchmark at
# a time, and divides the instructions spent in RuleEngine::match() by its
# calls from the timed loop.
set -euo pipefail
build=${1:?usage: bench/rules_instructions.sh BUILD_DIR [mix|open|connect|exec ...]}
shift
kinds=("${@:-mix open connect exec}")
bench="$build/bench/palisade-rules-bench"
[ -x "$bench" ] || { echo "no $bench: build the palisade-rules-bench target" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/install-deps.sh)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for kind in ${kinds[*]}; do
  case $kind in
    mix) arg=0 ;; open) arg=1 ;; connect) arg=2 ;; exec) arg=3 ;;
    *) echo "unknown kind '$kind' (mix, open, connect, exec)" >&2; exit 1 ;;
  esac
  valgrind --tool=callgrind --callgrind-out-file="$out/$kind.cg" "$bench" \
    --benchmark_filter="EvaluateOfficialRules/$arg\$" --benchmark_min_time=0.1 >/dev/null 2>&1
  # callgrind names a function once ("fn=(12) name" or "cfn=(12) name") and
  # by number after. "fn=" starts the costs of a function, in which a call is
  # "cfn=(id)", then "calls=N ...", then "pos inclusive-cost". Only calls made
  # by the timed benchmark loop count (not the warm-up that lowers the rules).
  awk -v kind="$kind" '
    match($0, /^c?fn=\([0-9]+\) /) {
      id = substr($0, index($0, "(") + 1); id = substr(id, 1, index(id, ")") - 1)
      name[id] = substr($0, RLENGTH + 1)
    }
    /^fn=\(/ {
      id = substr($0, index($0, "(") + 1); current = substr(id, 1, index(id, ")") - 1)
    }
    /^cfn=\(/ {
      id = substr($0, index($0, "(") + 1); id = substr(id, 1, index(id, ")") - 1)
      getline calls_line; getline cost_line
      if (index(name[id], "palisade::rules::RuleEngine::match(") == 1 &&
          index(name[current], "BM_EvaluateOfficialRules") > 0) {
        split(calls_line, c, /[= ]/); split(cost_line, k, " ")
        calls += c[2]; cost += k[2]
      }
    }
    END {
      if (calls < 100) { printf "%s: too few calls (%d)\n", kind, calls; exit 1 }
      printf "%-8s %6.0f instructions/event (%d events)\n", kind, cost / calls, calls
    }' "$out/$kind.cg"
done
