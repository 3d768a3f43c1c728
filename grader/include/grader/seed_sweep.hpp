#pragma once
/// \file Grading one submission on many seeds at once, to measure false failures.
///
/// A correct submission must get full marks whatever the grading seed. Grading
/// it 1000 times with `grade_submission` would start 1000 probes per problem;
/// here the tasks of many seeds go to one probe run per problem (per chunk of
/// seeds, so the results channel stays small), and each seed's plan is then
/// judged on its own, in this process, exactly as `grade_submission` judges it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "grader/build.hpp"
#include "grader/sandbox.hpp"

namespace grader {

/// What to sweep.
struct SeedSweepOptions {
  std::filesystem::path submission;     ///< a folder laid out like student_template/
  std::filesystem::path problems;       ///< the folder of problem specs
  Installation installation;            ///< the grader's files and build cache
  std::vector<std::uint64_t> seeds;     ///< the grading seeds
  SandboxMode sandbox = SandboxMode::automatic;
  std::size_t seeds_per_run = 100;      ///< seeds whose tasks share one probe run
  /// Called with a line of progress; may be empty.
  std::function<void(const std::string&)> progress;
};

/// One case that lost its points on one seed.
struct SeedLoss {
  std::uint64_t seed = 0;
  std::string problem;    ///< the problem's id
  std::string case_name;  ///< the case's name
  std::string message;    ///< what the judge said
  std::string diagnosis;  ///< the likely mistake it named
};

/// What the sweep found.
struct SeedSweepResult {
  bool built = false;                     ///< the submission compiled
  std::string build_errors;               ///< when it did not
  std::size_t seeds = 0;                  ///< seeds graded
  std::size_t seeds_with_full_marks = 0;  ///< seeds on which every case of every problem passed
  std::size_t probe_runs = 0;             ///< probe processes started
  std::size_t tasks = 0;                  ///< tasks run over all seeds
  std::vector<SeedLoss> losses;           ///< every failed case on every seed (the first 1000)
  std::size_t loss_count = 0;             ///< all of them, counted
  std::vector<std::string> staff_notes;   ///< the oracles disagreed (the first 100)
  std::size_t note_count = 0;             ///< all of them, counted
};

/// Builds the submission once and grades it on every seed; throws GraderError
/// for a fault of the grader's input (bad spec, missing submission).
SeedSweepResult sweep_seeds(const SeedSweepOptions& options);

}  // namespace grader
