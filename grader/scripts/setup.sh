#!/usr/bin/env bash
# Installs what the project needs and is missing (Debian packages), then
# configures and builds everything in build/ (Release). Safe to re-run: it
# installs nothing when all is there, and the build is incremental.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
packages=(
  g++ cmake make pkg-config       # the toolchain
  libgtest-dev                    # GoogleTest
  nlohmann-json3-dev              # nlohmann/json
  libbenchmark-dev                # Google Benchmark
  libcli11-dev                    # CLI11
  bubblewrap                      # the sandbox for student code
  libyaml-cpp-dev                 # yaml-cpp: Gradescope's submission_metadata.yml (grader batch)
  gnuplot-nox                     # plots: a class's scores (grader batch, gradebook), forward vs reverse (grader bench)
  unzip zip                       # zipped submissions (grader batch), autograder.zip (grader package)
)

source "$root/grader/scripts/install-missing.sh"
install_missing setup "${packages[@]}"

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$jobs"
