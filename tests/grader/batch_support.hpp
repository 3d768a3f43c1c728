#pragma once
// What the batch tests and the throughput program share: classes of
// submissions made from the fixtures of tests/fixtures/submissions (edits of
// reference/ or student_template/), quick problem specs, and running the
// grader as a child process.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/fsutil.hpp"
#include "test_support.hpp"

namespace batch_support {

namespace fs = std::filesystem;
using nlohmann::json;

using test_support::binary_dir;
using test_support::quick_problems;
using test_support::source_dir;
inline const fs::path grader_exe = binary_dir / "bin" / "grader";
/// The build cache the end-to-end tests share, so a fixture is compiled once per build tree.
inline const fs::path test_cache = binary_dir / "test-cache";

/// Test folders under build/batch-tmp.
struct TempDir : test_support::TempDir {
  explicit TempDir(const std::string& name) : test_support::TempDir("batch-tmp", name) {}
};

/// A small problem set with quick_problems()'s limits: one forward, one
/// reverse and one tensor problem. Batches test the machinery, not the
/// judge, so three problems do; a submission that loops forever (in the
/// backward sweep) then costs two runs out of time, not eight.
inline fs::path class_problems(const fs::path& dir) {
  const fs::path all = quick_problems(dir.parent_path() / (dir.filename().string() + "-all"));
  fs::create_directories(dir);
  for (const char* id : {"forward_rules", "reverse_rules", "vjp_matmul"}) {
    const fs::path spec = all / (std::string(id) + ".json");
    if (!fs::exists(spec)) throw std::runtime_error("problems/" + std::string(id) + ".json is gone: pick another problem");
    fs::copy_file(spec, dir / spec.filename(), fs::copy_options::overwrite_existing);
  }
  fs::remove_all(all);
  return dir;
}

/// The fixture tests/fixtures/submissions/<name>.json.
inline json fixture(const std::string& name) {
  return json::parse(grader::read_file(source_dir / "tests" / "fixtures" / "submissions" / (name + ".json")));
}

/// Writes fixture `name` as a submission folder `out` (its base's include/ and
/// src/ with the fixture's edits); `marker`, when given, is appended as a
/// comment to src/dual.cpp so that the submission is not byte-identical to
/// any other (and is compiled, not found in the build cache).
inline void materialize(const std::string& name, const fs::path& out, const std::string& marker = "") {
  const json f = fixture(name);
  const fs::path base = source_dir / f.at("base").get<std::string>();
  fs::create_directories(out);
  for (const char* sub : {"include", "src"})
    fs::copy(base / sub, out / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const json& edit : f.at("edits")) {
    const fs::path file = out / edit.at("file").get<std::string>();
    std::string text = grader::read_file(file);
    const std::string find = edit.at("find").get<std::string>();
    const auto at = text.find(find);
    if (at == std::string::npos || text.find(find, at + 1) != std::string::npos)
      throw std::runtime_error("fixture " + name + ": edit not found exactly once in " + file.string());
    text.replace(at, find.size(), edit.at("replace").get<std::string>());
    grader::write_file_atomically(file, text);
  }
  if (!marker.empty()) {
    const fs::path dual = out / "src" / "dual.cpp";
    grader::write_file_atomically(dual, grader::read_file(dual) + "\n// " + marker + "\n");
  }
}

/// The points of every problem in `problems` added up: the reference's score.
inline double total_points(const fs::path& problems) {
  double total = 0;
  for (const auto& e : fs::directory_iterator(problems))
    if (e.path().extension() == ".json") total += json::parse(grader::read_file(e.path())).at("points").get<double>();
  return total;
}

/// The reference's score with `problems`: every point, by design.
inline double full_marks(const fs::path& problems) { return total_points(problems); }

/// A score as the gradebook and the reports write it (12.5, 100).
inline std::string score_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

inline std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

/// Runs `command` with the shell, stdout and stderr into `out`; returns the exit code (-1 when killed).
inline int run_shell(const std::string& command, const fs::path& out) {
  const std::string cmd = "ADC_CACHE_DIR=" + quoted(test_cache) + " " + command + " > " + quoted(out) + " 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Runs the grader with `args` (already quoted); returns the exit code.
inline int run_grader(const std::string& args, const fs::path& out) {
  return run_shell(quoted(grader_exe) + " " + args, out);
}

/// Starts the grader with `args` as a child (stdout and stderr into `out`, the
/// build cache in `cache`) and returns its pid.
inline pid_t spawn_grader(const std::vector<std::string>& args, const fs::path& out, const fs::path& cache = test_cache) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setenv("ADC_CACHE_DIR", cache.c_str(), 1);
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
  std::vector<std::string> all = {grader_exe.string()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

/// The rows of a CSV without quoted fields: the header, then one vector per line.
inline std::vector<std::vector<std::string>> simple_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = start; i < end; ++i) {
      if (text[i] == ',') {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += text[i];
      }
    }
    cells.push_back(cell);
    rows.push_back(cells);
    start = end + 1;
  }
  return rows;
}

/// The index of `name` in a CSV header, or throws.
inline std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw std::runtime_error("no column " + name);
}

}  // namespace batch_support
