#!/usr/bin/env bash
# The main job: set up and build (setup.sh), then run the worked examples of
# the course notes by forward and by reverse mode.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/grader/scripts/setup.sh"
"$root/build/bin/ad_demo"
