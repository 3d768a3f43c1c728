// grader grade: instructors and CI run every test and write Gradescope results.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "grader/error.hpp"
#include "grader/report.hpp"

namespace grader::cli {

namespace {

struct GradeCmdOptions {
  std::string dir;
  std::string out = "results.json";
  std::string junit;
  std::optional<double> fail_under;
  bool print = true;
  CommonOptions common;
};

int run_grade(const GradeCmdOptions& o) {
  GradeReport r;
  int code = exit_ok;
  try {
    r = grade_submission(grade_options(o.dir, o.common, false));
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    r = grader_failure_report(o.dir, e.what());
    code = exit_grader_error;
  } catch (const std::exception& e) {
    std::cerr << "grader: internal error: " << e.what() << "\n";
    r = grader_failure_report(o.dir, std::string("internal error: ") + e.what());
    code = exit_grader_error;
  }
  // Whatever happened above, a valid results file is written.
  try {
    write_gradescope(r, o.out);
    if (!o.junit.empty()) write_junit(r, o.junit);
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
  if (o.print) {
    TerminalOptions t;
    t.color = want_color(STDOUT_FILENO);
    print_terminal(r, std::cout, t);
  }
  if (code == exit_ok && o.fail_under && r.score < *o.fail_under) {
    std::cerr << "grader: score " << r.score << " is below --fail-under " << *o.fail_under << "\n";
    code = exit_failed;
  }
  return code;
}

}  // namespace

Command setup_grade(CLI::App& app) {
  auto o = std::make_shared<GradeCmdOptions>();
  auto* cmd = app.add_subcommand("grade", "Instructors and CI: run every test and write Gradescope results");
  cmd->add_option("dir", o->dir, "the submission folder")->required();
  cmd->add_option("-o,--out", o->out, "Gradescope results.json to write (atomically)")->capture_default_str();
  cmd->add_option("--junit", o->junit, "also write JUnit XML here");
  cmd->add_option("--fail-under", o->fail_under, "exit 1 when the score is below this many points");
  cmd->add_flag("!--no-report", o->print, "do not print the report on stdout");
  add_common(cmd, o->common);
  return {cmd, [o] { return run_grade(*o); }};
}

}  // namespace grader::cli
