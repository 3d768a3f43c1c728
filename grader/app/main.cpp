// The grader's command line: the only user of CLI11. Each subcommand has an
// options struct, a setup_… function binding flags to it and a run_… function.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "grader/assign.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/grade.hpp"
#include "grader/report.hpp"
#include "grader/spec.hpp"

namespace fs = std::filesystem;

namespace {

/// Exit codes (documented in the README).
enum Exit : int {
  exit_ok = 0,           ///< done; for check: every visible test passed
  exit_failed = 1,       ///< check: a visible test failed; grade: score below --fail-under; validate/assign: problems found
  exit_usage = 2,        ///< bad command line
  exit_grader_error = 3  ///< the grader could not do its job (a results file still says why)
};

/// The default problems folder: ./problems when it exists, else the project's.
fs::path default_problems() {
  std::error_code ec;
  if (fs::is_directory("problems", ec)) return "problems";
  return fs::path(ADC_SOURCE_DIR) / "problems";
}

grader::SandboxMode parse_mode(const std::string& s) {
  if (s == "bubblewrap") return grader::SandboxMode::bubblewrap;
  if (s == "rlimits") return grader::SandboxMode::rlimits_only;
  return grader::SandboxMode::automatic;
}

struct CommonOptions {
  std::string problems;
  std::uint64_t seed = 20261122;
  std::string sandbox = "auto";
  bool quiet = false;
};

void add_common(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--problems", o.problems, "folder of problem specs (default: ./problems, else the project's)");
  cmd->add_option("--seed", o.seed, "grading seed for the random cases (recorded in the results)")->capture_default_str();
  cmd->add_option("--sandbox", o.sandbox, "isolation: auto (bubblewrap when usable), bubblewrap, rlimits")
      ->check(CLI::IsMember({"auto", "bubblewrap", "rlimits"}))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o.quiet, "no progress lines on stderr");
}

grader::GradeOptions grade_options(const std::string& dir, const CommonOptions& o, bool visible_only) {
  grader::GradeOptions g;
  g.submission = dir;
  g.problems = o.problems.empty() ? default_problems() : fs::path(o.problems);
  g.installation = grader::find_installation();
  g.visible_only = visible_only;
  g.seed = o.seed;
  g.sandbox = parse_mode(o.sandbox);
  if (!o.quiet) g.progress = [](const std::string& line) { std::cerr << "grader: " << line << "\n"; };
  return g;
}

// ---------------------------------------------------------------- check

struct CheckOptions {
  std::string dir = ".";
  CommonOptions common;
};

void setup_check(CLI::App& app, CheckOptions& o) {
  auto* cmd = app.add_subcommand("check", "Students: build your code and run the visible tests");
  cmd->add_option("dir", o.dir, "your submission folder (laid out like student_template/)")->capture_default_str();
  add_common(cmd, o.common);
}

int run_check(const CheckOptions& o) {
  try {
    const grader::GradeReport r = grader::grade_submission(grade_options(o.dir, o.common, true));
    grader::TerminalOptions t;
    t.color = grader::want_color(STDOUT_FILENO);
    t.show_hidden = false;
    grader::print_terminal(r, std::cout, t);
    for (const auto& test : r.tests)
      if (!test.passed) return exit_failed;
    return exit_ok;
  } catch (const grader::GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

// ---------------------------------------------------------------- grade

struct GradeCmdOptions {
  std::string dir;
  std::string out = "results.json";
  std::string junit;
  std::optional<double> fail_under;
  bool print = true;
  CommonOptions common;
};

void setup_grade(CLI::App& app, GradeCmdOptions& o) {
  auto* cmd = app.add_subcommand("grade", "Instructors and CI: run every test and write Gradescope results");
  cmd->add_option("dir", o.dir, "the submission folder")->required();
  cmd->add_option("-o,--out", o.out, "Gradescope results.json to write (atomically)")->capture_default_str();
  cmd->add_option("--junit", o.junit, "also write JUnit XML here");
  cmd->add_option("--fail-under", o.fail_under, "exit 1 when the score is below this many points");
  cmd->add_flag("!--no-report", o.print, "do not print the report on stdout");
  add_common(cmd, o.common);
}

int run_grade(const GradeCmdOptions& o) {
  grader::GradeReport r;
  int code = exit_ok;
  try {
    r = grader::grade_submission(grade_options(o.dir, o.common, false));
  } catch (const grader::GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    r = grader::grader_failure_report(o.dir, e.what());
    code = exit_grader_error;
  } catch (const std::exception& e) {
    std::cerr << "grader: internal error: " << e.what() << "\n";
    r = grader::grader_failure_report(o.dir, std::string("internal error: ") + e.what());
    code = exit_grader_error;
  }
  // Whatever happened above, a valid results file is written.
  try {
    grader::write_gradescope(r, o.out);
    if (!o.junit.empty()) grader::write_junit(r, o.junit);
  } catch (const grader::GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
  if (o.print) {
    grader::TerminalOptions t;
    t.color = grader::want_color(STDOUT_FILENO);
    grader::print_terminal(r, std::cout, t);
  }
  if (code == exit_ok && o.fail_under && r.score < *o.fail_under) {
    std::cerr << "grader: score " << r.score << " is below --fail-under " << *o.fail_under << "\n";
    code = exit_failed;
  }
  return code;
}

// ---------------------------------------------------------------- validate

struct ValidateOptions {
  std::string dir;
};

void setup_validate(CLI::App& app, ValidateOptions& o) {
  auto* cmd = app.add_subcommand("validate", "Lint problem specs");
  cmd->add_option("dir", o.dir, "folder of problem specs (default: ./problems, else the project's)");
}

int run_validate(const ValidateOptions& o) {
  const fs::path dir = o.dir.empty() ? default_problems() : fs::path(o.dir);
  const auto issues = grader::validate_problems(dir);
  for (const auto& i : issues) std::cout << i.message << "\n";
  if (issues.empty()) std::cout << dir.string() << ": every problem spec is valid\n";
  return issues.empty() ? exit_ok : exit_failed;
}

// ---------------------------------------------------------------- assign

struct AssignOptions {
  std::string reference = std::string(ADC_SOURCE_DIR) + "/reference";
  std::string out = std::string(ADC_SOURCE_DIR) + "/student_template";
  std::string problems_out;
  std::string problems;
  bool check = false;
};

void setup_assign(CLI::App& app, AssignOptions& o) {
  auto* cmd = app.add_subcommand("assign", "Instructors: generate the student template from the reference's solution markers");
  cmd->add_option("--reference", o.reference, "the reference implementation")->capture_default_str();
  cmd->add_option("--out", o.out, "where the template goes (include/ and src/ are rewritten)")->capture_default_str();
  cmd->add_option("--problems", o.problems, "problem specs to publish (default: ./problems, else the project's)");
  cmd->add_option("--problems-out", o.problems_out, "write the students' copy of the specs here (hidden cases removed)");
  cmd->add_flag("--check", o.check, "write nothing; exit 1 when the template differs from what would be generated");
}

int run_assign(const AssignOptions& o) {
  try {
    if (o.check) {
      const auto drift = grader::template_drift(o.reference, o.out);
      for (const auto& d : drift) std::cout << d << "\n";
      if (drift.empty()) std::cout << o.out << ": in sync with " << o.reference << "\n";
      return drift.empty() ? exit_ok : exit_failed;
    }
    const auto written = grader::generate_template(o.reference, o.out);
    std::cout << "wrote " << written.size() << " files under " << o.out << "\n";
    if (!o.problems_out.empty()) {
      const fs::path src = o.problems.empty() ? default_problems() : fs::path(o.problems);
      fs::create_directories(o.problems_out);
      std::size_t n = 0;
      for (const auto& p : grader::load_problems(src)) {
        const auto text = grader::visible_spec_text(p);
        if (!text) continue;
        grader::write_file_atomically(fs::path(o.problems_out) / p.file.filename(), *text);
        ++n;
      }
      std::cout << "wrote " << n << " visible problem specs under " << o.problems_out << "\n";
    }
    return exit_ok;
  } catch (const grader::GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"adcourse grader: grades automatic-differentiation submissions"};
  app.require_subcommand(1);
  CheckOptions check;
  GradeCmdOptions grade;
  ValidateOptions validate;
  AssignOptions assign;
  setup_check(app, check);
  setup_grade(app, grade);
  setup_validate(app, validate);
  setup_assign(app, assign);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  if (app.got_subcommand("check")) return run_check(check);
  if (app.got_subcommand("grade")) return run_grade(grade);
  if (app.got_subcommand("validate")) return run_validate(validate);
  if (app.got_subcommand("assign")) return run_assign(assign);
  return exit_usage;
}
