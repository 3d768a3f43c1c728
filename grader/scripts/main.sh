#!/usr/bin/env bash
# The main job: set up and build (setup.sh), print the worked examples of the
# course notes, then grade reference/ and the untouched student_template/
# against problems/ and print both reports. The results files go to build/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/grader/scripts/setup.sh"
cd "$root"
echo
build/bin/ad_demo
for submission in reference student_template; do
  echo
  echo "================ grader grade $submission ================"
  build/bin/grader grade "$submission" --problems problems \
    --out "build/results-$submission.json" --junit "build/junit-$submission.xml" --quiet
done
echo
echo "Results files: build/results-reference.json, build/results-student_template.json (Gradescope format)"
