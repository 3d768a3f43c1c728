#pragma once
/// \file The grader's subcommands. Each lives in its own file: an options
/// struct, a setup function that binds flags to it, and the function that runs
/// it. main.cpp only connects them.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "grader/grade.hpp"
#include "grader/sandbox.hpp"

namespace grader::cli {

/// Exit codes (documented in the README).
enum Exit : int {
  exit_ok = 0,           ///< done; for check: every visible test passed
  exit_failed = 1,       ///< check: a visible test failed; grade: score below --fail-under; validate/assign: problems found
  exit_usage = 2,        ///< bad command line
  exit_grader_error = 3  ///< the grader could not do its job (a results file still says why)
};

/// A subcommand as main sees it: the parsed subcommand and what runs it.
struct Command {
  CLI::App* app = nullptr;       ///< the subcommand, to ask whether it was given
  std::function<int()> run;      ///< runs it with the parsed options; returns the exit code
};

/// Options every grading command shares.
struct CommonOptions {
  std::string problems;
  std::uint64_t seed = 20261122;
  std::string sandbox = "auto";
  double time_limit = 60.0;
  bool quiet = false;
};

/// The default problems folder: ./problems when it exists, else the project's.
std::filesystem::path default_problems();
/// "bubblewrap", "rlimits" or "auto".
SandboxMode parse_mode(const std::string& text);
/// Adds --problems, --seed, --sandbox, --time-limit and --quiet to a subcommand.
void add_common(CLI::App* cmd, CommonOptions& options);
/// GradeOptions from the command line's options.
GradeOptions grade_options(const std::string& dir, const CommonOptions& options, bool visible_only);

Command setup_check(CLI::App& app);     ///< grader check
Command setup_grade(CLI::App& app);     ///< grader grade
Command setup_validate(CLI::App& app);  ///< grader validate
Command setup_assign(CLI::App& app);    ///< grader assign
Command setup_batch(CLI::App& app);      ///< grader batch
Command setup_gradebook(CLI::App& app);  ///< grader gradebook
Command setup_package(CLI::App& app);    ///< grader package
Command setup_mutate(CLI::App& app);     ///< grader mutate
Command setup_bench(CLI::App& app);      ///< grader bench

}  // namespace grader::cli
