#pragma once
/// \file From a problem spec to concrete probe tasks: points, matrices, seeds.
///
/// Every random input is drawn here, in the grader, from the grading seed, the
/// problem id and the case's own seed, so the same submission gets the same
/// tasks (and score) every time and the seed can be recorded in the results.

#include <cstdint>
#include <string>
#include <vector>

#include "grader/protocol.hpp"
#include "grader/spec.hpp"

namespace grader {

/// One case of a problem, as planned.
struct PlannedCase {
  std::size_t spec_index = 0;          ///< index into ProblemSpec::cases
  Visibility visibility = Visibility::visible;
  double max_score = 0.0;              ///< points of the case
  std::vector<std::size_t> tasks;      ///< indices into Plan::tasks
};

/// What one problem runs: tasks for the probe, grouped into cases.
struct Plan {
  const ProblemSpec* problem = nullptr;   ///< the spec (outlives the plan)
  std::uint64_t seed = 0;                 ///< the grading seed
  std::vector<protocol::Task> tasks;      ///< in run order
  std::vector<std::string> labels;        ///< per task, for messages: "at (x1, x2) = (2, 5)"
  std::vector<std::size_t> task_case;     ///< per task, the index into `cases`
  std::vector<PlannedCase> cases;         ///< in spec order
};

/// Plans a problem. With `visible_only`, cases that are not visible are left out
/// (students' `grader check`); their points still count in max_score of the others? No:
/// points are shared among the planned cases' weights only when visible_only is false;
/// with visible_only each case keeps the points it has in the full problem.
Plan plan_problem(const ProblemSpec& problem, std::uint64_t seed, bool visible_only);

/// A uniform double in [low, high] from a stream named by (seed, problem id, case seed, counter).
class Draw {
 public:
  Draw(std::uint64_t grading_seed, const std::string& problem_id, std::uint64_t case_seed);
  double uniform(double low, double high);   ///< the next value
 private:
  std::uint64_t state_;
};

}  // namespace grader
