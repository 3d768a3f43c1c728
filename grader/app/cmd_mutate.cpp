// grader mutate: mutation testing of the problem set. Every mutant of the
// reference's solution regions is graded; the score says how many the
// problems catch, and the report names the survivors and who should catch them.
#include <iostream>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/mutate.hpp"

namespace grader::cli {

namespace {

struct MutateCmdOptions {
  std::string reference = std::string(ADC_SOURCE_DIR) + "/reference";
  std::string out;
  std::vector<std::string> only;
  std::size_t limit = 0;
  unsigned jobs = 1;
  bool list = false;
  bool verbose = false;
  bool with_timing = false;
  CommonOptions common;
};

int run_mutate(const MutateCmdOptions& o) {
  try {
    if (o.list) {
      for (const Mutant& m : generate_mutants(o.reference)) {
        bool keep = o.only.empty();
        for (const std::string& s : o.only) keep = keep || m.id.find(s) != std::string::npos;
        if (keep) std::cout << m.id << " [" << to_string(m.kind) << "] " << m.summary << "\n";
      }
      return exit_ok;
    }
    MutateOptions m;
    m.reference = o.reference;
    m.problems = o.common.problems.empty() ? default_problems() : std::filesystem::path(o.common.problems);
    m.installation = find_installation();
    m.seed = o.common.seed;
    m.sandbox = parse_mode(o.common.sandbox);
    m.time_limit_seconds = o.common.time_limit;
    m.jobs = o.jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : o.jobs;
    m.only = o.only;
    m.limit = o.limit;
    m.with_timing = o.with_timing;
    if (!o.common.quiet) m.progress = [](const std::string& line) { std::cerr << "grader: " << line << "\n"; };
    const MutationReport report = run_mutation(m);
    std::cout << format_mutation_report(report, o.verbose);
    if (!o.out.empty()) write_file_atomically(o.out, mutation_report_json(report));
    return report.survived == 0 ? exit_ok : exit_failed;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_mutate(CLI::App& app) {
  auto o = std::make_shared<MutateCmdOptions>();
  auto* cmd = app.add_subcommand(
      "mutate", "Instructors: grade mutants of the reference; the score says how many mistakes the problems catch");
  cmd->add_option("--reference", o->reference, "the reference implementation to mutate")->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "mutants graded at once (0: one per core)")->capture_default_str();
  cmd->add_option("--only", o->only, "only the mutants whose id contains this text (repeatable)");
  cmd->add_option("--limit", o->limit, "grade at most this many mutants");
  cmd->add_option("-o,--out", o->out, "also write the full report as JSON here");
  cmd->add_flag("--list", o->list, "list the mutants (id, class, edit) without grading them");
  cmd->add_flag("-v,--verbose", o->verbose, "show every caught mutant with its feedback");
  cmd->add_flag("--with-timing", o->with_timing,
                "also grade the problems that time the submission (complexity; seconds per mutant)");
  add_common(cmd, o->common);
  return {cmd, [o] { return run_mutate(*o); }};
}

}  // namespace grader::cli
