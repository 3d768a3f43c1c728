// Tests of grader/spec.hpp: the real problem specs, and every error class of a
// hand-written spec, whose message must name the file, the field, the value and a fix.
#include "grader/spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grader/error.hpp"

namespace {

namespace fs = std::filesystem;
using grader::GraderError;
using grader::ProblemKind;
using grader::ProblemSpec;
using nlohmann::json;
using testing::AllOf;
using testing::HasSubstr;

const fs::path problems_dir = fs::path(ADC_SOURCE_DIR) / "problems";

/// A valid forward_gradient spec with two cases; tests break one field of it.
json valid_spec(const std::string& id = "p") {
  return json{{"id", id},
              {"title", "Product rule"},
              {"points", 10},
              {"kind", "forward_gradient"},
              {"cases", json::array({json{{"name", "a"}, {"function", "x1*x2"}, {"at", json::array({{2, 5}})}},
                                     json{{"name", "b"}, {"function", "sin(x1)"}, {"at", json::array({{0.5}})}}})}};
}

/// A valid vjp_matmul spec with one case.
json matmul_spec(const std::string& id = "p") {
  return json{{"id", id},
              {"title", "VJPs of matmul"},
              {"points", 5},
              {"kind", "vjp_matmul"},
              {"cases", json::array({json{{"name", "square"},
                                          {"x_shape", {3, 3}},
                                          {"w_shape", {3, 3}},
                                          {"random", {{"trials", 1}, {"seed", 7}}}}})}};
}

/// A fresh, empty folder for spec files; removed afterwards.
class SpecFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("adc_spec_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes `text` to <dir>/<stem>.json and returns the path.
  fs::path write(const std::string& stem, const std::string& text) {
    const fs::path file = dir_ / (stem + ".json");
    std::ofstream out(file, std::ios::binary);
    out << text;
    out.close();
    EXPECT_TRUE(out.good()) << file;
    return file;
  }

  /// The message of the GraderError load_problem throws on `text` in <stem>.json; "" when it loads.
  std::string load_error(const std::string& text, const std::string& stem = "p") {
    const fs::path file = write(stem, text);
    try {
      grader::load_problem(file);
    } catch (const GraderError& e) {
      return e.what();
    }
    return "";
  }
  std::string load_error(const json& spec, const std::string& stem = "p") { return load_error(spec.dump(2), stem); }

  /// The path load_problem names in its messages for <stem>.json.
  std::string file_name(const std::string& stem = "p") const { return (dir_ / (stem + ".json")).string(); }

  fs::path dir_;
};

// ---------------------------------------------------------------- the real specs

TEST(RealSpecs, EveryProblemLoads) {
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(problems_dir)) files += e.path().extension() == ".json" ? 1 : 0;
  const std::vector<ProblemSpec> problems = grader::load_problems(problems_dir);
  ASSERT_EQ(problems.size(), files);
  for (const ProblemSpec& p : problems) {
    EXPECT_EQ(p.id, p.file.stem().string());
    EXPECT_GT(p.points, 0.0) << p.id;
    EXPECT_FALSE(p.cases.empty()) << p.id;
  }
}

TEST(RealSpecs, LoadProblemsOrdersThemByOrder) {
  const std::vector<ProblemSpec> problems = grader::load_problems(problems_dir);
  ASSERT_GE(problems.size(), 2u);
  EXPECT_TRUE(std::is_sorted(problems.begin(), problems.end(),
                             [](const ProblemSpec& a, const ProblemSpec& b) { return a.order < b.order; }));
  // The first is the one of lowest order (then id), whatever the file names say.
  std::string first_id;
  int first_order = 0;
  for (const auto& e : fs::directory_iterator(problems_dir)) {
    if (e.path().extension() != ".json") continue;
    const ProblemSpec p = grader::load_problem(e.path());
    if (first_id.empty() || p.order < first_order || (p.order == first_order && p.id < first_id)) {
      first_id = p.id;
      first_order = p.order;
    }
  }
  EXPECT_EQ(problems.front().id, first_id);
}

TEST_F(SpecFolder, LoadProblemsBreaksTiesInOrderById) {
  json a = valid_spec("a"), b = valid_spec("b"), c = valid_spec("c");
  a["order"] = 20;
  b["order"] = 10;
  c["order"] = 10;
  write("c", c.dump());
  write("a", a.dump());
  write("b", b.dump());
  const std::vector<ProblemSpec> problems = grader::load_problems(dir_);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].id, "b");
  EXPECT_EQ(problems[1].id, "c");
  EXPECT_EQ(problems[2].id, "a");
}

TEST_F(SpecFolder, ValidSpecLoadsEveryField) {
  json spec = valid_spec();
  spec["tolerance"] = {{"relative", 1e-8}, {"absolute", 1e-10}};
  spec["cases"][1]["weight"] = 3;
  spec["cases"][1]["visibility"] = "hidden";
  const ProblemSpec p = grader::load_problem(write("p", spec.dump()));
  EXPECT_EQ(p.kind, ProblemKind::forward_gradient);
  EXPECT_EQ(p.points, 10.0);
  EXPECT_EQ(p.tolerance.relative, 1e-8);
  EXPECT_EQ(p.tolerance.absolute, 1e-10);
  ASSERT_EQ(p.cases.size(), 2u);
  EXPECT_EQ(p.cases[0].arity, 2u);
  EXPECT_EQ(p.cases[0].at, (std::vector<std::vector<double>>{{2.0, 5.0}}));
  EXPECT_EQ(p.cases[1].weight, 3.0);
  EXPECT_EQ(p.cases[1].visibility, grader::Visibility::hidden);
}

// ---------------------------------------------------------------- error classes

TEST_F(SpecFolder, UnknownTopLevelFieldIsNamed) {
  json spec = valid_spec();
  spec["deadline"] = 12;
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"deadline\" is not a known field"), HasSubstr("(got 12)"),
                    HasSubstr("remove it, or use one of:"), HasSubstr("points")));
}

TEST_F(SpecFolder, MisspeltTopLevelFieldSuggestsTheNearestOne) {
  json spec = valid_spec();
  spec["pionts"] = 12;
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"pionts\" is not a known field"),
                                      HasSubstr("(got 12)"), HasSubstr("did you mean \"points\"?")));
}

TEST_F(SpecFolder, UnknownCaseFieldIsNamedWithItsPath) {
  json spec = valid_spec();
  spec["cases"][1]["shape"] = {3, 1};
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"cases[1].shape\" is not a known field"),
                                      HasSubstr("(got [3,1])"), HasSubstr("remove it")));
}

TEST_F(SpecFolder, PointsAsStringIsAWrongType) {
  json spec = valid_spec();
  spec["points"] = "10";
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"points\" must be a number"),
                                      HasSubstr("(got \"10\")"), HasSubstr("give the points")));
}

TEST_F(SpecFolder, NegativePointsAreOutOfRange) {
  json spec = valid_spec();
  spec["points"] = -1;
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"points\" must be >= 0"),
                                      HasSubstr("(got -1)"), HasSubstr("give the points the problem is worth")));
}

TEST_F(SpecFolder, ZeroRelativeToleranceIsOutOfRange) {
  json spec = valid_spec();
  spec["tolerance"] = {{"relative", 0}};
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"tolerance.relative\" must be > 0"),
                                      HasSubstr("(got 0)"), HasSubstr("use a relative tolerance > 0")));
}

TEST_F(SpecFolder, WallSecondsBelowCpuSecondsIsOutOfRange) {
  json spec = valid_spec();
  spec["limits"] = {{"cpu_seconds", 5}, {"wall_seconds", 2}};
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"limits.wall_seconds\" must be at least cpu_seconds"),
                    HasSubstr("(got 2)"), HasSubstr("raise wall_seconds or lower cpu_seconds")));
}

TEST_F(SpecFolder, CheckCpuSecondsIsAQuarterOfCheckSecondsUnlessGiven) {
  json spec = valid_spec();
  EXPECT_EQ(grader::load_problem(write("p", spec.dump())).limits.check_cpu(), 0.25);
  spec["limits"] = {{"check_seconds", 10}};
  EXPECT_EQ(grader::load_problem(write("p", spec.dump())).limits.check_cpu(), 2.5);
  spec["limits"] = {{"check_seconds", 10}, {"check_cpu_seconds", 4}};
  EXPECT_EQ(grader::load_problem(write("p", spec.dump())).limits.check_cpu(), 4.0);
}

TEST_F(SpecFolder, CheckCpuSecondsAboveCheckSecondsIsOutOfRange) {
  json spec = valid_spec();
  spec["limits"] = {{"check_cpu_seconds", 3}};
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"limits.check_cpu_seconds\" must be at most check_seconds (1"),
                    HasSubstr("(got 3)"), HasSubstr("lower check_cpu_seconds or raise check_seconds")));
  spec["limits"] = {{"check_cpu_seconds", 0}};
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr("\"limits.check_cpu_seconds\" must be > 0"), HasSubstr("(got 0)")));
}

TEST_F(SpecFolder, CpuSecondsAboveTheDefaultWallSecondsIsOutOfRange) {
  // wall_seconds is left at its default (20 s), below the cpu_seconds given.
  json spec = valid_spec();
  spec["limits"] = {{"cpu_seconds", 30}};
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"limits.wall_seconds\" (the default) must be at least cpu_seconds"),
                    HasSubstr("(got 20.0)"), HasSubstr("raise wall_seconds")));
}

TEST_F(SpecFolder, UnknownKindListsTheKnownOnes) {
  json spec = valid_spec();
  spec["kind"] = "forward";
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"kind\" is not a known kind"),
                                      HasSubstr("(got \"forward\")"), HasSubstr("use one of:"),
                                      HasSubstr("forward_gradient")));
}

TEST_F(SpecFolder, UnknownVisibilityListsTheGradescopeOnes) {
  json spec = valid_spec();
  spec["cases"][0]["visibility"] = "secret";
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"cases[0].visibility\" is not a Gradescope visibility"),
                    HasSubstr("(got \"secret\")"), HasSubstr("use \"visible\", \"hidden\"")));
}

TEST_F(SpecFolder, IdDifferentFromFileStemIsRefused) {
  EXPECT_THAT(load_error(valid_spec("p"), "q"),
              AllOf(HasSubstr(file_name("q")), HasSubstr("\"id\" must equal the file name without .json (\"q\")"),
                    HasSubstr("(got \"p\")"), HasSubstr("rename the file or the id")));
}

TEST_F(SpecFolder, InvalidJsonSyntaxNamesTheLine) {
  EXPECT_THAT(load_error(std::string("{\"id\": \"p\",\n \"title\": }\n")),
              AllOf(HasSubstr(file_name()), HasSubstr("is not valid JSON"), HasSubstr("line 2"),
                    HasSubstr("fix the syntax")));
}

TEST_F(SpecFolder, MissingCasesIsNamed) {
  json spec = valid_spec();
  spec.erase("cases");
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"cases\" is missing"), HasSubstr("give at least one case")));
}

TEST_F(SpecFolder, DuplicateCaseNamesAreRefused) {
  json spec = valid_spec();
  spec["cases"][1]["name"] = "a";
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"cases[1].name\" repeats the name of an earlier case"),
                    HasSubstr("(got \"a\")"), HasSubstr("give every case of a problem its own name")));
}

TEST_F(SpecFolder, ExpressionSyntaxErrorQuotesTheExpressionAndField) {
  json spec = valid_spec();
  spec["cases"][1]["function"] = "log(x1 + )";
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"cases[1].function\""),
                                      HasSubstr("\"log(x1 + )\""), HasSubstr("column")));
}

TEST_F(SpecFolder, PointWithWrongNumberOfCoordinatesIsRefused) {
  json spec = valid_spec();
  spec["cases"][0]["at"] = json::array({{2, 5}, {1, 2, 3}});
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"cases[0].at[1]\" has 3 coordinates but the function has 2"),
                    HasSubstr("(got [1,2,3])"), HasSubstr("give one number per variable")));
}

TEST_F(SpecFolder, MatmulShapesWhoseInnerDimensionsDifferAreRefused) {
  json spec = matmul_spec();
  spec["cases"][0]["x_shape"] = {2, 3};
  spec["cases"][0]["w_shape"] = {4, 2};
  EXPECT_THAT(load_error(spec),
              AllOf(HasSubstr(file_name()), HasSubstr("\"cases[0].w_shape\" must have as many rows as X has columns (3)"),
                    HasSubstr("(got [4,2])"), HasSubstr("make x_shape [m, k] and w_shape [k, n]")));
}

TEST_F(SpecFolder, TensorCaseWithoutRandomIsRefused) {
  json spec = matmul_spec();
  spec["cases"][0].erase("random");
  EXPECT_THAT(load_error(spec), AllOf(HasSubstr(file_name()), HasSubstr("\"cases[0]\" has no \"random\" block"),
                                      HasSubstr("\"x_shape\""), HasSubstr("add \"random\"")));
}

// ---------------------------------------------------------------- validate_problems

TEST_F(SpecFolder, ValidateProblemsReportsOneIssuePerBadFile) {
  write("good", valid_spec("good").dump());
  json wrong_kind = valid_spec("bad_kind");
  wrong_kind["kind"] = "forward";
  const fs::path bad_kind = write("bad_kind", wrong_kind.dump());
  const fs::path bad_syntax = write("bad_syntax", "{");
  const std::vector<grader::SpecIssue> issues = grader::validate_problems(dir_);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].file, bad_kind);
  EXPECT_THAT(issues[0].message, HasSubstr("\"kind\" is not a known kind"));
  EXPECT_EQ(issues[1].file, bad_syntax);
  EXPECT_THAT(issues[1].message, HasSubstr("is not valid JSON"));
}

TEST_F(SpecFolder, ValidateProblemsFindsNothingInGoodSpecs) {
  write("a", valid_spec("a").dump());
  write("b", matmul_spec("b").dump());
  EXPECT_TRUE(grader::validate_problems(dir_).empty());
}

// ---------------------------------------------------------------- visible_spec_text

TEST_F(SpecFolder, VisibleSpecTextDropsHiddenCases) {
  json spec = valid_spec();
  spec["cases"][1]["visibility"] = "hidden";
  const ProblemSpec p = grader::load_problem(write("p", spec.dump()));
  const std::optional<std::string> text = grader::visible_spec_text(p);
  ASSERT_TRUE(text.has_value());
  const json visible = json::parse(*text);
  ASSERT_EQ(visible.at("cases").size(), 1u);
  EXPECT_EQ(visible["cases"][0]["name"], "a");
  EXPECT_EQ(visible["title"], "Product rule");
}

TEST_F(SpecFolder, VisibleSpecTextOfAHiddenProblemIsNothing) {
  json spec = valid_spec();
  spec["visibility"] = "hidden";
  const ProblemSpec p = grader::load_problem(write("p", spec.dump()));
  EXPECT_FALSE(grader::visible_spec_text(p).has_value());
}

}  // namespace
