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

# Run as root, the grader runs student code as an unprivileged user of its
# own, which must reach the files it is given from build/ (the probe's headers
# and library, the test programs). A checkout under a folder others cannot
# enter (mktemp -d makes 0700 folders; /root is 0700) would fail every run:
# give those folders search permission (o+x: enter, not list), and say so.
if [ "$(id -u)" = 0 ]; then
  dir=$(cd "$root" && pwd -P)
  while :; do
    case "$(stat -c %A "$dir" | cut -c10)" in
      x | t) ;;  # others may enter already
      *)
        chmod o+x "$dir"
        echo "setup: gave $dir o+x (search, not listing), so that the sandbox's unprivileged user can reach build/" >&2
        ;;
    esac
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$jobs"
