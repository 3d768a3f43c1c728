#pragma once
/// \file Building a submission's probe: its sources compiled with the probe
/// driver against the prebuilt probe support library, in the sandbox, cached
/// by a hash of everything that goes into the build.

#include <filesystem>
#include <string>
#include <vector>

#include "grader/sandbox.hpp"

namespace grader {

/// Where the grader's own files are (the probe driver, its headers and library).
struct Installation {
  std::filesystem::path share_dir;   ///< holds probe/, include/, lib/, template/
  std::filesystem::path cache_dir;   ///< build cache (created when missing)
  std::string compiler = "g++";      ///< C++17 compiler (the project's)
};

/// Finds the installation next to the running grader (<bin>/../share/adcourse)
/// and the cache ($ADC_CACHE_DIR, else $XDG_CACHE_HOME/adcourse, else ~/.cache/adcourse).
Installation find_installation();

/// What building one submission gave.
struct BuildResult {
  bool ok = false;                      ///< a probe exists
  std::filesystem::path probe;          ///< the probe executable (when ok)
  std::string hash;                     ///< content hash of the build's inputs
  bool cached = false;                  ///< found in the cache, not compiled
  double seconds = 0.0;                 ///< time spent building
  std::string errors;                   ///< compiler's first errors (when not ok), for the student
  std::vector<std::string> notes;       ///< e.g. files taken from the template, for the student
};

/// Builds (or finds in the cache) the probe of `submission`. A submission that
/// does not compile is a normal result (ok = false); a missing submission or a
/// broken installation throws GraderError.
BuildResult build_probe(const std::filesystem::path& submission, const Installation& inst,
                        SandboxMode mode = SandboxMode::automatic);

}  // namespace grader
