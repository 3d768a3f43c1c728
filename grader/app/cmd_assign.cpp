// grader assign: generate the student template from the reference's solution markers.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "grader/assign.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/spec.hpp"

namespace grader::cli {

namespace {

namespace fs = std::filesystem;

struct AssignOptions {
  std::string reference = std::string(ADC_SOURCE_DIR) + "/reference";
  std::string out = std::string(ADC_SOURCE_DIR) + "/student_template";
  std::string problems_out;
  std::string problems;
  bool check = false;
};

int run_assign(const AssignOptions& o) {
  try {
    if (o.check) {
      const auto drift = template_drift(o.reference, o.out);
      for (const auto& d : drift) std::cout << d << "\n";
      if (drift.empty()) std::cout << o.out << ": in sync with " << o.reference << "\n";
      else std::cout << "run `build/bin/grader assign` to regenerate the template\n";
      return drift.empty() ? exit_ok : exit_failed;
    }
    const auto written = generate_template(o.reference, o.out);
    std::cout << "wrote " << written.size() << " files under " << o.out << "\n";
    if (!o.problems_out.empty()) {
      const fs::path src = o.problems.empty() ? default_problems() : fs::path(o.problems);
      fs::create_directories(o.problems_out);
      std::size_t n = 0;
      for (const auto& p : load_problems(src)) {
        const auto text = visible_spec_text(p);
        if (!text) continue;
        write_file_atomically(fs::path(o.problems_out) / p.file.filename(), *text);
        ++n;
      }
      std::cout << "wrote " << n << " visible problem specs under " << o.problems_out << "\n";
    }
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_assign(CLI::App& app) {
  auto o = std::make_shared<AssignOptions>();
  auto* cmd = app.add_subcommand("assign", "Instructors: generate the student template from the reference's solution markers");
  cmd->add_option("--reference", o->reference, "the reference implementation")->capture_default_str();
  cmd->add_option("--out", o->out, "where the template goes (include/ and src/ are rewritten)")->capture_default_str();
  cmd->add_option("--problems", o->problems, "problem specs to publish (default: ./problems, else the project's)");
  cmd->add_option("--problems-out", o->problems_out, "write the students' copy of the specs here (hidden cases removed)");
  cmd->add_flag("--check", o->check, "write nothing; exit 1 when the template differs from what would be generated");
  return {cmd, [o] { return run_assign(*o); }};
}

}  // namespace grader::cli
