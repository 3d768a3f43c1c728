// Tests of grader/plan.hpp: deterministic tasks from the grading seed, points per case.
#include "grader/plan.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "grader/protocol.hpp"
#include "grader/spec.hpp"

namespace {

using grader::CaseSpec;
using grader::Plan;
using grader::ProblemKind;
using grader::ProblemSpec;
using grader::RandomTrials;
using grader::Visibility;
using grader::protocol::MatrixData;
using grader::protocol::Task;
using grader::protocol::TaskKind;

/// The bits of a double, so that -0.0 and NaN payloads compare exactly.
std::uint64_t bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// Whether two vectors of doubles hold the same bits.
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bits(a[i]) != bits(b[i])) return false;
  return true;
}

/// Whether two tasks are identical, numbers compared bit by bit.
bool same_task(const Task& a, const Task& b) {
  if (a.kind != b.kind || a.functions != b.functions || a.variables != b.variables || a.steps != b.steps) return false;
  if (!same_bits(a.point, b.point) || !same_bits(a.scalars, b.scalars) || a.matrices.size() != b.matrices.size())
    return false;
  for (std::size_t i = 0; i < a.matrices.size(); ++i) {
    const MatrixData &ma = a.matrices[i], &mb = b.matrices[i];
    if (ma.rows != mb.rows || ma.cols != mb.cols || !same_bits(ma.values, mb.values)) return false;
  }
  return true;
}

/// A gradient case of `arity` variables with chosen points and random trials.
CaseSpec gradient_case(const std::string& name, const std::string& function, std::size_t arity,
                       std::vector<std::vector<double>> at, int trials, double weight = 1.0) {
  CaseSpec c;
  c.name = name;
  c.functions = {function};
  c.arity = arity;
  c.at = std::move(at);
  c.weight = weight;
  if (trials > 0) c.random = RandomTrials{trials, 17, -2.0, 3.0};
  return c;
}

/// A forward_gradient problem worth 12 points: cases of weight 1, 2 (hidden) and 3.
ProblemSpec weighted_problem() {
  ProblemSpec p;
  p.id = "plan_test";
  p.title = "Plan test";
  p.points = 12.0;
  p.kind = ProblemKind::forward_gradient;
  p.cases.push_back(gradient_case("a", "x1*x2", 2, {{2.0, 5.0}, {0.1, -0.3}}, 3, 1.0));
  p.cases.push_back(gradient_case("b", "sin(x1)", 1, {{0.5}}, 2, 2.0));
  p.cases.back().visibility = Visibility::hidden;
  p.cases.push_back(gradient_case("c", "x1/x2", 2, {}, 2, 3.0));
  return p;
}

TEST(PlanProblem, SameSeedGivesIdenticalTasksForEveryRealProblem) {
  const std::vector<ProblemSpec> problems = grader::load_problems(std::filesystem::path(ADC_SOURCE_DIR) / "problems");
  for (const ProblemSpec& p : problems) {
    const Plan a = grader::plan_problem(p, 20240611, false);
    const Plan b = grader::plan_problem(p, 20240611, false);
    ASSERT_EQ(a.tasks.size(), b.tasks.size()) << p.id;
    EXPECT_FALSE(a.tasks.empty()) << p.id;
    for (std::size_t i = 0; i < a.tasks.size(); ++i) EXPECT_TRUE(same_task(a.tasks[i], b.tasks[i])) << p.id << " task " << i;
    EXPECT_EQ(a.labels, b.labels) << p.id;
    EXPECT_EQ(a.task_case, b.task_case) << p.id;
  }
}

TEST(PlanProblem, DifferentGradingSeedGivesDifferentRandomPoints) {
  const ProblemSpec p = weighted_problem();
  const Plan a = grader::plan_problem(p, 1, false);
  const Plan b = grader::plan_problem(p, 2, false);
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  // Case a: two chosen points (the same under any seed), then three random ones (not).
  const std::vector<std::size_t>& tasks = a.cases[0].tasks;
  ASSERT_EQ(tasks.size(), 5u);
  EXPECT_TRUE(same_bits(a.tasks[tasks[0]].point, b.tasks[tasks[0]].point));
  EXPECT_TRUE(same_bits(a.tasks[tasks[1]].point, b.tasks[tasks[1]].point));
  for (std::size_t k = 2; k < 5; ++k) EXPECT_NE(a.tasks[tasks[k]].point, b.tasks[tasks[k]].point) << "trial " << k - 1;
}

TEST(PlanProblem, ChosenPointsComeFirstAndAreExact) {
  const ProblemSpec p = weighted_problem();
  const Plan plan = grader::plan_problem(p, 99, false);
  const std::vector<std::size_t>& tasks = plan.cases[0].tasks;
  ASSERT_EQ(tasks.size(), 5u);
  EXPECT_EQ(plan.tasks[tasks[0]].point, (std::vector<double>{2.0, 5.0}));
  EXPECT_EQ(plan.tasks[tasks[1]].point, (std::vector<double>{0.1, -0.3}));
  EXPECT_EQ(plan.labels[tasks[0]], "at (x1, x2) = (2, 5)");
  for (std::size_t k = 2; k < 5; ++k) {
    const std::vector<double>& point = plan.tasks[tasks[k]].point;
    ASSERT_EQ(point.size(), 2u);
    for (double v : point) {
      EXPECT_GE(v, -2.0);
      EXPECT_LE(v, 3.0);
    }
  }
}

TEST(PlanProblem, CaseScoresFollowTheWeightsAndSumToThePoints) {
  const ProblemSpec p = weighted_problem();
  const Plan plan = grader::plan_problem(p, 5, false);
  ASSERT_EQ(plan.cases.size(), 3u);
  EXPECT_DOUBLE_EQ(plan.cases[0].max_score, 2.0);
  EXPECT_DOUBLE_EQ(plan.cases[1].max_score, 4.0);
  EXPECT_DOUBLE_EQ(plan.cases[2].max_score, 6.0);
  double sum = 0.0;
  for (const auto& c : plan.cases) sum += c.max_score;
  EXPECT_DOUBLE_EQ(sum, p.points);
}

TEST(PlanProblem, VisibleOnlyDropsHiddenCasesButKeepsTheOthersPoints) {
  const ProblemSpec p = weighted_problem();
  const Plan full = grader::plan_problem(p, 5, false);
  const Plan visible = grader::plan_problem(p, 5, true);
  ASSERT_EQ(visible.cases.size(), 2u);
  EXPECT_EQ(visible.cases[0].spec_index, 0u);
  EXPECT_EQ(visible.cases[1].spec_index, 2u);
  EXPECT_DOUBLE_EQ(visible.cases[0].max_score, full.cases[0].max_score);
  EXPECT_DOUBLE_EQ(visible.cases[1].max_score, full.cases[2].max_score);
  // The tasks of the dropped case are gone, and every task still names its case.
  EXPECT_EQ(visible.tasks.size(), full.tasks.size() - full.cases[1].tasks.size());
  ASSERT_EQ(visible.task_case.size(), visible.tasks.size());
  for (std::size_t c = 0; c < visible.cases.size(); ++c)
    for (std::size_t t : visible.cases[c].tasks) EXPECT_EQ(visible.task_case[t], c);
}

TEST(PlanProblem, JacobianModeBothGivesForwardAndReverseTaskPerPoint) {
  ProblemSpec p;
  p.id = "jac";
  p.points = 4.0;
  p.kind = ProblemKind::jacobian;
  CaseSpec c = gradient_case("j", "x1*x2", 2, {{1.0, 2.0}, {3.0, 4.0}}, 1);
  c.functions = {"x1*x2", "sin(x1) + x2"};
  c.mode = "both";
  p.cases.push_back(c);
  const Plan plan = grader::plan_problem(p, 3, false);
  ASSERT_EQ(plan.tasks.size(), 6u);
  for (std::size_t i = 0; i < plan.tasks.size(); i += 2) {
    EXPECT_EQ(plan.tasks[i].kind, TaskKind::jacobian_forward);
    EXPECT_EQ(plan.tasks[i + 1].kind, TaskKind::jacobian_reverse);
    EXPECT_TRUE(same_bits(plan.tasks[i].point, plan.tasks[i + 1].point));
    EXPECT_EQ(plan.tasks[i].functions, c.functions);
  }
  EXPECT_EQ(plan.tasks[2].point, (std::vector<double>{3.0, 4.0}));
}

TEST(PlanProblem, VjpMatmulTasksCarryFiveMatricesOfTheRightShapes) {
  ProblemSpec p;
  p.id = "mm";
  p.points = 3.0;
  p.kind = ProblemKind::vjp_matmul;
  CaseSpec c;
  c.name = "2x3 times 3x4";
  c.x_shape = {2, 3};
  c.w_shape = {3, 4};
  c.random = RandomTrials{2, 9, -0.5, 0.5};
  p.cases.push_back(c);
  const Plan plan = grader::plan_problem(p, 11, false);
  ASSERT_EQ(plan.tasks.size(), 2u);
  // X, W, dZ, dX before, dW before.
  const std::size_t want_shapes[5][2] = {{2, 3}, {3, 4}, {2, 4}, {2, 3}, {3, 4}};
  for (const Task& t : plan.tasks) {
    EXPECT_EQ(t.kind, TaskKind::vjp_matmul);
    ASSERT_EQ(t.matrices.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(t.matrices[i].rows, want_shapes[i][0]) << "matrix " << i;
      EXPECT_EQ(t.matrices[i].cols, want_shapes[i][1]) << "matrix " << i;
      ASSERT_EQ(t.matrices[i].values.size(), want_shapes[i][0] * want_shapes[i][1]) << "matrix " << i;
      for (double v : t.matrices[i].values) {
        EXPECT_GE(v, -0.5);
        EXPECT_LE(v, 0.5);
      }
    }
  }
  EXPECT_NE(plan.tasks[0].matrices[0].values, plan.tasks[1].matrices[0].values);
}

}  // namespace
