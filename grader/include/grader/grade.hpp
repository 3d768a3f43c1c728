#pragma once
/// \file Grading one submission: build, run every problem in the sandbox, judge.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "grader/build.hpp"
#include "grader/result.hpp"
#include "grader/sandbox.hpp"

namespace grader {

/// How to grade.
struct GradeOptions {
  std::filesystem::path submission;    ///< the folder laid out like student_template/
  std::filesystem::path problems;      ///< the folder of problem specs
  Installation installation;           ///< the grader's files and build cache
  bool visible_only = false;           ///< students' check: visible cases only
  std::uint64_t seed = 20261122;       ///< the grading seed (recorded in the report)
  SandboxMode sandbox = SandboxMode::automatic;
  /// Wall-clock seconds all runs of the submission may take together (its
  /// build not counted); what is not run when it is used up scores zero.
  double time_limit_seconds = 60.0;
  /// Called with a line of progress ("building…", "forward_rules: 3/3 cases"); may be empty.
  std::function<void(const std::string&)> progress;
};

/// Grades a submission. Problems of the submission's making (compile errors,
/// crashes, wrong answers) are results; a fault of the grader's input (bad
/// spec, missing submission) throws GraderError.
GradeReport grade_submission(const GradeOptions& options);

/// A report that says the grader failed, with zero points: what results files
/// hold when grading could not be done.
GradeReport grader_failure_report(const std::string& submission, const std::string& message);

}  // namespace grader
