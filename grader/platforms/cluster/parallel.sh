#!/usr/bin/env bash
# GNU parallel across hosts: one task per submission, spread over the
# machines of a hosts file (one "ssh login" per line, e.g. "4/grader1" for 4
# tasks at once on grader1), then one merged gradebook.
#
#   parallel.sh SUBMISSIONS OUT HOSTS_FILE [grader batch options]
#
# SUBMISSIONS, OUT and this project must be at the same path on every host (a
# shared file system), and the project built there. A rerun only does the
# tasks that have not finished (--resume-failed on the job log).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
grader=${GRADER:-"$here/../../../build/bin/grader"}
if [ $# -lt 3 ]; then
  echo "usage: parallel.sh SUBMISSIONS OUT HOSTS_FILE [grader batch options]" >&2
  exit 2
fi
submissions=$(realpath "$1") out=$(realpath -m "$2") hosts=$3
shift 3
mkdir -p "$out"
n=$("$grader" batch "$submissions" --list | wc -l)
seq 0 $((n - 1)) | parallel --sshloginfile "$hosts" --joblog "$out/joblog" --resume-failed \
  bash "$here/grade_task.sh" "$submissions" "$out" {} "$n" --quiet "$@"
"$grader" gradebook "$out"/task-* --out "$out/gradebook"
