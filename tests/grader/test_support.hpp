#pragma once
// What the grader's test programs share: where the project and its build
// are, scratch folders under the build tree, quick problem specs, points per
// problem in a results file, and test names from file names.
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>

#include "grader/fsutil.hpp"

namespace test_support {

namespace fs = std::filesystem;
using nlohmann::json;

inline const fs::path source_dir = ADC_SOURCE_DIR;
inline const fs::path binary_dir = ADC_BINARY_DIR;

/// A fresh folder build/<area>/<name>, removed at the end of the test. Each
/// test program has its own area, so tests of two programs run at once by
/// ctest -j never share a folder.
class TempDir {
 public:
  TempDir(const std::string& area, const std::string& name) : path_(binary_dir / area / name) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// problems/ with short limits (2 s CPU, 3 s wall per run), so that a
/// submission that loops forever costs seconds.
inline fs::path quick_problems(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(source_dir / "problems")) {
    if (e.path().extension() != ".json") continue;
    json spec = json::parse(grader::read_file(e.path()));
    spec["limits"] = {{"cpu_seconds", 2}, {"wall_seconds", 3}};
    grader::write_file_atomically(dir / e.path().filename(), spec.dump(2));
  }
  return dir;
}

/// The title of problem `problem_id` in the specs folder `problems`.
inline std::string title_of(const fs::path& problems, const std::string& problem_id) {
  const json spec = json::parse(grader::read_file(problems / (problem_id + ".json")));
  return spec.at("title").get<std::string>();
}

/// Points earned and available over every test of the problem titled
/// `title` in a Gradescope results file (visible and hidden parts).
inline std::pair<double, double> problem_points(const json& results, const std::string& title) {
  double score = 0, max = 0;
  for (const json& t : results.at("tests")) {
    const std::string name = t.at("name").get<std::string>();
    if (name == title || name == title + " (hidden cases)") {
      score += t.at("score").get<double>();
      max += t.at("max_score").get<double>();
    }
  }
  return {score, max};
}

/// "loops_forever" → "LoopsForever": a GoogleTest parameter name from a file name.
inline std::string camel_case(const std::string& snake) {
  std::string name;
  bool upper = true;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

}  // namespace test_support
