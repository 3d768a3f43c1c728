#pragma once
/// \file Packaging the grader for a grading platform: Gradescope's
/// autograder.zip (setup.sh and run_autograder at the top, the project's
/// sources to build the grader from, and the problem specs).

#include <filesystem>
#include <string>
#include <vector>

namespace grader {

/// What to package.
struct PackageOptions {
  std::filesystem::path project;   ///< the project's root (CMakeLists.txt, grader/, reference/, ...)
  std::filesystem::path problems;  ///< the problem specs to grade with (hidden cases included)
  std::filesystem::path out;       ///< the zip to write (atomically)
};

/// Writes Gradescope's autograder zip: setup.sh and run_autograder (from
/// grader/platforms/gradescope/) at its top, the project's sources without
/// tests and build folders, and `problems` as problems/. Validates the specs
/// first. Returns the paths inside the zip. Throws GraderError naming the
/// file and the fix when something is missing or `out` cannot be written.
std::vector<std::string> package_gradescope(const PackageOptions& options);

}  // namespace grader
