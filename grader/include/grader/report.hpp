#pragma once
/// \file Reporters: the result model formatted for Gradescope, CI (JUnit XML)
/// and the terminal. They only format; no reporter computes a score.

#include <cstddef>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grader/result.hpp"

namespace grader {

/// Bytes of a child's stdout or stderr shown to a student, per stream and test.
inline constexpr std::size_t kShownOutputBytes = 4096;

/// The report as Gradescope's autograder results.json (score, execution_time,
/// output, visibility, stdout_visibility, tests, extra_data with the seed).
/// Non-finite numbers become 0 with a note; every string is valid UTF-8.
nlohmann::json to_gradescope_json(const GradeReport& report);

/// Every way `results` breaks Gradescope's results.json format, one sentence
/// each naming the field (e.g. `tests[0].status must be "passed" or "failed"
/// (got "ok")`); empty when it is valid.
std::vector<std::string> validate_gradescope_json(const nlohmann::json& results);

/// Writes to_gradescope_json(report) to `path` atomically, indented by 2.
void write_gradescope(const GradeReport& report, const std::filesystem::path& path);

/// The report as JUnit XML for CI test reporters: one <testsuite> per problem,
/// one <testcase> per case, score and max_score as suite properties.
std::string to_junit_xml(const GradeReport& report);

/// Writes to_junit_xml(report) to `path` atomically.
void write_junit(const GradeReport& report, const std::filesystem::path& path);

/// How print_terminal shows a report.
struct TerminalOptions {
  bool color = false;       ///< ANSI colours (see want_color)
  bool show_hidden = true;  ///< list non-visible tests; otherwise only count them
  bool show_output = true;  ///< show what visible tests' programs printed
};

/// Prints the report for a person at a terminal: header, one line per
/// problem, failing cases with their likely mistake, closing counts.
void print_terminal(const GradeReport& report, std::ostream& out, const TerminalOptions& options);

/// Whether output to `fd` should be coloured: it is a terminal, NO_COLOR is
/// unset or empty (no-color.org), and TERM is not "dumb".
bool want_color(int fd);

}  // namespace grader
