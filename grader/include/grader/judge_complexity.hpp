#pragma once
/// \file The judge of complexity problems: does the cost of a submission's
/// forward or reverse mode grow like the reference's?
///
/// A timing task's reply holds, per size, the submission's and the
/// reference's CPU time per call, measured in the same process (see
/// grader/timing.hpp). The verdict looks at their ratio only: its fitted
/// exponent against the size (the ratio of a correct submission stays about
/// constant, whatever the machine's load) must not exceed the case's
/// max_exponent, and every size must have been measured within the budget.
/// The submission's result at the first size is checked against the
/// reference too, so that a fast but wrong computation does not pass.

#include <cstddef>
#include <optional>
#include <string>

#include "grader/judge.hpp"
#include "grader/plan.hpp"

namespace grader {

/// Judges task `task` of a complexity problem's plan (a protocol::TaskKind::timing task).
TaskVerdict judge_complexity(const Plan& plan, std::size_t task, const TaskOutcome& outcome);

/// The verdict on a task that got no numbers (the run failed during it, or
/// the probe replied with an error such as not implemented), "label: what
/// happened"; nothing when the reply holds numbers to judge. Shared by the
/// judges of every kind (judge.cpp).
std::optional<TaskVerdict> verdict_without_numbers(const std::string& label, const TaskOutcome& outcome);

}  // namespace grader
