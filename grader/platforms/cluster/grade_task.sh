#!/usr/bin/env bash
# One task of a class graded on several machines: grades the submissions of
# shard TASK of COUNT (submission i when i % COUNT == TASK) into OUT/task-TASK.
# With COUNT = the number of submissions, each task grades one submission.
# Rerunning a task skips what it already finished. Merge the tasks with
#   grader gradebook OUT/task-* --out OUT/gradebook
#
#   grade_task.sh SUBMISSIONS OUT TASK COUNT [grader batch options, e.g. --problems DIR]
#
# GRADER: the grader to use (default: build/bin/grader of this project).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
grader=${GRADER:-"$here/../../../build/bin/grader"}
if [ $# -lt 4 ]; then
  echo "usage: grade_task.sh SUBMISSIONS OUT TASK COUNT [grader batch options]" >&2
  exit 2
fi
submissions=$1 out=$2 task=$3 count=$4
shift 4
exec "$grader" batch "$submissions" --out "$out/task-$task" --shard "$task/$count" --jobs 1 "$@"
