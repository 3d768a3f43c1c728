// grader grade: instructors and CI run every test and write Gradescope results.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
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

/// An exclusive lock on ".<results file>.lock" beside the results file, held
/// while the grader runs and removed after: a second grader given the same
/// results file stops at once with an error, instead of racing the first and
/// silently replacing its results. Taking it also checks, before any grading,
/// that the results file can be written there.
class OutputLock {
 public:
  explicit OutputLock(const std::filesystem::path& out) {
    std::error_code ec;
    if (std::filesystem::is_directory(out, ec))
      throw GraderError("cannot write \"" + out.string() + "\": it is a folder; give the path of a file, e.g. \"" +
                        (out / "results.json").string() + "\"");
    const std::filesystem::path folder = out.has_parent_path() ? out.parent_path() : std::filesystem::path(".");
    path_ = (folder / ("." + out.filename().string() + ".lock")).string();
    for (;;) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd_ < 0)
        throw GraderError("cannot write \"" + out.string() + "\": " + std::strerror(errno) + " in folder \"" +
                          folder.string() + "\"; make sure the folder exists and is writable, or choose another --out");
      if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        throw GraderError("another grader is writing \"" + out.string() + "\" (it holds \"" + path_ +
                          "\"); wait for it to finish, or choose another --out");
      }
      // The previous holder may have removed the file between our open and
      // our lock: only a lock on the file still there counts.
      struct stat held {}, there {};
      if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &there) == 0 && held.st_ino == there.st_ino &&
          held.st_dev == there.st_dev)
        return;
      ::close(fd_);
    }
  }
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock() {
    if (fd_ < 0) return;
    ::unlink(path_.c_str());
    ::close(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

int run_grade(const GradeCmdOptions& o) {
  std::optional<OutputLock> lock;
  try {
    lock.emplace(o.out);
  } catch (const GraderError& e) {
    // No results file from us: it cannot be written, or it is another grader's.
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
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
