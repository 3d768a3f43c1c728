// Verdict accuracy: the finite-difference oracle (grader/numdiff.hpp), the
// tolerances derived from rounding-error bounds and the mistake models of the
// judge, kinks in specs. Expected values come from analytic derivatives or the
// reference AD, never from the code under test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/network.hpp"
#include "ad/tensor.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/judge.hpp"
#include "grader/numdiff.hpp"
#include "grader/plan.hpp"
#include "grader/spec.hpp"

namespace {

namespace fs = std::filesystem;
using grader::Expression;
using grader::FdEstimate;
using grader::Plan;
using grader::ProblemKind;
using grader::ProblemSpec;
using grader::TaskOutcome;
using grader::TaskVerdict;
using testing::HasSubstr;
using Vec = std::vector<double>;

const fs::path binary_dir = ADC_BINARY_DIR;

// ---------------------------------------------------------------- helpers

ProblemSpec gradient_problem(ProblemKind kind, const std::string& function, std::size_t arity,
                             std::vector<std::vector<double>> at, const std::string& kink = "") {
  ProblemSpec p;
  p.id = "accuracy_test";
  p.title = "Accuracy test";
  p.points = 1.0;
  p.kind = kind;
  grader::CaseSpec c;
  c.name = "the case";
  c.functions = {function};
  c.arity = arity;
  c.at = std::move(at);
  c.kink = kink;
  p.cases.push_back(c);
  return p;
}

TaskOutcome replied(Vec values) {
  TaskOutcome o;
  o.state = TaskOutcome::State::replied;
  o.reply.ok = true;
  o.reply.values = std::move(values);
  return o;
}

/// f and ∇f at p by the reference's forward mode: the reply of a correct forward submission.
Vec forward_reply(const Expression& f, const Vec& p) {
  Vec out{f.evaluate(p)};
  for (std::size_t j = 0; j < p.size(); ++j) {
    std::vector<ad::Dual> x;
    for (std::size_t i = 0; i < p.size(); ++i) x.emplace_back(p[i], i == j ? 1.0 : 0.0);
    out.push_back(f.evaluate(x).tangent);
  }
  return out;
}

TaskVerdict judge_forward(const std::string& function, std::size_t arity, const Vec& p, const Vec& reply,
                          const std::string& kink = "") {
  static std::vector<std::unique_ptr<ProblemSpec>> keep;  // plans point to their spec
  keep.push_back(std::make_unique<ProblemSpec>(
      gradient_problem(ProblemKind::forward_gradient, function, arity, {p}, kink)));
  const Plan plan = grader::plan_problem(*keep.back(), 1, false);
  return grader::judge_task(plan, 0, replied(reply));
}

// ---------------------------------------------------------------- finite differences

TEST(Ridders, EstimatesExpToNearlyFullPrecisionAndBoundsItsError) {
  const FdEstimate d = grader::ridders_derivative([](double t) { return std::exp(1.0 + t); }, 0.1);
  ASSERT_TRUE(d.ok);
  EXPECT_LE(std::fabs(d.value - std::exp(1.0)), d.error);
  EXPECT_LT(d.error, 1e-11 * std::exp(1.0));
}

TEST(Ridders, ErrorEstimatesHoldOnSmoothFunctionsAtManyPoints) {
  // (expression, its derivative in x1) over points where each is smooth.
  struct Case {
    const char* f;
    double (*df)(double);
    double low, high;
  };
  const Case cases[] = {
      {"sin(x1)", [](double x) { return std::cos(x); }, -3, 3},
      {"log(x1)", [](double x) { return 1.0 / x; }, 1e-3, 1e3},
      {"sqrt(x1)", [](double x) { return 0.5 / std::sqrt(x); }, 1e-9, 1e9},
      {"tan(x1)", [](double x) { return 1.0 / (std::cos(x) * std::cos(x)); }, -1.5, 1.5},
      {"sqrt(1 + tanh(x1)^2) / (2 + cos(x1))",
       [](double x) {
         const double t = std::tanh(x), s = std::sqrt(1 + t * t), c = 2 + std::cos(x);
         return (t * (1 - t * t) / s) / c + s * std::sin(x) / (c * c);
       },
       -3, 3},
  };
  int violations = 0, points = 0;
  for (const Case& c : cases) {
    const Expression f = Expression::parse(c.f);
    std::uint64_t state = 7;
    for (int k = 0; k < 100; ++k) {
      const double u = 0.5 * (ad::splitmix_uniform(state) + 1.0);
      // Log-uniform over a positive range (magnitudes from tiny to large), else uniform.
      const double x = c.low > 0 ? c.low * std::pow(c.high / c.low, u) : c.low + (c.high - c.low) * u;
      const FdEstimate d = grader::fd_gradient(f, {x})[0];
      ++points;
      if (!d.ok || std::fabs(d.value - c.df(x)) > d.error) ++violations;
    }
  }
  EXPECT_EQ(violations, 0) << "of " << points << " points";
}

TEST(FdGradient, StepsAroundAKinkNearby) {
  const Expression f = Expression::parse("relu(x1) + abs(x2)");
  const std::vector<FdEstimate> g = grader::fd_gradient(f, {1e-3, -2e-4});
  ASSERT_TRUE(g[0].ok && g[1].ok);
  EXPECT_NEAR(g[0].value, 1.0, 1e-9);
  EXPECT_NEAR(g[1].value, -1.0, 1e-9);
}

TEST(FdGradient, StaysInsideTheDomainOfATinyInput) {
  const Expression f = Expression::parse("sqrt(x1) + log(x2)");
  const std::vector<FdEstimate> g = grader::fd_gradient(f, {1e-10, 1e-12});
  ASSERT_TRUE(g[0].ok && g[1].ok);
  EXPECT_NEAR(g[0].value, 0.5 / std::sqrt(1e-10), 1e-6 * 0.5 / std::sqrt(1e-10));
  EXPECT_NEAR(g[1].value, 1e12, 1e-6 * 1e12);
}

TEST(FdGradient, GivesNoEstimateOnTheKinkItself) {
  const Expression f = Expression::parse("relu(x1 - 1) + x2");
  const std::vector<FdEstimate> g = grader::fd_gradient(f, {1.0, 3.0});
  EXPECT_FALSE(g[0].ok);
  EXPECT_TRUE(g[1].ok);
  EXPECT_EQ(grader::kink_at(f, {1.0, 3.0}), "the argument of relu is 0");
}

// ---------------------------------------------------------------- tolerances that follow from rounding

TEST(Tolerance, CentralDifferencesInsideASubmissionFailAsAnApproximation) {
  const Expression f = Expression::parse("log(x1) + x1*x2 - sin(x2)");
  const Vec p = {2.0, 5.0};
  // The best a student's central difference does: step cbrt(eps)·|x|, error about 1e-11.
  Vec reply{f.evaluate(p)};
  for (std::size_t j = 0; j < 2; ++j) {
    const double h = std::cbrt(2.2e-16) * std::fabs(p[j]);
    Vec a = p, b = p;
    a[j] += h;
    b[j] -= h;
    reply.push_back((f.evaluate(a) - f.evaluate(b)) / (2.0 * h));
  }
  const Vec exact = forward_reply(f, p);
  ASSERT_LT(std::fabs(reply[1] - exact[1]), 1e-9 * std::fabs(exact[1])) << "would have passed a 1e-9 tolerance";
  const TaskVerdict v = judge_forward("log(x1) + x1*x2 - sin(x2)", 2, p, reply);
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("approximation"));
  EXPECT_THAT(v.message, HasSubstr("matches finite differences only"));
}

TEST(Tolerance, AnotherCorrectFormulaPassesWhereTheDerivativeCancels) {
  // softplus(x) - x at 30: the derivative e/(1+e) - 1 ≈ -9.4e-14 is a difference of two numbers near 1.
  const double x = 30.0;
  const double e = std::exp(x);
  const double other = (1.0 / (1.0 + e)) * e - 1.0;  // the log rule as (1/u)·u' instead of u'/u
  const Vec reply = {std::log(1.0 + e) - x, other};
  EXPECT_TRUE(judge_forward("log(1 + exp(x1)) - x1", 1, {x}, reply).passed);
  const Vec wrong = {std::log(1.0 + e) - x, -e / (1.0 + e) - 1.0};  // the sign of the log rule flipped
  EXPECT_FALSE(judge_forward("log(1 + exp(x1)) - x1", 1, {x}, wrong).passed);
}

TEST(Tolerance, TinyMagnitudesStillSeparateRightFromWrong) {
  ProblemSpec p;
  p.id = "tiny";
  p.points = 1.0;
  p.kind = ProblemKind::vjp_add;
  grader::CaseSpec c;
  c.name = "tiny";
  c.shape = {3, 2};
  c.random = grader::RandomTrials{1, 54, 1e-10, 5e-10};
  p.cases.push_back(c);
  const Plan plan = grader::plan_problem(p, 1, false);
  const auto& dz = plan.tasks[0].matrices[0].values;
  Vec right = plan.tasks[0].matrices[1].values, doubled = right;
  for (std::size_t i = 0; i < right.size(); ++i) {
    right[i] += dz[i];
    doubled[i] += 2.0 * dz[i];
  }
  EXPECT_TRUE(grader::judge_task(plan, 0, replied(right)).passed);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(doubled));
  EXPECT_FALSE(v.passed) << "every entry is below 1e-9: an absolute tolerance of 1e-12 would pass anything";
  EXPECT_THAT(v.diagnosis, HasSubstr("factor 2"));
}

// ---------------------------------------------------------------- kinks with a stated rule

TEST(Kink, ACaseStatesTheOneSidedRuleItExpects) {
  const Vec p = {0.0};
  EXPECT_TRUE(judge_forward("relu(x1)", 1, p, {0.0, 1.0}, "right").passed);
  const TaskVerdict v = judge_forward("relu(x1)", 1, p, {0.0, 0.0}, "right");
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("kink"));
}

TEST(Kink, TheCoursesRuleIsZeroAtTheKink) {
  EXPECT_TRUE(judge_forward("abs(x1) + relu(x2)", 2, {0.0, 0.0}, {0.0, 0.0, 0.0}, "zero").passed);
  const TaskVerdict v = judge_forward("abs(x1) + relu(x2)", 2, {0.0, 0.0}, {0.0, 1.0, 0.0}, "zero");
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("wrong rule at a kink: at 0, the rule for abs"));
}

// ---------------------------------------------------------------- the likely mistake, named

TEST(Diagnosis, NamesTheRuleWithTheWrongSignInAComposition) {
  const Expression f = Expression::parse("sin(x1) * x2 + exp(x2)");
  const Vec p = {0.7, 0.3};
  Vec reply = forward_reply(f, p);
  reply[1] = -std::cos(0.7) * 0.3;  // d/dx1 through sin, negated
  const TaskVerdict v = judge_forward("sin(x1) * x2 + exp(x2)", 2, p, reply);
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("wrong sign in the rule for sin"));
}

TEST(Diagnosis, NamesTheDerivativeOfAnotherFunction) {
  const Expression f = Expression::parse("tan(x1) + x2");
  const Vec p = {0.4, 1.0};
  Vec reply = forward_reply(f, p);
  reply[1] = 1.0 - std::tanh(0.4) * std::tanh(0.4);  // the derivative of tanh for tan
  const TaskVerdict v = judge_forward("tan(x1) + x2", 2, p, reply);
  EXPECT_THAT(v.diagnosis, HasSubstr("uses the derivative of tanh"));
}

TEST(Diagnosis, NamesAMissingTermOfTheProductRule) {
  const Expression f = Expression::parse("x1 * x2 + x1");
  const Vec p = {2.0, 3.0};
  // d(ab) = b da only: ∂/∂x2 loses its term a.
  const Vec reply = {f.evaluate(p), 3.0 + 1.0, 0.0};
  const TaskVerdict v = judge_forward("x1 * x2 + x1", 2, p, reply);
  EXPECT_THAT(v.diagnosis, HasSubstr("missing term in the rule for a * b"));
}

// ---------------------------------------------------------------- kinks in specs

/// A spec file with one case, in a fresh folder; returns its path.
fs::path write_spec(const std::string& name, const std::string& json_case) {
  const fs::path dir = binary_dir / "accuracy-tmp";
  fs::create_directories(dir);
  const fs::path file = dir / (name + ".json");
  grader::write_file_atomically(file, "{\"id\": \"" + name + "\", \"title\": \"t\", \"points\": 1, \"kind\": "
                                      "\"forward_gradient\", \"cases\": [" + json_case + "]}");
  return file;
}

std::string load_error(const fs::path& file) {
  try {
    grader::load_problem(file);
  } catch (const grader::GraderError& e) {
    return e.what();
  }
  return "";
}

TEST(SpecKink, APointOnAKinkIsRefusedUnlessTheCaseStatesItsRule) {
  const std::string msg =
      load_error(write_spec("kink_a", R"j({"name": "a", "function": "relu(x1 - 1) + x2", "at": [[2, 1], [1, 3]]})j"));
  EXPECT_THAT(msg, HasSubstr("\"cases[0].at[1]\" sits on a kink"));
  EXPECT_THAT(msg, HasSubstr("the argument of relu is 0"));
  EXPECT_THAT(msg, HasSubstr("\"kink\""));
  EXPECT_EQ(load_error(write_spec("kink_b", R"j({"name": "a", "function": "relu(x1 - 1)", "at": [[1]], "kink": "left"})j")),
            "");
}

TEST(SpecKink, AStatedRuleNeedsAPointOnAKink) {
  EXPECT_THAT(load_error(write_spec("kink_c", R"j({"name": "a", "function": "abs(x1)", "at": [[2]], "kink": "zero"})j")),
              HasSubstr("no point of \"at\" sits on a kink"));
}

TEST(SpecKink, AnUnknownRuleIsRefusedWithTheRulesThereAre) {
  EXPECT_THAT(load_error(write_spec("kink_d", R"j({"name": "a", "function": "abs(x1)", "at": [[0]], "kink": "mid"})j")),
              HasSubstr("use \"zero\""));
}

}  // namespace
