// grader package: the grader packaged for a grading platform (Gradescope).
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "grader/error.hpp"
#include "grader/package.hpp"

namespace grader::cli {

namespace {

struct PackageCmdOptions {
  std::string platform;
  std::string out = "autograder.zip";
  std::string problems;
  std::string project = ADC_SOURCE_DIR;
};

int run_package(const PackageCmdOptions& o) {
  try {
    PackageOptions p;
    p.project = o.project;
    p.problems = o.problems.empty() ? default_problems() : std::filesystem::path(o.problems);
    p.out = o.out;
    const auto files = package_gradescope(p);
    std::cout << "wrote " << o.out << " (" << files.size() << " files): upload it as the autograder of a Gradescope "
              << "programming assignment (base image: Ubuntu 22.04 or newer)\n";
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_package(CLI::App& app) {
  auto o = std::make_shared<PackageCmdOptions>();
  auto* cmd = app.add_subcommand("package", "Instructors: package the grader for a grading platform (gradescope)");
  cmd->add_option("platform", o->platform, "the platform: gradescope")->required()->check(CLI::IsMember({"gradescope"}));
  cmd->add_option("-o,--out", o->out, "the zip to write")->capture_default_str();
  cmd->add_option("--problems", o->problems, "problem specs to grade with (default: ./problems, else the project's)");
  cmd->add_option("--project", o->project, "the project's root, built from source on the platform")->capture_default_str();
  return {cmd, [o] { return run_package(*o); }};
}

}  // namespace grader::cli
