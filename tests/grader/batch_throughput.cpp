// batch_throughput: grades a generated class with `grader batch` and reports
// the wall time per submission next to the compile floor (the time g++ takes
// to compile one student's sources, outside the sandbox). A measurement, not
// a test: it asserts nothing and is not part of ctest.
//
//   batch_throughput [--count 100] [--jobs 2] [--problems DIR] [--quick] [--kill-check] [--work DIR] [--keep]
//
// The class: 60% correct, 25% wrong (cycling through the fixtures with known
// mistakes), 10% not compiling, 5% looping forever; each submission gets a
// comment of its own, so none is found in the build cache (a fresh one).
// --quick grades with the e2e tests' short limits (2 s CPU, 3 s wall per run; 0.25 s CPU and 1 s wall per
// check, as by default).
// --kill-check then grades the class again into a second folder, kills that
// batch with SIGKILL when a third of it is done, reruns it, and compares its
// gradebook with the uninterrupted one (every student once, same totals, and
// the records finished before the kill untouched).
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "batch_support.hpp"

namespace {

using namespace batch_support;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The median of three runs of g++ on one student's sources, as the grader compiles them.
double compile_floor(const fs::path& submission, const fs::path& scratch) {
  std::vector<double> times;
  for (int i = 0; i < 3; ++i) {
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    std::string cmd = "cd '" + scratch.string() + "' && g++ -std=c++17 -O2 -Wall -Wextra -Wno-unused-parameter -I '" +
                      (submission / "include").string() + "' -c";
    for (const auto& e : fs::directory_iterator(submission / "src")) cmd += " '" + e.path().string() + "'";
    const auto t0 = Clock::now();
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("the floor's compile failed: " + cmd);
    times.push_back(seconds_since(t0));
  }
  std::sort(times.begin(), times.end());
  return times[1];
}

/// The records of a batch folder: key -> record.json's text.
std::map<std::string, std::string> records(const fs::path& out) {
  std::map<std::string, std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out / "students", ec))
    if (fs::exists(e.path() / "record.json")) found[e.path().filename().string()] = grader::read_file(e.path() / "record.json");
  return found;
}

/// student_id -> total of a gradebook.csv, and how many rows it has.
std::map<std::string, std::string> totals(const fs::path& csv, std::size_t& rows) {
  const auto table = simple_csv(grader::read_file(csv));
  const std::size_t total = column(table.at(0), "total");
  std::map<std::string, std::string> out;
  rows = 0;
  for (std::size_t i = 1; i < table.size(); ++i) {
    if (table[i].size() <= total) continue;
    out[table[i][0]] = table[i][total];
    ++rows;
  }
  return out;
}

/// Grades the class into `out` again, kills the batch with SIGKILL when a
/// third is done, reruns it and compares with the uninterrupted gradebook.
bool kill_check(const fs::path& work, const fs::path& problems, unsigned jobs, int count, const fs::path& cache) {
  const fs::path out = work / "out-killed";
  const std::vector<std::string> args = {"batch", (work / "class").string(), "--out", out.string(), "--jobs",
                                         std::to_string(jobs), "--problems", problems.string(), "--quiet"};
  const pid_t pid = spawn_grader(args, work / "killed.log", cache);
  while (static_cast<int>(records(out).size()) < count / 3) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto before = records(out);
  const pid_t again = spawn_grader(args, work / "rerun.log", cache);
  ::waitpid(again, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "the rerun failed:\n" << grader::read_file(work / "rerun.log");
    return false;
  }
  const auto after = records(out);
  std::size_t untouched = 0;
  for (const auto& [key, text] : before) untouched += after.count(key) && after.at(key) == text ? 1 : 0;
  std::size_t rows = 0, reference_rows = 0;
  const auto got = totals(out / "gradebook.csv", rows);
  const auto want = totals(work / "out" / "gradebook.csv", reference_rows);
  std::size_t same = 0;
  for (const auto& [id, total] : want) same += got.count(id) && got.at(id) == total ? 1 : 0;
  std::printf("kill -9 after %zu of %d records, then a rerun: %zu rows for %zu distinct students (the uninterrupted "
              "run: %zu); %zu of %zu totals equal to the uninterrupted run's; %zu of %zu records finished before the "
              "kill untouched by the rerun\n",
              before.size(), count, rows, got.size(), reference_rows, same, want.size(), untouched, before.size());
  for (const auto& [id, total] : want)
    if (!got.count(id) || got.at(id) != total)
      std::printf("  %s: %s after the kill, %s uninterrupted\n", id.c_str(), got.count(id) ? got.at(id).c_str() : "missing",
                  total.c_str());
  return rows == got.size() && got.size() == want.size() && same == want.size() && untouched == before.size();
}

}  // namespace

int main(int argc, char** argv) {
  int count = 100;
  unsigned jobs = 2;
  bool quick = false, keep = false, check_kill = false;
  fs::path problems = source_dir / "problems";
  fs::path work = binary_dir / "throughput";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--count") count = std::stoi(value());
    else if (a == "--jobs") jobs = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--problems") problems = value();
    else if (a == "--work") work = value();
    else if (a == "--quick") quick = true;
    else if (a == "--kill-check") check_kill = true;
    else if (a == "--keep") keep = true;
    else {
      std::cerr << "usage: batch_throughput [--count N] [--jobs N] [--problems DIR] [--quick] [--kill-check] [--work DIR] "
                   "[--keep]\n";
      return 2;
    }
  }
  fs::remove_all(work);
  fs::create_directories(work);
  if (quick) problems = quick_problems(work / "problems");

  const std::vector<std::string> wrong = {"wrong_sign_product",  "matmul_vjp_no_transpose", "missing_accumulation",
                                          "missing_chain_factor_sin", "gradient_not_reset", "sweep_without_adjoint"};
  std::map<std::string, std::string> kind_of;  // key -> category
  for (int i = 0; i < count; ++i) {
    const int slot = i % 20;  // per 20: 12 correct, 5 wrong, 2 not compiling, 1 looping forever
    std::string fixture_name = "loops_forever", kind = "looping forever";
    if (slot < 12) {
      fixture_name = "reference";
      kind = "correct";
    } else if (slot < 17) {
      fixture_name = wrong[static_cast<std::size_t>(i) % wrong.size()];
      kind = "wrong";
    } else if (slot < 19) {
      fixture_name = "does_not_compile";
      kind = "not compiling";
    }
    char key[32];
    std::snprintf(key, sizeof key, "student%03d", i);
    materialize(fixture_name, work / "class" / key, std::string("submission of ") + key);
    kind_of[key] = kind;
  }

  const double floor = compile_floor(work / "class" / "student000", work / "floor");
  const fs::path cache = work / "cache";
  const auto t0 = Clock::now();
  const pid_t pid = spawn_grader({"batch", (work / "class").string(), "--out", (work / "out").string(), "--jobs",
                                  std::to_string(jobs), "--problems", problems.string(), "--quiet"},
                                 work / "batch.log", cache);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double wall = seconds_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "grader batch failed:\n" << grader::read_file(work / "batch.log");
    return 1;
  }

  std::map<std::string, std::vector<double>> seconds, run_seconds;
  for (const auto& [key, kind] : kind_of) {
    const json r = json::parse(grader::read_file(work / "out" / "students" / key / "record.json"));
    seconds[kind].push_back(r.at("seconds").get<double>());
    const json g = json::parse(grader::read_file(work / "out" / "students" / key / "results.json"));
    run_seconds[kind].push_back(g.at("extra_data").value("run_seconds", 0.0));
  }
  std::printf("class: %d submissions (12/20 correct, 5/20 wrong, 2/20 not compiling, 1/20 looping forever), "
              "grader batch --jobs %u, problems: %s%s\n",
              count, jobs, problems.string().c_str(), quick ? " (quick limits: 2 s CPU, 3 s wall per run)" : "");
  std::printf("compile floor (g++ -O2 on one student's sources, median of 3): %.2f s\n", floor);
  std::printf("batch wall time: %.1f s -> %.2f s per submission = %.2f x the floor\n", wall, wall / count,
              wall / count / floor);
  std::printf("time to grade one submission (build and runs, while %u were graded at once), mean per kind:\n", jobs);
  for (const auto& [kind, v] : seconds) {
    double sum = 0, runs = 0;
    for (double s : v) sum += s;
    for (double s : run_seconds[kind]) runs += s;
    std::printf("  %-16s %3zu submissions  %6.2f s  (its runs alone %5.2f s)\n", kind.c_str(), v.size(),
                sum / static_cast<double>(v.size()), runs / static_cast<double>(v.size()));
  }
  if (seconds.count("looping forever")) {
    double worst = 0, worst_runs = 0;
    for (double s : seconds["looping forever"]) worst = std::max(worst, s);
    for (double s : run_seconds["looping forever"]) worst_runs = std::max(worst_runs, s);
    std::printf("looping forever: at most %.2f s each (build included); its runs alone at most %.2f s, against the "
                "wall limit of %s s of one run, the submission's time limit of 60 s (grader's default), and per "
                "check 0.25 s of CPU time, 1 s of wall-clock time\n",
                worst, worst_runs, quick ? "3" : "20");
  }
  const bool ok = !check_kill || kill_check(work, problems, jobs, count, cache);
  if (!keep) fs::remove_all(work);
  return ok ? 0 : 1;
}
