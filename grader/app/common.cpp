// What the grading subcommands share.
#include <filesystem>
#include <iostream>

#include "commands.hpp"

namespace grader::cli {

namespace fs = std::filesystem;

fs::path default_problems() {
  std::error_code ec;
  if (fs::is_directory("problems", ec)) return "problems";
  return fs::path(ADC_SOURCE_DIR) / "problems";
}

SandboxMode parse_mode(const std::string& text) {
  if (text == "bubblewrap") return SandboxMode::bubblewrap;
  if (text == "rlimits") return SandboxMode::rlimits_only;
  return SandboxMode::automatic;
}

void add_common(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--problems", o.problems, "folder of problem specs (default: ./problems, else the project's)");
  cmd->add_option("--seed", o.seed, "grading seed for the random cases (recorded in the results)")->capture_default_str();
  cmd->add_option("--sandbox", o.sandbox, "isolation: auto (bubblewrap when usable), bubblewrap, rlimits")
      ->check(CLI::IsMember({"auto", "bubblewrap", "rlimits"}))
      ->capture_default_str();
  cmd->add_option("--time-limit", o.time_limit,
                  "wall-clock seconds all runs of one submission may take together (its build not counted)")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o.quiet, "no progress lines on stderr");
}

GradeOptions grade_options(const std::string& dir, const CommonOptions& o, bool visible_only) {
  GradeOptions g;
  g.submission = dir;
  g.problems = o.problems.empty() ? default_problems() : fs::path(o.problems);
  g.installation = find_installation();
  g.visible_only = visible_only;
  g.seed = o.seed;
  g.sandbox = parse_mode(o.sandbox);
  g.time_limit_seconds = o.time_limit;
  if (!o.quiet) g.progress = [](const std::string& line) { std::cerr << "grader: " << line << "\n"; };
  return g;
}

}  // namespace grader::cli
