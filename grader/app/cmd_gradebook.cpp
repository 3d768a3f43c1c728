// grader gradebook: merge the results of several batch runs (shards, machines) into one gradebook.
#include <iostream>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "grader/error.hpp"
#include "grader/gradebook.hpp"

namespace grader::cli {

namespace {

struct GradebookOptions {
  std::vector<std::string> dirs;
  std::string out = "gradebook";
};

int run_gradebook(const GradebookOptions& o) {
  try {
    std::vector<std::filesystem::path> dirs(o.dirs.begin(), o.dirs.end());
    const Gradebook book = load_gradebook(dirs);
    for (const auto& w : book.warnings) std::cerr << "grader: warning: " << w << "\n";
    const GradebookFiles files = write_gradebook(book, o.out);
    std::size_t students = 0;
    for (const auto& r : book.records) students += r.submitters.size();
    std::cout << students << " students in " << book.records.size() << " submissions from " << dirs.size()
              << " folder(s)\ngradebook: " << files.csv.string() << "\nsummary:   " << files.summary.string() << "\n";
    if (!files.histogram.empty()) std::cout << "histogram: " << files.histogram.string() << "\n";
    if (!files.note.empty()) std::cout << "note: " << files.note << "\n";
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_gradebook(CLI::App& app) {
  auto o = std::make_shared<GradebookOptions>();
  auto* cmd = app.add_subcommand("gradebook", "Instructors: merge the results of batch runs (shards, machines) into one gradebook");
  cmd->add_option("dirs", o->dirs, "batch folders written by `grader batch --out DIR`")->required();
  cmd->add_option("-o,--out", o->out, "folder for gradebook.csv, summary.md and histogram.png")->capture_default_str();
  return {cmd, [o] { return run_gradebook(*o); }};
}

}  // namespace grader::cli
