#!/usr/bin/env bash
# The test command: set up and build (setup.sh), then run the whole suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/grader/scripts/setup.sh"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$root/build" --output-on-failure --timeout 600 -j "$jobs"
