// Tests of the complexity problem kind: its spec fields (spec.cpp), its plan
// (one timing task per case, plan.cpp) and its judge (judge_complexity.cpp),
// on made-up timings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "ad/jacobian.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/judge.hpp"
#include "grader/plan.hpp"
#include "grader/spec.hpp"
#include "grader/timing.hpp"

namespace {

namespace fs = std::filesystem;
using grader::Plan;
using grader::ProblemSpec;
using grader::TaskOutcome;
using grader::TaskVerdict;
using grader::timing::GrowthMeasurement;
using testing::HasSubstr;

/// A spec file with one case (its JSON given), in a folder of the build tree.
ProblemSpec load_case(const std::string& name, const std::string& case_json) {
  const fs::path dir = fs::path(ADC_BINARY_DIR) / "complexity-test-specs";
  fs::create_directories(dir);
  const fs::path file = dir / (name + ".json");
  grader::write_file_atomically(file, R"({"id": ")" + name +
                                          R"(", "title": "t", "points": 4, "kind": "complexity", "cases": [)" +
                                          case_json + "]}");
  return grader::load_problem(file);
}

const char* reverse_chain = R"({"name": "n", "mode": "reverse", "graph": "chain", "sizes": [4, 16, 64], "width": 3, "layers": 2})";
const char* reverse_diamonds = R"({"name": "d", "mode": "reverse", "graph": "diamonds", "sizes": [4, 8, 16, 32]})";

std::string error_of(const std::string& name, const std::string& case_json) {
  try {
    load_case(name, case_json);
  } catch (const grader::GraderError& e) {
    return e.what();
  }
  return "";
}

/// The exact result the judge expects at the first size, from the reference.
std::vector<double> right_result(const grader::protocol::Task& t) {
  const grader::timing::WorkloadSpec s = grader::timing::spec_at(t, t.timing.sizes.front());
  const std::vector<double> x = grader::timing::input_point(s);
  if (t.timing.graph == "diamonds") {
    const ad::Dual y = ad::diamond_chain(ad::Dual(x[0], 1.0), static_cast<int>(s.depth));
    return {y.tangent};
  }
  const ad::Chain c(ad::ChainSpec{s.widths, s.seed, ad::Activation::tanh});
  if (t.timing.method == "gradient") return ad::gradient([&](const auto& v) { return c(v)[0]; }, x);
  return ad::jacobian_forward(c, x).values();
}

/// A reply whose ratio to the reference grows like size^growth.
TaskOutcome replied(const grader::protocol::Task& t, double growth, std::vector<double> result) {
  GrowthMeasurement m;
  for (std::size_t size : t.timing.sizes) {
    const double s = static_cast<double>(size);
    m.sizes.push_back({s, 1e-6 * s * std::pow(s, growth), 1e-6 * s, 1e-7 * s});
  }
  m.result = std::move(result);
  TaskOutcome o;
  o.state = TaskOutcome::State::replied;
  o.reply.ok = true;
  o.reply.values = grader::timing::encode_growth(m);
  return o;
}

TEST(ComplexitySpec, ReadsEveryField) {
  const ProblemSpec p = load_case(
      "fields", R"({"name": "n", "mode": "forward", "graph": "chain", "sizes": [2, 8], "width": 5, "layers": 2,
                   "outputs": 3, "max_exponent": 0.25, "budget_seconds": 2, "repeats": 7})");
  const grader::CaseSpec& c = p.cases.at(0);
  EXPECT_EQ(c.mode, "forward");
  EXPECT_EQ(c.graph, "chain");
  EXPECT_EQ(c.sizes, (std::vector<std::size_t>{2, 8}));
  EXPECT_EQ(c.width, 5u);
  EXPECT_EQ(c.outputs, 3u);
  EXPECT_EQ(c.max_exponent, 0.25);
  EXPECT_EQ(c.budget_seconds, 2.0);
  EXPECT_EQ(c.repeats, 7);
}

TEST(ComplexitySpec, RefusesSizesThatDoNotAscend) {
  const std::string e = error_of("descending", R"({"name": "n", "mode": "reverse", "graph": "chain", "sizes": [16, 4]})");
  EXPECT_THAT(e, HasSubstr("descending.json: \"cases[0].sizes\" must be strictly ascending (got [16,4])"));
  EXPECT_THAT(e, HasSubstr("sort the sizes"));
}

TEST(ComplexitySpec, RefusesSeveralOutputsInReverseMode) {
  const std::string e =
      error_of("outputs", R"({"name": "n", "mode": "reverse", "graph": "chain", "sizes": [4, 8], "outputs": 2})");
  EXPECT_THAT(e, HasSubstr("\"cases[0].outputs\" must be 1 in reverse mode"));
}

TEST(ComplexitySpec, RefusesChainFieldsOnDiamonds) {
  const std::string e =
      error_of("diamond_width", R"({"name": "d", "mode": "reverse", "graph": "diamonds", "sizes": [4, 8], "width": 4})");
  EXPECT_THAT(e, HasSubstr("\"cases[0].width\" is only for \"graph\": \"chain\""));
}

TEST(ComplexitySpec, RefusesAnUnknownMode) {
  EXPECT_THAT(error_of("mode", R"({"name": "d", "mode": "both", "graph": "diamonds", "sizes": [4, 8]})"),
              HasSubstr("\"cases[0].mode\" must be \"forward\" or \"reverse\" (got \"both\")"));
}

TEST(ComplexityPlan, OneTimingTaskPerCase) {
  const ProblemSpec p = load_case("plan", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  ASSERT_EQ(plan.tasks.size(), 1u);
  const grader::protocol::Task& t = plan.tasks[0];
  EXPECT_EQ(t.kind, grader::protocol::TaskKind::timing);
  EXPECT_EQ(t.timing.method, "gradient");
  EXPECT_EQ(t.timing.sizes, (std::vector<std::size_t>{4, 16, 64}));
  EXPECT_EQ(t.timing.width, 3u);
  EXPECT_EQ(t.point.size(), 4u) << "one coordinate per input at the first size";
  EXPECT_THAT(plan.labels[0], HasSubstr("n = 4, 16, 64"));
}

TEST(ComplexityJudge, PassesARatioThatStaysFlat) {
  const ProblemSpec p = load_case("flat", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(plan.tasks[0], 0.05, right_result(plan.tasks[0])));
  EXPECT_TRUE(v.passed) << v.message;
}

TEST(ComplexityJudge, FailsARatioThatGrowsAndSaysHowFast) {
  const ProblemSpec p = load_case("grows", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(plan.tasks[0], 1.0, right_result(plan.tasks[0])));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("your time grew like n^2.00, the reference's like n^1.00"));
  EXPECT_THAT(v.message, HasSubstr("it grew like n^1.00"));
  EXPECT_THAT(v.diagnosis, HasSubstr("one pass per input"));
}

TEST(ComplexityJudge, FailsAtTheBudgetNamingWhereItStopped) {
  const ProblemSpec p = load_case("budget", reverse_diamonds);
  const Plan plan = grader::plan_problem(p, 7, false);
  TaskOutcome o = replied(plan.tasks[0], 3.0, right_result(plan.tasks[0]));
  GrowthMeasurement m = grader::timing::decode_growth(o.reply.values);
  m.sizes.resize(2);
  m.stop = grader::timing::Stop::budget;
  m.stopped_at = 16;
  o.reply.values = grader::timing::encode_growth(m);
  const TaskVerdict v = grader::judge_task(plan, 0, o);
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("had not finished at depth 16 when the 1.0 s measuring budget ran out"));
  EXPECT_THAT(v.message, HasSubstr("grew like depth^4.00"));
  EXPECT_THAT(v.diagnosis, HasSubstr("walks every path"));
}

TEST(ComplexityJudge, AFirstCallThatNeverEndedIsALoopNotAGrowth) {
  const ProblemSpec p = load_case("first_call", reverse_diamonds);
  const Plan plan = grader::plan_problem(p, 7, false);
  EXPECT_EQ(plan.tasks[0].timing.first_call_seconds, 0.25) << "a quarter of the default check limit";
  GrowthMeasurement m;
  m.stop = grader::timing::Stop::first_call;
  m.stopped_at = static_cast<double>(plan.tasks[0].timing.sizes.front());
  TaskOutcome o = replied(plan.tasks[0], 1.0, {});
  o.reply.values = grader::timing::encode_growth(m);
  const TaskVerdict v = grader::judge_task(plan, 0, o);
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("did not finish even one call at depth " +
                                   std::to_string(plan.tasks[0].timing.sizes.front()) +
                                   " within 250 ms (an endless loop?)"));
  EXPECT_EQ(v.diagnosis, "") << "nothing was measured, so no growth is named";
}

TEST(ComplexityJudge, FailsAWrongResultWhateverTheTiming) {
  const ProblemSpec p = load_case("wrong", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  std::vector<double> r = right_result(plan.tasks[0]);
  r[1] = -r[1];
  const TaskVerdict v = grader::judge_task(plan, 0, replied(plan.tasks[0], 0.0, r));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("is wrong: entry 1"));
  EXPECT_THAT(v.diagnosis, HasSubstr("fix reverse mode first"));
}

TEST(ComplexityJudge, NamesFiniteDifferencesForAnApproximateGradient) {
  const ProblemSpec p = load_case("approximate", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  std::vector<double> r = right_result(plan.tasks[0]);
  for (double& x : r) x *= 1 + 1e-7;
  const TaskVerdict v = grader::judge_task(plan, 0, replied(plan.tasks[0], 0.0, r));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("finite differences"));
}

TEST(ComplexityJudge, ReportsNotImplemented) {
  const ProblemSpec p = load_case("todo", reverse_chain);
  const Plan plan = grader::plan_problem(p, 7, false);
  TaskOutcome o;
  o.state = TaskOutcome::State::replied;
  o.reply.category = "not_implemented";
  o.reply.message = "not implemented yet: reverse mode: the backward sweep";
  const TaskVerdict v = grader::judge_task(plan, 0, o);
  EXPECT_FALSE(v.passed);
  EXPECT_TRUE(v.not_implemented);
  EXPECT_THAT(v.message, HasSubstr("not implemented yet"));
}

}  // namespace
