#!/usr/bin/env bash
# How often does a correct submission pass the complexity problems while the
# other core is busy? Grades SUBMISSION (default: reference/) RUNS times
# (default: 100) on problems/complexity_*.json only, each run with its own
# grading seed, while a busy loop (started here, stopped at the end) keeps
# another core at 100 %. Prints each failure's message and the count of runs
# that earned every point. A measurement, not part of ctest: about 2 s a run.
#
#   grader/bench/complexity_robustness.sh [RUNS] [SUBMISSION]
#   GRADER=build-x/bin/grader grader/bench/complexity_robustness.sh 100
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
grader=${GRADER:-$root/build/bin/grader}
runs=${1:-100}
submission=${2:-$root/reference}
work=$(mktemp -d)
busy=""
cleanup() {
  if [ -n "$busy" ]; then kill "$busy" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/problems"
cp "$root"/problems/complexity_*.json "$work/problems/"
# Every point of the specs: a run passes when it earns them all.
points=$(cat "$work"/problems/*.json | awk -F'"points": *' 'NF > 1 { split($2, a, /[,}]/); s += a[1] } END { print s }')
"$grader" grade "$submission" --problems "$work/problems" --out "$work/first.json" -q >/dev/null 2>&1 || true
echo "complexity problems: $(cd "$work/problems" && ls | tr '\n' ' ')(worth $points points; the probe is built by a first run)"

( while :; do :; done ) &
busy=$!

passed=0
start=$(date +%s)
for i in $(seq 1 "$runs"); do
  if "$grader" grade "$submission" --problems "$work/problems" --seed "$i" --out "$work/r.json" -q \
       --fail-under "$points" >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    echo "run $i (seed $i) lost points:"
    grep -o '"message": "[^"]*"' "$work/r.json" | sed 's/^/  /' || true
  fi
done
echo "$passed of $runs runs earned every point (a busy loop on another core; $(( $(date +%s) - start )) s)"
