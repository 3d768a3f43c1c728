#!/usr/bin/env bash
# Grades one submission in CI (GitHub Classroom, GitLab, Jenkins, ...): the
# Gradescope results and JUnit XML (for the CI's test report) go to OUT, the
# points are printed (and added to the job summary on GitHub), and the exit
# code says whether the score reached --fail-under.
#
#   grade.sh SUBMISSION [--out OUT] [--fail-under POINTS] [--problems DIR]
#
# GRADER: the grader to use (default: build/bin/grader of this project).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
grader=${GRADER:-"$here/../../../build/bin/grader"}
submission=${1:?usage: grade.sh SUBMISSION [--out OUT] [--fail-under POINTS] [--problems DIR]}
shift
out=grading
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --fail-under|--problems) extra+=("$1" "$2"); shift 2 ;;
    *) echo "grade.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

"$grader" grade "$submission" --out "$out/results.json" --junit "$out/junit.xml" --quiet "${extra[@]}" \
  > "$out/report.txt"
code=$?
cat "$out/report.txt"
# "Score: 87.5 / 100" is the report's second line.
points=$(sed -n 's/^Score: *//p' "$out/report.txt" | head -1)
echo "Points: ${points:-0 / ?}"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "## Autograder: ${points:-no score}"
    echo
    echo '```'
    cat "$out/report.txt"
    echo '```'
  } >> "$GITHUB_STEP_SUMMARY"
fi
exit $code
