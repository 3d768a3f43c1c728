// grader validate: lint problem specs.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "grader/spec.hpp"

namespace grader::cli {

namespace {

struct ValidateOptions {
  std::string dir;
};

int run_validate(const ValidateOptions& o) {
  const std::filesystem::path dir = o.dir.empty() ? default_problems() : std::filesystem::path(o.dir);
  const auto issues = validate_problems(dir);
  for (const auto& i : issues) std::cout << i.message << "\n";
  if (issues.empty()) std::cout << dir.string() << ": every problem spec is valid\n";
  return issues.empty() ? exit_ok : exit_failed;
}

}  // namespace

Command setup_validate(CLI::App& app) {
  auto o = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand("validate", "Lint problem specs");
  cmd->add_option("dir", o->dir, "folder of problem specs (default: ./problems, else the project's)");
  return {cmd, [o] { return run_validate(*o); }};
}

}  // namespace grader::cli
