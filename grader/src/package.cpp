// Gradescope's autograder.zip: the grader is built from source on
// Gradescope's image (its Ubuntu is not this Debian, so a binary built here
// may not run there), by setup.sh, once per autograder.
#include "grader/package.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/spec.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

/// What never goes into the package: hidden files (.git), build folders,
/// the tests, the project's own problems (replaced by the ones given) and
/// zips (an earlier autograder.zip).
bool skipped_at_top(const std::string& name) {
  return name.empty() || name.front() == '.' || name.rfind("build", 0) == 0 || name == "tests" || name == "problems" ||
         (name.size() > 4 && name.compare(name.size() - 4, 4, ".zip") == 0);
}

/// Copies the regular files of `from` into `to`, hidden entries left out.
void copy_tree(const fs::path& from, const fs::path& to, std::vector<std::string>& listed, const fs::path& top) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(from, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    const std::string name = p.filename().string();
    if (name.empty() || name.front() == '.' || fs::is_symlink(p, ec)) continue;
    if (fs::is_directory(p, ec)) {
      fs::create_directories(to / name, ec);
      copy_tree(p, to / name, listed, top);
    } else if (fs::is_regular_file(p, ec)) {
      fs::copy_file(p, to / name, fs::copy_options::overwrite_existing, ec);
      if (ec) throw GraderError("cannot copy \"" + p.string() + "\" into the package: " + ec.message());
      listed.push_back(fs::relative(to / name, top).string());
    }
  }
}

/// Runs `argv` (argv[0] looked up in PATH) in `dir`; returns its exit code, or -1.
int run_in(const std::vector<std::string>& argv, const fs::path& dir) {
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::vector<std::string> package_gradescope(const PackageOptions& o) {
  std::error_code ec;
  const fs::path platform = o.project / "grader" / "platforms" / "gradescope";
  for (const char* f : {"setup.sh", "run_autograder"})
    if (!fs::is_regular_file(platform / f, ec))
      throw GraderError("\"" + (platform / f).string() + "\" is missing; pass the project's root folder (--project) "
                        "that holds grader/platforms/gradescope/");
  if (!fs::is_regular_file(o.project / "CMakeLists.txt", ec))
    throw GraderError("\"" + o.project.string() + "\" is not the project's root (no CMakeLists.txt); pass it with --project");
  // A bad spec fails here, not on Gradescope in front of every student.
  load_problems(o.problems);

  const TempFolder stage("adcourse-package", "package", "stage the package in");
  const fs::path top = stage.path() / "autograder";
  fs::create_directories(top, ec);
  std::vector<std::string> listed;
  for (const char* f : {"setup.sh", "run_autograder"}) {
    fs::copy_file(platform / f, top / f, fs::copy_options::overwrite_existing, ec);
    if (ec) throw GraderError("cannot copy \"" + (platform / f).string() + "\": " + ec.message());
    // Gradescope runs both directly: they must be executable inside the zip.
    ::chmod((top / f).c_str(), 0755);
    listed.push_back(f);
  }
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(o.project, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    const std::string name = p.filename().string();
    if (skipped_at_top(name) || name == "setup.sh" || name == "run_autograder" || fs::is_symlink(p, ec)) continue;
    if (fs::is_directory(p, ec)) {
      fs::create_directories(top / name, ec);
      copy_tree(p, top / name, listed, top);
    } else if (fs::is_regular_file(p, ec)) {
      fs::copy_file(p, top / name, fs::copy_options::overwrite_existing, ec);
      listed.push_back(name);
    }
  }
  fs::create_directories(top / "problems", ec);
  for (const auto& e : fs::directory_iterator(o.problems, ec)) {
    if (e.path().extension() != ".json") continue;
    fs::copy_file(e.path(), top / "problems" / e.path().filename(), fs::copy_options::overwrite_existing, ec);
    listed.push_back("problems/" + e.path().filename().string());
  }

  const fs::path zip = stage.path() / "autograder.zip";
  const int code = run_in({"zip", "-q", "-r", "-X", zip.string(), "."}, top);
  if (code != 0 || !fs::exists(zip, ec))
    throw GraderError(code == 127 ? "cannot make the zip: the `zip` program is missing; install it (apt-get install zip)"
                                  : "cannot make the zip: `zip` exited with code " + std::to_string(code));
  write_file_atomically(o.out, read_file(zip));
  std::sort(listed.begin(), listed.end());
  return listed;
}

}  // namespace grader
