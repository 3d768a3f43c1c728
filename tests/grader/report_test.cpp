// Tests of grader/report.hpp: Gradescope JSON and its validator, JUnit XML, terminal report.

#include "grader/report.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"

namespace {

namespace fs = std::filesystem;
using grader::CaseResult;
using grader::GradeReport;
using grader::TestResult;
using grader::Visibility;
using nlohmann::json;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

CaseResult make_case(const std::string& name, double score, double max_score,
                     const std::string& message = "", const std::string& diagnosis = "") {
  CaseResult c;
  c.name = name;
  c.score = score;
  c.max_score = max_score;
  c.passed = score == max_score;
  c.message = message;
  c.diagnosis = diagnosis;
  return c;
}

TestResult make_test(const std::string& id, const std::string& number, double score,
                     double max_score, Visibility visibility = Visibility::visible) {
  TestResult t;
  t.problem_id = id;
  t.name = "Problem " + id;
  t.number = number;
  t.score = score;
  t.max_score = max_score;
  t.passed = score == max_score;
  t.visibility = visibility;
  t.seconds = 0.5;
  return t;
}

/// One passed, one failed and one hidden problem, all with child output.
GradeReport sample_report() {
  GradeReport r;
  r.submission = "/subs/alice";
  r.score = 7.5;
  r.max_score = 15;
  r.execution_time = 2.25;
  r.output = "Build succeeded.";
  r.seed = 42;

  TestResult passed = make_test("dual_basic", "1", 5, 5);
  passed.output = "All cases match the reference.";
  passed.tags = {"forward-mode"};
  passed.cases = {make_case("x * y at (2, 3)", 5, 5, "gradient matches")};
  passed.child_stdout = "hello from the student\n";

  TestResult failed = make_test("tape_sin", "2", 2.5, 5);
  failed.output = "1 of 2 cases failed.";
  failed.tags = {"reverse-mode", "tape"};
  failed.cases = {make_case("sin(x1) at x1 = 0.5", 0, 2.5,
                            "entry 0: expected 0.877583, got -0.877583",
                            "the sign of the derivative of cos is flipped"),
                  make_case("x1 * x1 at x1 = 3", 2.5, 2.5)};
  failed.child_stderr = "warning: something\n";

  TestResult hidden = make_test("vjp_hidden", "3", 0, 5, Visibility::hidden);
  hidden.output = "Wrong gradient.";
  hidden.cases = {make_case("secret case", 0, 5, "expected 1, got 2")};
  hidden.child_stdout = "SECRET-INPUT 3.14159";
  hidden.child_stderr = "SECRET-STDERR";

  r.tests = {passed, failed, hidden};
  return r;
}

GradeReport grader_error_report() {
  GradeReport r;
  r.submission = "/subs/bob";
  r.grader_error = true;
  r.output = "The grader failed: problems/matmul.json: \"tolerance\" must be > 0 (got -1)";
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> keys;
  for (const auto& item : j.items()) keys.insert(item.key());
  return keys;
}

/// Whether any violation mentions `part`.
bool has_violation(const json& j, const std::string& part) {
  for (const std::string& v : grader::validate_gradescope_json(j)) {
    if (contains(v, part)) return true;
  }
  return false;
}

json valid_document() {
  return json::parse(R"({
    "score": 3, "execution_time": 1.5, "output": "ok", "visibility": "visible",
    "stdout_visibility": "hidden", "extra_data": {"seed": 1},
    "tests": [{"name": "t1", "number": "1", "score": 3, "max_score": 3, "status": "passed",
               "output": "", "visibility": "hidden", "tags": ["a"]}]
  })");
}

// A minimal XML well-formedness checker for the subset JUnit output uses:
// prolog, elements, attributes in double quotes, text, the five entities and
// numeric character references. Returns "" when well-formed, else the problem.
std::string xml_problem(const std::string& xml) {
  if (!grader::is_valid_utf8(xml)) return "not valid UTF-8";
  for (const char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\n' && c != '\t' && c != '\r') return "control character in document";
  }
  const auto entity_ok = [&](std::size_t at) {
    const std::size_t end = xml.find(';', at);
    if (end == std::string::npos) return false;
    const std::string name = xml.substr(at + 1, end - at - 1);
    static const std::set<std::string> named = {"amp", "lt", "gt", "quot", "apos"};
    if (named.count(name) != 0) return true;
    if (name.size() < 2 || name[0] != '#') return false;
    return name.find_first_not_of("0123456789", 1) == std::string::npos;
  };
  std::size_t i = 0;
  if (xml.compare(0, 5, "<?xml") == 0) {
    i = xml.find("?>");
    if (i == std::string::npos) return "unterminated prolog";
    i += 2;
  }
  std::vector<std::string> open;
  int roots = 0;
  const auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':' ||
           c == '.';
  };
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
    } else if (c == '>') {
      return "raw '>' in text at " + std::to_string(i);
    } else if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c))) return "text outside root";
      ++i;
    } else if (xml.compare(i, 2, "</") == 0) {
      const std::size_t end = xml.find('>', i);
      if (end == std::string::npos) return "unterminated end tag";
      const std::string name = xml.substr(i + 2, end - i - 2);
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
      i = end + 1;
    } else {
      std::size_t j = i + 1;
      while (j < xml.size() && is_name_char(xml[j])) ++j;
      const std::string name = xml.substr(i + 1, j - i - 1);
      if (name.empty()) return "raw '<' at " + std::to_string(i);
      for (;;) {
        while (j < xml.size() && std::isspace(static_cast<unsigned char>(xml[j]))) ++j;
        if (j >= xml.size()) return "unterminated tag <" + name;
        if (xml[j] == '>' || xml.compare(j, 2, "/>") == 0) break;
        const std::size_t attr_start = j;
        while (j < xml.size() && is_name_char(xml[j])) ++j;
        if (j == attr_start || j + 1 >= xml.size() || xml[j] != '=' || xml[j + 1] != '"') {
          return "bad attribute in <" + name;
        }
        j += 2;
        while (j < xml.size() && xml[j] != '"') {
          if (xml[j] == '<') return "raw '<' in attribute of <" + name;
          if (xml[j] == '&' && !entity_ok(j)) return "bad entity in attribute of <" + name;
          ++j;
        }
        if (j >= xml.size()) return "unterminated attribute in <" + name;
        ++j;
      }
      if (open.empty()) ++roots;
      if (xml[j] == '>') {
        open.push_back(name);
        i = j + 1;
      } else {
        i = j + 2;
      }
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return "expected one root element, found " + std::to_string(roots);
  return "";
}

std::string terminal_text(const GradeReport& r, const grader::TerminalOptions& options) {
  std::ostringstream out;
  grader::print_terminal(r, out, options);
  return out.str();
}

/// Sets (or with nullopt unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// The secondary side of a fresh pseudo-terminal: a descriptor for which isatty holds.
class PseudoTerminal {
 public:
  PseudoTerminal() {
    primary_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (primary_ >= 0 && ::grantpt(primary_) == 0 && ::unlockpt(primary_) == 0) {
      secondary_ = ::open(::ptsname(primary_), O_RDWR | O_NOCTTY);
    }
  }
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;
  ~PseudoTerminal() {
    if (secondary_ >= 0) ::close(secondary_);
    if (primary_ >= 0) ::close(primary_);
  }
  int fd() const { return secondary_; }

 private:
  int primary_ = -1;
  int secondary_ = -1;
};

// ---------------------------------------------------------------- Gradescope JSON

TEST(GradescopeJson, TopLevelFieldsHaveSpecTypesAndValues) {
  const json j = grader::to_gradescope_json(sample_report());
  ASSERT_TRUE(j["score"].is_number());
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 7.5);
  ASSERT_TRUE(j["execution_time"].is_number());
  EXPECT_DOUBLE_EQ(j["execution_time"].get<double>(), 2.25);
  EXPECT_EQ(j["output"], "Build succeeded.");
  EXPECT_EQ(j["visibility"], "visible");
  EXPECT_EQ(j["stdout_visibility"], "hidden");
  ASSERT_TRUE(j["tests"].is_array());
  EXPECT_EQ(j["tests"].size(), 3u);
}

TEST(GradescopeJson, HasNoTopLevelKeysBeyondTheSpecifiedOnes) {
  const json j = grader::to_gradescope_json(sample_report());
  const std::set<std::string> expected = {"score",      "execution_time",    "output",
                                          "visibility", "stdout_visibility", "tests",
                                          "extra_data"};
  EXPECT_EQ(keys_of(j), expected);
}

TEST(GradescopeJson, ExtraDataHoldsSeedAndGraderError) {
  const json j = grader::to_gradescope_json(sample_report());
  EXPECT_EQ(j["extra_data"]["seed"].get<std::uint64_t>(), 42u);
  EXPECT_EQ(j["extra_data"]["grader_error"], false);
}

TEST(GradescopeJson, LargestSeedSurvivesExactly) {
  GradeReport r = sample_report();
  r.seed = std::numeric_limits<std::uint64_t>::max();
  const json round_trip = json::parse(grader::to_gradescope_json(r).dump());
  EXPECT_EQ(round_trip["extra_data"]["seed"].get<std::uint64_t>(), r.seed);
}

TEST(GradescopeJson, TestEntryHasSpecFieldsAndTypes) {
  const json t = grader::to_gradescope_json(sample_report())["tests"][1];
  const std::set<std::string> expected = {"name",   "number",     "score", "max_score",
                                          "status", "output",     "visibility", "tags"};
  EXPECT_EQ(keys_of(t), expected);
  EXPECT_EQ(t["name"], "Problem tape_sin");
  EXPECT_EQ(t["number"], "2");
  EXPECT_DOUBLE_EQ(t["score"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(t["max_score"].get<double>(), 5.0);
  EXPECT_EQ(t["status"], "failed");
  EXPECT_EQ(t["visibility"], "visible");
  EXPECT_EQ(t["tags"], json::array({"reverse-mode", "tape"}));
}

TEST(GradescopeJson, PassedTestHasStatusPassed) {
  const json t = grader::to_gradescope_json(sample_report())["tests"][0];
  EXPECT_EQ(t["status"], "passed");
}

TEST(GradescopeJson, TestOutputStartsWithSummary) {
  const std::string output =
      grader::to_gradescope_json(sample_report())["tests"][1]["output"].get<std::string>();
  EXPECT_EQ(output.rfind("1 of 2 cases failed.", 0), 0u) << output;
}

TEST(GradescopeJson, FailedCaseShowsMessageAndLikelyMistake) {
  const std::string output =
      grader::to_gradescope_json(sample_report())["tests"][1]["output"].get<std::string>();
  EXPECT_TRUE(contains(output, "✗ sin(x1) at x1 = 0.5 (0 / 2.5)")) << output;
  EXPECT_TRUE(contains(output, "entry 0: expected 0.877583, got -0.877583")) << output;
  EXPECT_TRUE(contains(output, "Likely mistake: the sign of the derivative of cos is flipped"))
      << output;
}

TEST(GradescopeJson, PassedCaseIsMarkedWithCheck) {
  const std::string output =
      grader::to_gradescope_json(sample_report())["tests"][1]["output"].get<std::string>();
  EXPECT_TRUE(contains(output, "✓ x1 * x1 at x1 = 3 (2.5 / 2.5)")) << output;
}

TEST(GradescopeJson, VisibleTestShowsWhatTheProgramPrinted) {
  const json j = grader::to_gradescope_json(sample_report());
  EXPECT_TRUE(contains(j["tests"][0]["output"], "Your program printed:\nhello from the student"));
  EXPECT_TRUE(contains(j["tests"][1]["output"], "Your program printed to stderr:\nwarning"));
}

TEST(GradescopeJson, TestWithoutChildOutputHasNoProgramSection) {
  GradeReport r = sample_report();
  r.tests[0].child_stdout.clear();
  const json j = grader::to_gradescope_json(r);
  EXPECT_FALSE(contains(j["tests"][0]["output"], "Your program printed"));
}

TEST(GradescopeJson, HiddenTestLeavesOutProgramOutput) {
  const json t = grader::to_gradescope_json(sample_report())["tests"][2];
  EXPECT_EQ(t["visibility"], "hidden");
  const std::string output = t["output"];
  EXPECT_FALSE(contains(output, "SECRET-INPUT")) << output;
  EXPECT_FALSE(contains(output, "SECRET-STDERR")) << output;
  EXPECT_FALSE(contains(output, "Your program printed")) << output;
}

TEST(GradescopeJson, AfterDueDateTestLeavesOutProgramOutput) {
  GradeReport r = sample_report();
  r.tests[0].visibility = Visibility::after_due_date;
  const json t = grader::to_gradescope_json(r)["tests"][0];
  EXPECT_EQ(t["visibility"], "after_due_date");
  EXPECT_FALSE(contains(t["output"], "hello from the student"));
}

TEST(GradescopeJson, CapsProgramOutput) {
  GradeReport r = sample_report();
  r.tests[0].child_stdout = std::string(100000, 'x');
  const std::string output = grader::to_gradescope_json(r)["tests"][0]["output"];
  EXPECT_LT(output.size(), grader::kShownOutputBytes + 1000);
  EXPECT_TRUE(contains(output, "[truncated: " + std::to_string(100000 - grader::kShownOutputBytes) +
                                   " more bytes]"))
      << output.substr(output.size() - 100);
}

TEST(GradescopeJson, NaNTestScoreBecomesZeroWithNote) {
  GradeReport r = sample_report();
  r.tests[1].score = kNaN;
  const json j = grader::to_gradescope_json(r);
  EXPECT_EQ(j["tests"][1]["score"].get<double>(), 0.0);
  EXPECT_TRUE(contains(j["tests"][1]["output"], "non-finite"));
  EXPECT_TRUE(grader::validate_gradescope_json(j).empty());
}

TEST(GradescopeJson, NaNNeverReachesTheFile) {
  GradeReport r = sample_report();
  r.score = kNaN;
  r.execution_time = kInf;
  r.tests[0].max_score = -kInf;
  r.tests[1].cases[0].score = kNaN;
  const std::string text = grader::to_gradescope_json(r).dump();
  EXPECT_FALSE(contains(text, "null")) << text;  // what json::dump makes of NaN
  EXPECT_TRUE(grader::validate_gradescope_json(json::parse(text)).empty());
}

TEST(GradescopeJson, NonFiniteTopLevelNumberIsExplainedInOutput) {
  GradeReport r = sample_report();
  r.execution_time = kInf;
  const json j = grader::to_gradescope_json(r);
  EXPECT_EQ(j["execution_time"].get<double>(), 0.0);
  EXPECT_TRUE(contains(j["output"], "Build succeeded.\n\nNote: the grader produced a non-finite"));
}

TEST(GradescopeJson, InvalidUtf8AndControlsAreReplaced) {
  GradeReport r = sample_report();
  r.tests[1].cases[0].message = std::string("bad \xFF\xFE bytes") + '\0' + " here";
  r.tests[0].child_stdout = "\x1B[31mred\x1B[0m";
  const json j = grader::to_gradescope_json(r);
  const std::string text = j.dump();  // throws type_error 316 on invalid UTF-8
  EXPECT_TRUE(contains(j["tests"][1]["output"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes\xEF\xBF\xBD here"));
  EXPECT_FALSE(contains(text, "\\u001b")) << text;
  EXPECT_TRUE(grader::validate_gradescope_json(j).empty());
}

TEST(GradescopeJson, EmptyNameFallsBackToProblemId) {
  GradeReport r = sample_report();
  r.tests[0].name.clear();
  EXPECT_EQ(grader::to_gradescope_json(r)["tests"][0]["name"], "dual_basic");
}

TEST(GradescopeJson, GraderErrorReportIsValidAndSaysWhy) {
  const json j = grader::to_gradescope_json(grader_error_report());
  EXPECT_TRUE(grader::validate_gradescope_json(j).empty());
  EXPECT_EQ(j["extra_data"]["grader_error"], true);
  EXPECT_EQ(j["score"].get<double>(), 0.0);
  EXPECT_TRUE(contains(j["output"], "\"tolerance\" must be > 0"));
}

TEST(GradescopeJson, SampleReportPassesValidation) {
  const std::vector<std::string> violations =
      grader::validate_gradescope_json(grader::to_gradescope_json(sample_report()));
  EXPECT_TRUE(violations.empty()) << violations.front();
}

// ---------------------------------------------------------------- validation

TEST(ValidateGradescopeJson, AcceptsCompleteDocument) {
  EXPECT_TRUE(grader::validate_gradescope_json(valid_document()).empty());
}

TEST(ValidateGradescopeJson, AcceptsScoreOnly) {
  EXPECT_TRUE(grader::validate_gradescope_json(json{{"score", 0}}).empty());
}

TEST(ValidateGradescopeJson, AcceptsScoreAboveMaxScore) {
  // Extra credit is legal on Gradescope.
  json j = valid_document();
  j["tests"][0]["score"] = 4;
  EXPECT_TRUE(grader::validate_gradescope_json(j).empty());
}

TEST(ValidateGradescopeJson, AcceptsLeaderboard) {
  json j = valid_document();
  j["leaderboard"] = json::parse(R"([{"name": "time", "value": 1.5, "order": "asc"}])");
  EXPECT_TRUE(grader::validate_gradescope_json(j).empty());
}

TEST(ValidateGradescopeJson, RejectsNonObject) {
  EXPECT_TRUE(has_violation(json::array(), "must be a JSON object"));
}

TEST(ValidateGradescopeJson, RejectsMissingScore) {
  json j = valid_document();
  j.erase("score");
  EXPECT_TRUE(has_violation(j, "score is required"));
}

TEST(ValidateGradescopeJson, RejectsScoreAsString) {
  json j = valid_document();
  j["score"] = "3";
  EXPECT_TRUE(has_violation(j, "score must be a number (got string \"3\")"));
}

TEST(ValidateGradescopeJson, RejectsNaNScore) {
  json j = valid_document();
  j["score"] = kNaN;
  EXPECT_TRUE(has_violation(j, "score must be a finite number (got NaN)"));
}

TEST(ValidateGradescopeJson, RejectsInfiniteTestMaxScore) {
  json j = valid_document();
  j["tests"][0]["max_score"] = kInf;
  EXPECT_TRUE(has_violation(j, "tests[0].max_score must be a finite number (got Infinity)"));
}

TEST(ValidateGradescopeJson, RejectsNullScoreLeftByDumpedNaN) {
  json j = valid_document();
  j["tests"][0]["score"] = nullptr;
  EXPECT_TRUE(has_violation(j, "tests[0].score must be a number (got null"));
}

TEST(ValidateGradescopeJson, RejectsStatusOk) {
  json j = valid_document();
  j["tests"][0]["status"] = "ok";
  EXPECT_TRUE(has_violation(j, "tests[0].status must be one of \"failed\", \"passed\" (got \"ok\")"));
}

TEST(ValidateGradescopeJson, RejectsUnknownVisibility) {
  json j = valid_document();
  j["visibility"] = "public";
  EXPECT_TRUE(has_violation(j, "visibility must be one of"));
}

TEST(ValidateGradescopeJson, RejectsUnknownTestVisibility) {
  json j = valid_document();
  j["tests"][0]["visibility"] = "secret";
  EXPECT_TRUE(has_violation(j, "tests[0].visibility must be one of"));
}

TEST(ValidateGradescopeJson, RejectsMissingTestName) {
  json j = valid_document();
  j["tests"][0].erase("name");
  EXPECT_TRUE(has_violation(j, "tests[0].name is required"));
}

TEST(ValidateGradescopeJson, RejectsEmptyTestName) {
  json j = valid_document();
  j["tests"][0]["name"] = "";
  EXPECT_TRUE(has_violation(j, "tests[0].name must not be empty"));
}

TEST(ValidateGradescopeJson, RejectsNumericTestNumber) {
  json j = valid_document();
  j["tests"][0]["number"] = 1;
  EXPECT_TRUE(has_violation(j, "tests[0].number must be a string"));
}

TEST(ValidateGradescopeJson, RejectsNonStringTag) {
  json j = valid_document();
  j["tests"][0]["tags"] = json::array({"a", 2});
  EXPECT_TRUE(has_violation(j, "tests[0].tags[1] must be a string"));
}

TEST(ValidateGradescopeJson, RejectsTestsAsObject) {
  json j = valid_document();
  j["tests"] = json::object();
  EXPECT_TRUE(has_violation(j, "tests must be an array"));
}

TEST(ValidateGradescopeJson, RejectsTestThatIsNotAnObject) {
  json j = valid_document();
  j["tests"].push_back("t2");
  EXPECT_TRUE(has_violation(j, "tests[1] must be an object"));
}

TEST(ValidateGradescopeJson, RejectsMisspelledKey) {
  json j = valid_document();
  j["tests"][0]["max_points"] = 3;
  EXPECT_TRUE(has_violation(j, "tests[0]: unknown key \"max_points\""));
}

TEST(ValidateGradescopeJson, RejectsInvalidUtf8String) {
  json j = valid_document();
  j["output"] = "bad \xFF";
  EXPECT_TRUE(has_violation(j, "output must be valid UTF-8"));
}

TEST(ValidateGradescopeJson, ReportsEveryViolation) {
  json j = valid_document();
  j.erase("score");
  j["tests"][0]["status"] = "ok";
  EXPECT_EQ(grader::validate_gradescope_json(j).size(), 2u);
}

// ---------------------------------------------------------------- files

class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "adc_report_XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    ASSERT_NE(::mkdtemp(name.data()), nullptr);
    dir_ = name.data();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(ReportFiles, GradescopeFileParsesBackToTheSameDocument) {
  const fs::path path = dir_ / "results.json";
  grader::write_gradescope(sample_report(), path);
  const json read_back = json::parse(grader::read_file(path));
  EXPECT_EQ(read_back, grader::to_gradescope_json(sample_report()));
  EXPECT_TRUE(grader::validate_gradescope_json(read_back).empty());
}

TEST_F(ReportFiles, GradescopeFileIsIndentedByTwoSpaces) {
  const fs::path path = dir_ / "results.json";
  grader::write_gradescope(sample_report(), path);
  const std::string text = grader::read_file(path);
  EXPECT_EQ(text.rfind("{\n  \"", 0), 0u) << text.substr(0, 40);
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(ReportFiles, GradescopeFileForUnwritablePathThrowsNamingIt) {
  try {
    grader::write_gradescope(sample_report(), "/etc/passwd/results.json");
    FAIL() << "no GraderError";
  } catch (const grader::GraderError& e) {
    EXPECT_TRUE(contains(e.what(), "\"/etc/passwd/results.json\"")) << e.what();
  }
}

TEST_F(ReportFiles, JunitFileHoldsTheXml) {
  const fs::path path = dir_ / "junit.xml";
  grader::write_junit(sample_report(), path);
  EXPECT_EQ(grader::read_file(path), grader::to_junit_xml(sample_report()));
}

// ---------------------------------------------------------------- JUnit XML

TEST(JunitXml, IsWellFormed) {
  EXPECT_EQ(xml_problem(grader::to_junit_xml(sample_report())), "");
}

TEST(JunitXml, CheckerRejectsRawMarkupInText) {
  // The checker itself must be able to fail, or IsWellFormed proves nothing.
  EXPECT_NE(xml_problem("<a>1 < 2</a>"), "");
  EXPECT_NE(xml_problem("<a>R&D</a>"), "");
  EXPECT_NE(xml_problem("<a><b></a></b>"), "");
  EXPECT_NE(xml_problem("<a x=\"<\"/>"), "");
}

TEST(JunitXml, HostileTextStaysWellFormed) {
  GradeReport r = sample_report();
  r.submission = "<sub> & \"co\"";
  r.tests[1].name = "</testsuite><x>";
  r.tests[1].cases[0].message =
      std::string("a < b && \"c\" > 'd' ]]> ") + std::string("\x01\x1B\0\xFF\xEF\xBF\xBE", 7);
  r.tests[1].cases[0].diagnosis = "&amp; is not an entity here";
  r.tests[0].child_stdout = "<script>\r\n";
  EXPECT_EQ(xml_problem(grader::to_junit_xml(r)), "");
}

TEST(JunitXml, EscapesMarkupInFailureText) {
  GradeReport r = sample_report();
  r.tests[1].cases[0].message = "got a < b && c";
  const std::string xml = grader::to_junit_xml(r);
  EXPECT_TRUE(contains(xml, "message=\"got a &lt; b &amp;&amp; c\"")) << xml;
  EXPECT_TRUE(contains(xml, ">got a &lt; b &amp;&amp; c\n")) << xml;
}

TEST(JunitXml, RemovesControlCharacters) {
  GradeReport r = sample_report();
  r.tests[1].cases[0].message = std::string("x\x01y\x1Bz") + '\0' + "w";
  const std::string xml = grader::to_junit_xml(r);
  for (const char c : {'\x01', '\x1B', '\0'}) EXPECT_EQ(xml.find(c), std::string::npos);
}

TEST(JunitXml, CountsTestcasesAndFailures) {
  // Cases: 1 (passed problem) + 2 (one failed) + 1 (hidden, failed) = 4, 2 failures.
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_TRUE(contains(xml, "<testsuites name=\"adcourse /subs/alice\" tests=\"4\" failures=\"2\" "
                            "errors=\"0\" time=\"2.250\">"))
      << xml;
}

TEST(JunitXml, NamesTestcasesAfterCasesWithProblemClassname) {
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_TRUE(contains(xml, "<testcase classname=\"adcourse.tape_sin\" name=\"sin(x1) at x1 = 0.5\""))
      << xml;
}

TEST(JunitXml, FailureCarriesMessageAndLikelyMistake) {
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_TRUE(contains(xml, "<failure message=\"entry 0: expected 0.877583, got -0.877583\" "
                            "type=\"failed\">entry 0: expected 0.877583, got -0.877583\n"
                            "Likely mistake: the sign of the derivative of cos is flipped</failure>"))
      << xml;
}

TEST(JunitXml, SuiteRecordsScoreProperties) {
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_TRUE(contains(xml, "<property name=\"score\" value=\"2.5\"/>\n"
                            "      <property name=\"max_score\" value=\"5\"/>"))
      << xml;
}

TEST(JunitXml, FailedProblemWithoutCasesIsOneFailure) {
  GradeReport r;
  r.submission = "s";
  TestResult compilation = make_test("compilation", "4", 0, 0);
  compilation.name = "compilation";
  compilation.passed = false;
  compilation.output = "error: expected ';'\nat line 3";
  r.tests = {compilation};
  const std::string xml = grader::to_junit_xml(r);
  EXPECT_TRUE(contains(xml, "tests=\"1\" failures=\"1\"")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"error: expected &apos;;&apos;\"")) << xml;
}

TEST(JunitXml, FailedProblemWhoseCasesAllPassedStillFails) {
  GradeReport r = sample_report();
  r.tests[0].passed = false;
  r.tests[0].output = "timed out after the cases";
  const std::string xml = grader::to_junit_xml(r);
  EXPECT_TRUE(contains(xml, "tests=\"5\" failures=\"3\"")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"timed out after the cases\"")) << xml;
}

TEST(JunitXml, GraderErrorBecomesAnError) {
  const std::string xml = grader::to_junit_xml(grader_error_report());
  EXPECT_TRUE(contains(xml, "errors=\"1\"")) << xml;
  EXPECT_TRUE(contains(xml, "<error message=\"The grader failed: problems/matmul.json: "
                            "&quot;tolerance&quot; must be &gt; 0 (got -1)\" type=\"GraderError\">"))
      << xml;
  EXPECT_EQ(xml_problem(xml), "");
}

TEST(JunitXml, VisibleTestIncludesProgramOutput) {
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_TRUE(contains(xml, "<system-out>hello from the student</system-out>")) << xml;
}

TEST(JunitXml, HiddenTestLeavesOutProgramOutput) {
  const std::string xml = grader::to_junit_xml(sample_report());
  EXPECT_FALSE(contains(xml, "SECRET-INPUT"));
  EXPECT_FALSE(contains(xml, "SECRET-STDERR"));
}

// ---------------------------------------------------------------- terminal

TEST(TerminalReport, HeaderNamesSubmissionAndScore) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_EQ(text.rfind("Submission: /subs/alice\nScore: 7.5 / 15\n", 0), 0u) << text;
}

TEST(TerminalReport, OneLinePerProblemWithMarkAndPoints) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_TRUE(contains(text, "  ✓   5 / 5  1. Problem dual_basic\n")) << text;
  EXPECT_TRUE(contains(text, "  ✗ 2.5 / 5  2. Problem tape_sin\n")) << text;
}

TEST(TerminalReport, ShowsFailingCaseWithMessageAndLikelyMistake) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_TRUE(contains(text, "      ✗ sin(x1) at x1 = 0.5 (0 / 2.5)\n"
                             "          entry 0: expected 0.877583, got -0.877583\n"
                             "          Likely mistake: the sign of the derivative of cos is flipped\n"))
      << text;
}

TEST(TerminalReport, OmitsPassingCases) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_FALSE(contains(text, "x1 * x1 at x1 = 3")) << text;
}

TEST(TerminalReport, ClosingLineCountsPassedAndFailed) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_TRUE(contains(text, "\n1 passed, 2 failed\n")) << text;
}

TEST(TerminalReport, NoEscapeByteWithoutColor) {
  GradeReport r = sample_report();
  r.tests[0].child_stdout = "\x1B[31mred\x1B[0m";
  r.tests[1].cases[0].message = "\x1B]0;title\x07";
  const std::string text = terminal_text(r, {});
  EXPECT_EQ(text.find('\x1B'), std::string::npos) << text;
}

TEST(TerminalReport, UsesAnsiColoursWhenAsked) {
  grader::TerminalOptions options;
  options.color = true;
  const std::string text = terminal_text(sample_report(), options);
  EXPECT_TRUE(contains(text, "\x1B[32m✓\x1B[0m")) << text;
  EXPECT_TRUE(contains(text, "\x1B[31m✗\x1B[0m")) << text;
  EXPECT_TRUE(contains(text, "\x1B[33mLikely mistake: \x1B[0m")) << text;
}

TEST(TerminalReport, ListsHiddenTestsByDefault) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_TRUE(contains(text, "3. Problem vjp_hidden [hidden]")) << text;
}

TEST(TerminalReport, CountsHiddenTestsWithoutShowingThem) {
  grader::TerminalOptions options;
  options.show_hidden = false;
  const std::string text = terminal_text(sample_report(), options);
  EXPECT_FALSE(contains(text, "vjp_hidden")) << text;
  EXPECT_FALSE(contains(text, "secret case")) << text;
  EXPECT_FALSE(contains(text, "SECRET")) << text;
  EXPECT_TRUE(contains(text, "\n1 passed, 1 failed, 1 hidden test not shown\n")) << text;
}

TEST(TerminalReport, ShowsProgramOutputByDefault) {
  const std::string text = terminal_text(sample_report(), {});
  EXPECT_TRUE(contains(text, "      Your program printed:\n        hello from the student\n"))
      << text;
}

TEST(TerminalReport, LeavesOutProgramOutputWhenAsked) {
  grader::TerminalOptions options;
  options.show_output = false;
  const std::string text = terminal_text(sample_report(), options);
  EXPECT_FALSE(contains(text, "hello from the student")) << text;
  EXPECT_FALSE(contains(text, "Your program printed")) << text;
}

TEST(TerminalReport, SaysWhenTheGraderFailed) {
  const std::string text = terminal_text(grader_error_report(), {});
  EXPECT_TRUE(contains(text, "Grader error (a fault of the grader, not of the submission):\n"
                             "  The grader failed: problems/matmul.json"))
      << text;
}

TEST(TerminalReport, NonFiniteScoreShownAsZeroWithNote) {
  GradeReport r = sample_report();
  r.score = kNaN;
  const std::string text = terminal_text(r, {});
  EXPECT_TRUE(contains(text, "Score: 0 / 15\n")) << text;
  EXPECT_TRUE(contains(text, "non-finite")) << text;
  EXPECT_FALSE(contains(text, "nan")) << text;
}

// ---------------------------------------------------------------- want_color

TEST(WantColor, FalseForPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ScopedEnv no_color("NO_COLOR", std::nullopt);
  ScopedEnv term("TERM", "xterm-256color");
  EXPECT_FALSE(grader::want_color(fds[1]));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(WantColor, TrueForTerminal) {
  PseudoTerminal pty;
  ASSERT_GE(pty.fd(), 0);
  ScopedEnv no_color("NO_COLOR", std::nullopt);
  ScopedEnv term("TERM", "xterm-256color");
  EXPECT_TRUE(grader::want_color(pty.fd()));
}

TEST(WantColor, FalseForTerminalWhenNoColorIsSet) {
  PseudoTerminal pty;
  ASSERT_GE(pty.fd(), 0);
  ScopedEnv no_color("NO_COLOR", "1");
  ScopedEnv term("TERM", "xterm-256color");
  EXPECT_FALSE(grader::want_color(pty.fd()));
}

TEST(WantColor, TrueForTerminalWhenNoColorIsEmpty) {
  PseudoTerminal pty;
  ASSERT_GE(pty.fd(), 0);
  ScopedEnv no_color("NO_COLOR", "");
  ScopedEnv term("TERM", "xterm-256color");
  EXPECT_TRUE(grader::want_color(pty.fd()));
}

TEST(WantColor, FalseForDumbTerminal) {
  PseudoTerminal pty;
  ASSERT_GE(pty.fd(), 0);
  ScopedEnv no_color("NO_COLOR", std::nullopt);
  ScopedEnv term("TERM", "dumb");
  EXPECT_FALSE(grader::want_color(pty.fd()));
}

}  // namespace
