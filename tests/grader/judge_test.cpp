// Tests of grader/judge.hpp: verdicts and diagnoses on fabricated probe replies.
// Each expected answer is computed here from the reference AD (ad::Dual, ad::Tape,
// the VJPs of ad/tensor.hpp, ad::gradient), never copied from the judge.
#include "grader/judge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ad/dual.hpp"
#include "ad/network.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"
#include "grader/plan.hpp"
#include "grader/spec.hpp"

namespace {

using grader::CaseResult;
using grader::CaseSpec;
using grader::Plan;
using grader::ProblemKind;
using grader::ProblemSpec;
using grader::RandomTrials;
using grader::TaskOutcome;
using grader::TaskVerdict;
using testing::HasSubstr;
using Vec = std::vector<double>;

// ---------------------------------------------------------------- problems and replies

/// A gradient problem (forward or reverse) of one case at chosen points.
ProblemSpec gradient_problem(ProblemKind kind, const std::string& function, std::size_t arity,
                             std::vector<std::vector<double>> at) {
  ProblemSpec p;
  p.id = "judge_test";
  p.title = "Judge test";
  p.points = 6.0;
  p.kind = kind;
  CaseSpec c;
  c.name = "the case";
  c.functions = {function};
  c.arity = arity;
  c.at = std::move(at);
  p.cases.push_back(c);
  return p;
}

/// A vjp_matmul problem of one case with one random trial.
ProblemSpec matmul_problem(std::size_t m, std::size_t k, std::size_t n) {
  ProblemSpec p;
  p.id = "judge_matmul";
  p.points = 5.0;
  p.kind = ProblemKind::vjp_matmul;
  CaseSpec c;
  c.name = "matmul";
  c.x_shape = {m, k};
  c.w_shape = {k, n};
  c.random = RandomTrials{1, 4, -1.0, 1.0};
  p.cases.push_back(c);
  return p;
}

/// A network_step problem of one case with one random trial.
ProblemSpec network_step_problem() {
  ProblemSpec p;
  p.id = "judge_network";
  p.points = 5.0;
  p.kind = ProblemKind::network_step;
  p.tolerance = {1e-8, 1e-10};
  CaseSpec c;
  c.name = "two steps";
  c.inputs = 2;
  c.hidden = 3;
  c.samples = 5;
  c.learning_rate = 0.1;
  c.steps = 2;
  c.random = RandomTrials{1, 8, -1.0, 1.0};
  p.cases.push_back(c);
  return p;
}

TaskOutcome replied(std::size_t task, Vec values) {
  TaskOutcome o;
  o.state = TaskOutcome::State::replied;
  o.reply.task = task;
  o.reply.ok = true;
  o.reply.values = std::move(values);
  return o;
}

TaskOutcome replied_error(std::size_t task, const std::string& category, const std::string& message) {
  TaskOutcome o;
  o.state = TaskOutcome::State::replied;
  o.reply.task = task;
  o.reply.category = category;
  o.reply.message = message;
  return o;
}

Vec concat(std::initializer_list<Vec> parts) {
  Vec out;
  for (const Vec& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// ---------------------------------------------------------------- oracles of the test

/// f(x1, x2) = log(x1) + x1*x2 - sin(x2), the worked example of the notes.
template <class T>
T notes_f(const std::vector<T>& x) {
  using std::log;
  using std::sin;
  return log(x[0]) + x[0] * x[1] - sin(x[1]);
}
const char* const notes_text = "log(x1) + x1*x2 - sin(x2)";
const Vec notes_point = {2.0, 5.0};

/// ∇notes_f by forward mode, one Dual pass per input.
Vec dual_gradient(const Vec& p) {
  Vec g;
  for (std::size_t j = 0; j < p.size(); ++j) {
    std::vector<ad::Dual> x;
    for (std::size_t i = 0; i < p.size(); ++i) x.emplace_back(p[i], i == j ? 1.0 : 0.0);
    g.push_back(notes_f(x).tangent);
  }
  return g;
}

/// The forward-mode reply of a correct submission: f, then ∇f.
Vec correct_forward_reply(const Vec& p) { return concat({{notes_f(p)}, dual_gradient(p)}); }

/// A matrix from what a task carries.
ad::Matrix to_matrix(const grader::protocol::MatrixData& m) { return ad::Matrix(m.rows, m.cols, m.values); }

/// The matmul VJPs a correct submission returns for task 0: dX, then dW (both added into their prefill).
struct MatmulAnswer {
  ad::Matrix x, w, dz, dx_before, dw_before, dx, dw;
};
MatmulAnswer matmul_answer(const Plan& plan) {
  const auto& mats = plan.tasks.at(0).matrices;
  MatmulAnswer a{to_matrix(mats[0]), to_matrix(mats[1]), to_matrix(mats[2]), to_matrix(mats[3]),
                 to_matrix(mats[4]), to_matrix(mats[3]), to_matrix(mats[4])};
  ad::vjp_matmul_x(a.w, a.dz, a.dx);
  ad::vjp_matmul_w(a.x, a.dz, a.dw);
  return a;
}

Vec flatten(const ad::TwoLayerNet& net) {
  return concat({net.w1.values(), net.b1.values(), net.w2.values(), {net.b2}});
}

// ---------------------------------------------------------------- judge_task: gradients

TEST(JudgeTask, CorrectForwardGradientPasses) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, correct_forward_reply(notes_point)));
  EXPECT_TRUE(v.passed) << v.message;
  EXPECT_EQ(v.message, "");
}

TEST(JudgeTask, CorrectReverseGradientPasses) {
  const ProblemSpec p = gradient_problem(ProblemKind::reverse_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const Vec g = dual_gradient(notes_point);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({{notes_f(notes_point)}, g, g, g})));
  EXPECT_TRUE(v.passed) << v.message;
}

TEST(JudgeTask, NonFiniteValuesNeverPass) {
  // A huge tolerance, so that only the rule about NaN and Infinity can fail them.
  ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  p.tolerance = {1.0, 1e300};
  const Plan plan = grader::plan_problem(p, 1, false);
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    Vec reply = correct_forward_reply(notes_point);
    reply[2] = bad;
    const TaskVerdict v = grader::judge_task(plan, 0, replied(0, reply));
    EXPECT_FALSE(v.passed) << bad;
    EXPECT_THAT(v.message, HasSubstr("NaN and Infinity never pass")) << bad;
  }
}

TEST(JudgeTask, WrongValueCountIsReported) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, {1.0, 2.0}));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("returned 2 numbers, expected 3"));
}

TEST(JudgeTask, NegatedGradientIsDiagnosedAsWrongSign) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const Vec g = dual_gradient(notes_point);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, {notes_f(notes_point), -g[0], -g[1]}));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("wrong sign"));
  EXPECT_THAT(v.message, HasSubstr("at (x1, x2) = (2, 5)"));
}

TEST(JudgeTask, FiniteDifferenceGradientIsCalledAnApproximation) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  // What a student who differences instead of differentiating returns: (f(x + h e_j) - f(x)) / h.
  const double h = 1e-6;
  const double f0 = notes_f(notes_point);
  Vec reply = {f0};
  for (std::size_t j = 0; j < 2; ++j) {
    Vec x = notes_point;
    x[j] += h;
    reply.push_back((notes_f(x) - f0) / h);
  }
  const Vec exact = dual_gradient(notes_point);
  ASSERT_GT(std::fabs(reply[1] - exact[0]), 1e-9 * std::fabs(exact[0])) << "the difference is too good to fail";
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, reply));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("matches finite differences only"));
  EXPECT_THAT(v.diagnosis, HasSubstr("approximation"));
}

TEST(JudgeTask, ReverseSecondSweepDoubledIsDiagnosedAsNotReset) {
  const ProblemSpec p = gradient_problem(ProblemKind::reverse_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const Vec g = dual_gradient(notes_point);
  const Vec twice = {2.0 * g[0], 2.0 * g[1]};
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({{notes_f(notes_point)}, g, twice, g})));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("a second time"));
  EXPECT_THAT(v.diagnosis, HasSubstr("not reset"));
}

TEST(JudgeTask, ReverseOverwritingSweepIsDiagnosedAsMissingAccumulation) {
  const double x0 = 1.5;
  const ProblemSpec p = gradient_problem(ProblemKind::reverse_gradient, "x1*x1*x1 + x1", 1, {{x0}});
  const Plan plan = grader::plan_problem(p, 1, false);
  // A backward sweep that assigns adjoints (=) instead of adding into them (+=).
  ad::Tape tape;
  const ad::Var x = tape.variable(x0);
  const ad::Var y = x * x * x + x;
  Vec adj(tape.size(), 0.0);
  adj[y.index()] = 1.0;
  for (std::size_t i = y.index() + 1; i-- > 0;) {
    const ad::Tape::Node& n = tape.nodes()[i];
    if (n.a != ad::Tape::no_operand) adj[n.a] = n.da * adj[i];
    if (n.b != ad::Tape::no_operand) adj[n.b] = n.db * adj[i];
  }
  const double overwritten = adj[x.index()];
  ASSERT_NE(overwritten, 3.0 * x0 * x0 + 1.0);
  const TaskVerdict v =
      grader::judge_task(plan, 0, replied(0, {y.value(), overwritten, overwritten, overwritten}));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("missing accumulation"));
}

// ---------------------------------------------------------------- judge_task: matmul VJPs

TEST(JudgeTask, CorrectVjpMatmulPasses) {
  const ProblemSpec p = matmul_problem(2, 3, 4);
  const Plan plan = grader::plan_problem(p, 1, false);
  const MatmulAnswer a = matmul_answer(plan);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({a.dx.values(), a.dw.values()})));
  EXPECT_TRUE(v.passed) << v.message;
}

TEST(JudgeTask, VjpMatmulWithoutTransposeIsDiagnosed) {
  const ProblemSpec p = matmul_problem(3, 3, 3);
  const Plan plan = grader::plan_problem(p, 1, false);
  const MatmulAnswer a = matmul_answer(plan);
  const ad::Matrix no_transpose = ad::add(a.dx_before, ad::matmul(a.dz, a.w));  // dX + dZ W
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({no_transpose.values(), a.dw.values()})));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("dX("));
  EXPECT_THAT(v.diagnosis, HasSubstr("missing transpose"));
}

TEST(JudgeTask, VjpMatmulOverwrittenIsDiagnosedAsMissingAccumulation) {
  const ProblemSpec p = matmul_problem(2, 3, 4);
  const Plan plan = grader::plan_problem(p, 1, false);
  const MatmulAnswer a = matmul_answer(plan);
  const ad::Matrix overwritten = ad::matmul(a.dz, a.w.transposed());  // dX = dZ Wᵀ, prefill lost
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({overwritten.values(), a.dw.values()})));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("missing accumulation"));
}

TEST(JudgeTask, VjpMatmulTwiceTheContributionIsDiagnosedAsAFactor) {
  const ProblemSpec p = matmul_problem(2, 3, 4);
  const Plan plan = grader::plan_problem(p, 1, false);
  const MatmulAnswer a = matmul_answer(plan);
  const ad::Matrix doubled = ad::add(a.dx_before, ad::scale(2.0, ad::matmul(a.dz, a.w.transposed())));
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, concat({doubled.values(), a.dw.values()})));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.diagnosis, HasSubstr("factor 2"));
}

// ---------------------------------------------------------------- judge_task: network step

TEST(JudgeTask, CorrectNetworkStepPasses) {
  const ProblemSpec p = network_step_problem();
  const Plan plan = grader::plan_problem(p, 1, false);
  const auto& t = plan.tasks.at(0);
  ad::TwoLayerNet net{to_matrix(t.matrices[0]), to_matrix(t.matrices[1]), to_matrix(t.matrices[2]), t.scalars[0]};
  const ad::Dataset data{to_matrix(t.matrices[3]), to_matrix(t.matrices[4])};
  for (int s = 0; s < t.steps; ++s) ad::sgd_step(net, ad::gradient(net, data), t.scalars[1]);
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, flatten(net)));
  EXPECT_TRUE(v.passed) << v.message;
}

TEST(JudgeTask, NetworkStepUphillIsDiagnosedAsWrongSign) {
  const ProblemSpec p = network_step_problem();
  const Plan plan = grader::plan_problem(p, 1, false);
  const auto& t = plan.tasks.at(0);
  ASSERT_EQ(t.steps, 2);
  ad::TwoLayerNet net{to_matrix(t.matrices[0]), to_matrix(t.matrices[1]), to_matrix(t.matrices[2]), t.scalars[0]};
  const ad::Dataset data{to_matrix(t.matrices[3]), to_matrix(t.matrices[4])};
  const double lr = t.scalars[1];
  for (int s = 0; s < t.steps; ++s) {
    // p ← p + lr·g: every parameter moves up the gradient.
    const ad::NetGradient g = ad::gradient(net, data);
    for (std::size_t k = 0; k < net.w1.size(); ++k) net.w1[k] += lr * g.w1[k];
    for (std::size_t k = 0; k < net.b1.size(); ++k) net.b1[k] += lr * g.b1[k];
    for (std::size_t k = 0; k < net.w2.size(); ++k) net.w2[k] += lr * g.w2[k];
    net.b2 += lr * g.b2;
  }
  const TaskVerdict v = grader::judge_task(plan, 0, replied(0, flatten(net)));
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("after 2 step(s)"));
  EXPECT_THAT(v.diagnosis, HasSubstr("wrong sign"));
}

// ---------------------------------------------------------------- judge_task: errors and failures

TEST(JudgeTask, NotImplementedReplyIsFlagged) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const TaskVerdict v =
      grader::judge_task(plan, 0, replied_error(0, "not_implemented", "ad::log(Dual) is not implemented yet"));
  EXPECT_FALSE(v.passed);
  EXPECT_TRUE(v.not_implemented);
  EXPECT_THAT(v.message, HasSubstr("ad::log(Dual) is not implemented yet"));
}

TEST(JudgeTask, ExceptionReplyIsNotCalledNotImplemented) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  const TaskVerdict v = grader::judge_task(plan, 0, replied_error(0, "exception", "vector::at out of range"));
  EXPECT_FALSE(v.passed);
  EXPECT_FALSE(v.not_implemented);
  EXPECT_THAT(v.message, HasSubstr("your code threw an exception: vector::at out of range"));
}

TEST(JudgeTask, FailedOutcomeCarriesItsFailure) {
  const ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point});
  const Plan plan = grader::plan_problem(p, 1, false);
  TaskOutcome crashed;
  crashed.state = TaskOutcome::State::failed;
  crashed.failure = "your program crashed (segmentation fault, signal 11)";
  const TaskVerdict v = grader::judge_task(plan, 0, crashed);
  EXPECT_FALSE(v.passed);
  EXPECT_THAT(v.message, HasSubstr("at (x1, x2) = (2, 5)"));
  EXPECT_THAT(v.message, HasSubstr("your program crashed (segmentation fault, signal 11)"));
}

// ---------------------------------------------------------------- judge_plan

/// A forward_gradient problem worth 9 points: case "a" (2 points, weight 2), case "b" (1 point, weight 1).
ProblemSpec two_case_problem() {
  ProblemSpec p = gradient_problem(ProblemKind::forward_gradient, notes_text, 2, {notes_point, {1.0, -2.0}});
  p.points = 9.0;
  p.cases[0].weight = 2.0;
  CaseSpec b = p.cases[0];
  b.name = "b";
  b.weight = 1.0;
  b.at = {{0.5, 0.25}};
  p.cases.push_back(b);
  return p;
}

TEST(JudgePlan, CaseEarnsNothingWhenOneCheckFails) {
  const ProblemSpec p = two_case_problem();
  const Plan plan = grader::plan_problem(p, 1, false);
  ASSERT_EQ(plan.tasks.size(), 3u);
  Vec wrong = correct_forward_reply({1.0, -2.0});
  wrong[1] += 0.5;
  const std::vector<TaskOutcome> outcomes = {replied(0, correct_forward_reply(notes_point)), replied(1, wrong),
                                             replied(2, correct_forward_reply({0.5, 0.25}))};
  const std::vector<CaseResult> results = grader::judge_plan(plan, outcomes);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].score, 0.0);
  EXPECT_DOUBLE_EQ(results[0].max_score, 6.0);
  EXPECT_THAT(results[0].message, HasSubstr("(1 of 2 checks failed)"));
  EXPECT_THAT(results[0].message, HasSubstr("at (x1, x2) = (1, -2)"));
  EXPECT_TRUE(results[1].passed);
  EXPECT_DOUBLE_EQ(results[1].score, 3.0);
}

TEST(JudgePlan, ScoresSumToThePointsOfThePassedCases) {
  const ProblemSpec p = two_case_problem();
  const Plan plan = grader::plan_problem(p, 1, false);
  std::vector<TaskOutcome> all_right = {replied(0, correct_forward_reply(notes_point)),
                                        replied(1, correct_forward_reply({1.0, -2.0})),
                                        replied(2, correct_forward_reply({0.5, 0.25}))};
  double total = 0.0;
  for (const CaseResult& r : grader::judge_plan(plan, all_right)) total += r.score;
  EXPECT_DOUBLE_EQ(total, 9.0);

  std::vector<TaskOutcome> b_wrong = all_right;
  b_wrong[2] = replied(2, {0.0, 0.0, 0.0});
  total = 0.0;
  for (const CaseResult& r : grader::judge_plan(plan, b_wrong)) total += r.score;
  EXPECT_DOUBLE_EQ(total, 6.0);
}

TEST(JudgePlan, CaseIsNotImplementedWhenEveryCheckSaysSo) {
  const ProblemSpec p = two_case_problem();
  const Plan plan = grader::plan_problem(p, 1, false);
  const std::vector<TaskOutcome> outcomes = {replied_error(0, "not_implemented", "ad::log(Dual): not implemented yet"),
                                             replied_error(1, "not_implemented", "ad::log(Dual): not implemented yet"),
                                             replied_error(2, "exception", "boom")};
  const std::vector<CaseResult> results = grader::judge_plan(plan, outcomes);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].not_implemented);
  EXPECT_EQ(results[0].score, 0.0);
  EXPECT_THAT(results[0].message, HasSubstr("not implemented yet"));
  EXPECT_FALSE(results[1].not_implemented);
}

}  // namespace
