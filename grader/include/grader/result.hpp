#pragma once
/// \file The one result model: what grading a submission found.
///
/// The judge fills it, the reporters format it; nothing else computes a score.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grader {

/// Who sees a test on Gradescope (the values of its autograder specification).
enum class Visibility { visible, hidden, after_due_date, after_published };

/// "visible", "hidden", "after_due_date", "after_published".
std::string to_string(Visibility v);
/// The inverse of to_string; nullopt for anything else.
std::optional<Visibility> parse_visibility(const std::string& text);

/// The verdict on one case of a problem.
struct CaseResult {
  std::string name;        ///< what the case checks, e.g. "sin(x1) at x1 = 0.5"
  double score = 0.0;      ///< points earned
  double max_score = 0.0;  ///< points available
  bool passed = false;     ///< earned its points in full
  std::string message;     ///< for the student: what happened (input, entry, expected, got, errors)
  std::string diagnosis;   ///< the likely mistake when it is a known one, else empty
  bool not_implemented = false;  ///< every failing check said "not implemented yet"
  std::string oracle_note;       ///< for staff: finite differences and the reference disagreed (a bad case)
};

/// One problem graded: one entry of Gradescope's tests[].
struct TestResult {
  std::string problem_id;          ///< the spec's id
  std::string name;                ///< the spec's title
  std::string number;              ///< "1", "2", … in problem order
  double score = 0.0;              ///< points earned
  double max_score = 0.0;          ///< points available
  bool passed = false;             ///< earned its points in full
  std::string output;              ///< summary for the student (cases are listed apart)
  Visibility visibility = Visibility::visible;
  std::vector<std::string> tags;   ///< what it exercises, e.g. "forward-mode"
  double seconds = 0.0;            ///< wall time of its runs
  std::vector<CaseResult> cases;   ///< one per case, in spec order
  std::string child_stdout;        ///< what the submission printed (capped); shown for visible tests only
  std::string child_stderr;        ///< what it printed to stderr (capped); visible tests only
};

/// Everything grading one submission found.
struct GradeReport {
  std::string submission;          ///< the folder graded
  double score = 0.0;              ///< total points earned
  double max_score = 0.0;          ///< total points available
  double execution_time = 0.0;     ///< seconds, build included
  double run_seconds = 0.0;        ///< wall-clock seconds of the probe runs alone (what --time-limit bounds)
  std::string output;              ///< top-level message (build status, grader faults)
  std::vector<TestResult> tests;   ///< one per problem, then "compilation" when the build failed
  std::uint64_t seed = 0;          ///< the seed every random case was drawn from
  bool grader_error = false;       ///< true when the grader itself failed (the output says why)
  std::vector<std::string> staff_notes;  ///< for instructors only (never in students' output): suspicious cases
};

}  // namespace grader
