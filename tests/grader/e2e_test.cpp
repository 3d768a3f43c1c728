// End to end: `grader grade` on the fixture submissions of
// tests/fixtures/submissions, each with its expected score and messages, and
// every results file checked against the Gradescope format.
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "grader/fsutil.hpp"
#include "grader/report.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test_support::binary_dir;
using test_support::problem_points;
using test_support::quick_problems;
using test_support::source_dir;
using test_support::title_of;

/// Test folders under build/e2e-tmp.
struct TempDir : test_support::TempDir {
  explicit TempDir(const std::string& name) : test_support::TempDir("e2e-tmp", name) {}
};


/// problems/ with short limits, so that hanging fixtures stay quick.

/// Copies base/include and base/src, then applies the fixture's edits.
void materialize(const json& fixture, const fs::path& out) {
  const fs::path base = source_dir / fixture.at("base").get<std::string>();
  for (const char* sub : {"include", "src"})
    fs::copy(base / sub, out / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const json& edit : fixture.at("edits")) {
    const fs::path file = out / edit.at("file").get<std::string>();
    std::string text = grader::read_file(file);
    const std::string find = edit.at("find").get<std::string>();
    const auto at = text.find(find);
    ASSERT_NE(at, std::string::npos) << "fixture edit not found in " << file << ": " << find;
    ASSERT_EQ(text.find(find, at + 1), std::string::npos) << "fixture edit is ambiguous in " << file;
    text.replace(at, find.size(), edit.at("replace").get<std::string>());
    grader::write_file_atomically(file, text);
  }
}

struct GradeRun {
  int exit_code = -1;
  json results;
  std::string junit;
  std::string stdout_text;
};

/// Runs build/bin/grader with `args` (already quoted), stdout and stderr into `out`; returns the exit code.
int run_command(const std::string& args, const fs::path& out) {
  const std::string cmd = "ADC_CACHE_DIR='" + (binary_dir / "test-cache").string() + "' '" +
                          (binary_dir / "bin" / "grader").string() + "' " + args + " > '" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

GradeRun run_grader(const fs::path& submission, const fs::path& problems, const fs::path& work,
                    const std::string& extra = "") {
  const fs::path results = work / "results.json", junit = work / "junit.xml", out = work / "stdout.txt";
  GradeRun run;
  run.exit_code = run_command("grade " + quoted(submission) + " --out " + quoted(results) + " --junit " +
                                  quoted(junit) + " --problems " + quoted(problems) + " -q " + extra,
                              out);
  run.stdout_text = grader::read_file(out);
  if (fs::exists(results)) run.results = json::parse(grader::read_file(results));
  if (fs::exists(junit)) run.junit = grader::read_file(junit);
  return run;
}



std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(source_dir / "tests" / "fixtures" / "submissions"))
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class FixtureGrade : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureGrade, GetsItsExpectedScoreAndMessages) {
  const json fixture =
      json::parse(grader::read_file(source_dir / "tests" / "fixtures" / "submissions" / (GetParam() + ".json")));
  const json& expect = fixture.at("expect");
  TempDir work(GetParam());
  const fs::path submission = work.path() / "submission";
  fs::create_directories(submission);
  materialize(fixture, submission);
  if (HasFatalFailure()) return;
  const GradeRun run = run_grader(submission, quick_problems(work.path() / "problems"), work.path());

  EXPECT_EQ(run.exit_code, expect.at("exit_code").get<int>()) << run.stdout_text;
  ASSERT_TRUE(run.results.is_object()) << "no results file; grader said:\n" << run.stdout_text;
  const auto violations = grader::validate_gradescope_json(run.results);
  EXPECT_TRUE(violations.empty()) << violations.front();
  EXPECT_NE(run.junit.find("<testsuites"), std::string::npos);

  const double score = run.results.at("score").get<double>();
  if (expect.contains("score")) {
    EXPECT_NEAR(score, expect.at("score").get<double>(), 0.01) << run.stdout_text;
  } else {
    EXPECT_LT(score, 100.0) << "a broken submission must lose points";
  }
  for (const json& id : expect.value("full", json::array())) {
    const auto [got, max] = problem_points(run.results, title_of(source_dir / "problems", id.get<std::string>()));
    EXPECT_GT(max, 0.0) << id;
    EXPECT_NEAR(got, max, 1e-9) << id << " should keep every point\n" << run.stdout_text;
  }
  for (const json& id : expect.value("zero", json::array())) {
    const auto [got, max] = problem_points(run.results, title_of(source_dir / "problems", id.get<std::string>()));
    EXPECT_EQ(got, 0.0) << id << " should get nothing\n" << run.stdout_text;
  }
  const std::string text = run.results.dump(-1, ' ', false, json::error_handler_t::replace);
  for (const json& m : expect.value("messages", json::array())) {
    // Compare against the dumped JSON: escape the expected text the same way.
    const std::string escaped = json(m.get<std::string>()).dump();
    EXPECT_NE(text.find(escaped.substr(1, escaped.size() - 2)), std::string::npos)
        << "missing message: " << m << "\n" << run.stdout_text;
  }
}

// All runs of a submission share --time-limit: the looping sweep of the
// loops_forever fixture uses up at least 2 s in the four reverse-mode problems
// (two 0.25 s CPU limits of a check each), and what comes after them is not
// run (and says why) instead of each timing out. The forward problems come
// first and are quick.
TEST(GradeCommand, TheTimeLimitBoundsAllRunsOfASubmissionTogether) {
  const json fixture =
      json::parse(grader::read_file(source_dir / "tests" / "fixtures" / "submissions" / "loops_forever.json"));
  TempDir work("time-limit");
  const fs::path submission = work.path() / "submission";
  fs::create_directories(submission);
  materialize(fixture, submission);
  if (HasFatalFailure()) return;
  const fs::path problems = quick_problems(work.path() / "problems");
  const GradeRun run = run_grader(submission, problems, work.path(), "--time-limit 2");
  ASSERT_TRUE(run.results.is_object()) << "no results file; grader said:\n" << run.stdout_text;
  EXPECT_TRUE(grader::validate_gradescope_json(run.results).empty());
  const std::string text = run.results.dump();
  EXPECT_NE(text.find("not run: the submission's time limit of 2 s (all its checks together) was used up by earlier "
                      "checks"),
            std::string::npos)
      << text;
  for (const char* id : {"forward_rules", "forward_composite"}) {
    const auto [got, max] = problem_points(run.results, title_of(problems, id));
    EXPECT_NEAR(got, max, 1e-9) << id << " runs before the time is used up";
  }
  for (const char* id : {"vjp_add", "network_step"}) {
    const auto [got, max] = problem_points(run.results, title_of(problems, id));
    EXPECT_EQ(got, 0.0) << id << " comes after the time is used up";
  }
  // Without the limit the same submission keeps more points (its fixture test,
  // FixtureGrade/LoopsForever, pins that score): the limit is what took them.
  EXPECT_LT(run.results.at("score").get<double>(), fixture.at("expect").at("score").get<double>() - 1.0);
}

TEST(GradeCommand, RejectsATimeLimitThatIsNotAPositiveNumber) {
  TempDir work("time-limit-usage");
  const fs::path out = work.path() / "out.txt";
  EXPECT_NE(run_command("grade " + quoted(source_dir / "reference") + " --out " + quoted(work.path() / "r.json") +
                            " --time-limit 0",
                        out),
            0);
  EXPECT_NE(grader::read_file(out).find("--time-limit"), std::string::npos) << grader::read_file(out);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureGrade, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return test_support::camel_case(p.param); });

TEST(GradeCommand, WritesAValidResultsFileWhenTheSubmissionIsMissing) {
  TempDir work("missing-submission");
  const GradeRun run = run_grader(work.path() / "no-such-folder", source_dir / "problems", work.path());
  EXPECT_EQ(run.exit_code, 3);
  ASSERT_TRUE(run.results.is_object());
  EXPECT_TRUE(grader::validate_gradescope_json(run.results).empty());
  EXPECT_EQ(run.results.at("score").get<double>(), 0.0);
  EXPECT_NE(run.results.at("output").get<std::string>().find("no-such-folder"), std::string::npos);
}

TEST(GradeCommand, WritesAValidResultsFileWhenASpecIsBroken) {
  TempDir work("broken-spec");
  fs::create_directories(work.path() / "problems");
  grader::write_file_atomically(work.path() / "problems" / "bad.json",
                                R"({"id": "bad", "title": "t", "points": -1, "kind": "vjp_add", "cases": []})");
  const GradeRun run = run_grader(source_dir / "reference", work.path() / "problems", work.path());
  EXPECT_EQ(run.exit_code, 3);
  ASSERT_TRUE(run.results.is_object());
  EXPECT_TRUE(grader::validate_gradescope_json(run.results).empty());
  EXPECT_NE(run.results.at("output").get<std::string>().find("\"points\""), std::string::npos);
}

TEST(GradeCommand, SameSubmissionGetsTheSameResultsEveryTime) {
  TempDir work("repeat");
  const fs::path problems = quick_problems(work.path() / "problems");
  const GradeRun a = run_grader(source_dir / "reference", problems, work.path());
  json first = a.results;
  const GradeRun b = run_grader(source_dir / "reference", problems, work.path());
  json second = b.results;
  ASSERT_TRUE(first.is_object() && second.is_object());
  for (json* r : {&first, &second}) r->erase("execution_time");
  EXPECT_EQ(first.at("score"), second.at("score"));
  EXPECT_EQ(first.at("tests").size(), second.at("tests").size());
  for (std::size_t i = 0; i < first.at("tests").size(); ++i)
    EXPECT_EQ(first["tests"][i].at("output"), second["tests"][i].at("output"));
  EXPECT_TRUE(first.contains("extra_data"));
}

// Case weights such as thirds sum to 44.99999999999999 in floating point: full
// marks must still be exactly the points the specs give, so that
// --fail-under <the full total> passes a submission with full marks.
TEST(GradeCommand, FailUnderTurnsALowScoreIntoExitCodeOneAndFullMarksPassTheFullTotal) {
  TempDir work("fail-under");
  const fs::path problems = quick_problems(work.path() / "problems");
  EXPECT_EQ(run_grader(source_dir / "student_template", problems, work.path(), "--fail-under 50").exit_code, 1);
  double total = 0;
  for (const auto& e : fs::directory_iterator(problems)) total += json::parse(grader::read_file(e.path())).at("points").get<double>();
  std::ostringstream bar;
  bar << total;
  const GradeRun run = run_grader(source_dir / "reference", problems, work.path(), "--fail-under " + bar.str());
  EXPECT_EQ(run.exit_code, 0) << run.stdout_text;
  ASSERT_TRUE(run.results.is_object()) << run.stdout_text;
  EXPECT_EQ(run.results.at("score").get<double>(), total);
  for (const json& t : run.results.at("tests")) {
    const double max = t.at("max_score").get<double>();
    EXPECT_EQ(max * 1e6, std::round(max * 1e6)) << t.at("name") << ": " << max;
  }
}

TEST(GradeCommand, UnwritableOutputPathIsAGraderErrorNamingThePath) {
  TempDir work("unwritable");
  const fs::path out = work.path() / "stdout.txt";
  const int code = run_command("grade " + quoted(source_dir / "reference") + " --out /etc/passwd/results.json -q", out);
  EXPECT_EQ(code, 3);
  EXPECT_NE(grader::read_file(out).find("/etc/passwd/results.json"), std::string::npos);
}

TEST(CheckCommand, PassesTheReferenceAndShowsNoHiddenTest) {
  TempDir work("check-reference");
  const fs::path out = work.path() / "stdout.txt";
  const int code = run_command("check " + quoted(source_dir / "reference") + " --problems " +
                                   quoted(quick_problems(work.path() / "problems")) + " -q",
                               out);
  const std::string text = grader::read_file(out);
  EXPECT_EQ(code, 0) << text;
  EXPECT_EQ(text.find("hidden cases"), std::string::npos) << text;
  EXPECT_EQ(text.find("[hidden]"), std::string::npos) << text;
  EXPECT_NE(text.find("Only the visible tests ran"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no colour in a pipe";
}

TEST(CheckCommand, FailsTheUntouchedTemplate) {
  TempDir work("check-template");
  const fs::path out = work.path() / "stdout.txt";
  const int code = run_command("check " + quoted(source_dir / "student_template") + " --problems " +
                                   quoted(quick_problems(work.path() / "problems")) + " -q",
                               out);
  EXPECT_EQ(code, 1);
  EXPECT_NE(grader::read_file(out).find("Not implemented yet"), std::string::npos);
}

TEST(ValidateCommand, ReportsEveryBadSpecAndExitsOne) {
  TempDir work("validate");
  fs::create_directories(work.path() / "problems");
  grader::write_file_atomically(work.path() / "problems" / "a.json",
                                R"({"id": "a", "title": "t", "points": 1, "kind": "vjp_add", "tolerence": 1, "cases": []})");
  grader::write_file_atomically(work.path() / "problems" / "b.json", "{ not json");
  const fs::path out = work.path() / "stdout.txt";
  EXPECT_EQ(run_command("validate " + quoted(work.path() / "problems"), out), 1);
  const std::string text = grader::read_file(out);
  EXPECT_NE(text.find("a.json: \"tolerence\" is not a known field"), std::string::npos) << text;
  EXPECT_NE(text.find("b.json: is not valid JSON"), std::string::npos) << text;
  EXPECT_EQ(run_command("validate " + quoted(source_dir / "problems"), out), 0) << grader::read_file(out);
}

}  // namespace
