#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image:
# autograder.zip is unpacked into /autograder/source. It installs what the
# grader needs on Gradescope's Ubuntu image and builds the grader from
# source (a binary built elsewhere may not run on that Ubuntu).
#
#   setup.sh [--root DIR]   DIR stands for /autograder (default: $ADC_AUTOGRADER_ROOT, else /autograder)
#
# ADC_PREBUILT=BUILD_DIR copies BUILD_DIR/bin/grader and BUILD_DIR/share/adcourse
# instead of installing and compiling: the project's tests run the whole flow
# in a temporary root that way, without network or a second build.
set -euo pipefail

root=${ADC_AUTOGRADER_ROOT:-/autograder}
if [ "${1:-}" = "--root" ]; then root=$2; fi
source_dir="$root/source"
build="$source_dir/build"

if [ -n "${ADC_PREBUILT:-}" ]; then
  mkdir -p "$build/bin" "$build/share"
  cp "$ADC_PREBUILT/bin/grader" "$build/bin/grader"
  rm -rf "$build/share/adcourse"
  cp -r "$ADC_PREBUILT/share/adcourse" "$build/share/adcourse"
  echo "setup: grader copied from $ADC_PREBUILT"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The tests' libraries are found by the project's CMakeLists even when the
# tests are not built; unzip reads zipped uploads.
apt-get install -y -qq --no-install-recommends \
  g++ cmake make pkg-config libgtest-dev nlohmann-json3-dev libbenchmark-dev libcli11-dev \
  libyaml-cpp-dev bubblewrap unzip ca-certificates python3-pip >/dev/null

# The project needs CMake >= 3.25; Ubuntu 22.04 has 3.22: take a newer one from PyPI then.
cmake_ok() {
  local v
  v=$(cmake --version 2>/dev/null | head -1 | sed 's/[^0-9.]*//')
  [ -n "$v" ] && [ "$(printf '%s\n3.25\n' "$v" | sort -V | head -1)" = "3.25" ]
}
if ! cmake_ok; then
  python3 -m pip install --quiet 'cmake>=3.25' || python3 -m pip install --quiet --break-system-packages 'cmake>=3.25'
  hash -r
fi

cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release -DADC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target grader -j "$(nproc)"
"$build/bin/grader" validate "$source_dir/problems"
