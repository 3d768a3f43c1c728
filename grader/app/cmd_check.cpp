// grader check: students build their code and run the visible tests.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "commands.hpp"
#include "grader/error.hpp"
#include "grader/report.hpp"

namespace grader::cli {

namespace {

struct CheckOptions {
  std::string dir = ".";
  CommonOptions common;
};

int run_check(const CheckOptions& o) {
  try {
    const GradeReport r = grade_submission(grade_options(o.dir, o.common, true));
    TerminalOptions t;
    t.color = want_color(STDOUT_FILENO);
    t.show_hidden = false;
    print_terminal(r, std::cout, t);
    for (const auto& test : r.tests)
      if (!test.passed) return exit_failed;
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_check(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check", "Students: build your code and run the visible tests");
  cmd->add_option("dir", o->dir, "your submission folder (laid out like student_template/)")->capture_default_str();
  add_common(cmd, o->common);
  return {cmd, [o] { return run_check(*o); }};
}

}  // namespace grader::cli
