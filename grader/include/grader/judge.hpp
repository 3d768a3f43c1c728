#pragma once
/// \file The judge: verdicts from the numbers a probe returned.
///
/// Runs in the grader's own process and never starts one. For every task it
/// recomputes what the answer must be from the task's inputs: the true
/// function in plain doubles with central finite differences (the independent
/// oracle), and the reference AD (the tight oracle). A result within the
/// problem's tolerance of the reference passes; one that only matches finite
/// differences is reported as approximate; known mistakes (wrong sign, missing
/// transpose, overwritten accumulation, …) are named.

#include <string>
#include <vector>

#include "grader/plan.hpp"
#include "grader/protocol.hpp"
#include "grader/result.hpp"

namespace grader {

/// How one task ended in the probe.
struct TaskOutcome {
  enum class State {
    replied,  ///< the probe sent a reply (values or an error)
    failed,   ///< the probe died or hung during this task
    not_run,  ///< never attempted (earlier failures used up the budget)
  };
  State state = State::not_run;
  protocol::Reply reply;   ///< when replied
  std::string failure;     ///< when failed or not_run: what happened, in words for a student
};

/// The verdict on one task.
struct TaskVerdict {
  bool passed = false;
  std::string message;    ///< what was wrong: input, entry, expected, got, errors
  std::string diagnosis;  ///< the likely mistake, when known
  bool not_implemented = false;  ///< the submission said "not implemented yet"
  std::string oracle_note;       ///< for staff: the two oracles disagreed on this task (a bad case, not the student)
};

/// Judges one task of a plan.
TaskVerdict judge_task(const Plan& plan, std::size_t task, const TaskOutcome& outcome);

/// Judges every case of a plan: a case earns its points when all its tasks pass.
std::vector<CaseResult> judge_plan(const Plan& plan, const std::vector<TaskOutcome>& outcomes);

}  // namespace grader
