// Tests of grader/timing.hpp: the reply layout, the fits, and measure_growth
// on made-up workloads whose cost is known (a busy loop of size^k steps).
#include "grader/timing.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using grader::timing::GrowthMeasurement;
using grader::timing::MeasureError;
using grader::timing::Stop;
using grader::timing::Workload;
using grader::timing::WorkloadSpec;

/// A workload of size^power steps of a busy loop (the size is the chain's input width).
class Busy final : public Workload {
 public:
  Busy(std::size_t size, double power) : steps_(static_cast<long>(std::pow(static_cast<double>(size), power) * 200)) {}
  void run() override {
    volatile double x = 1.0;
    for (long k = 0; k < steps_; ++k) x = x * 1.0000001 + 1e-9;
    last_ = x;
  }
  std::vector<double> result() const override { return {last_}; }

 private:
  long steps_;
  double last_ = 0.0;
};

std::unique_ptr<Workload> linear(const WorkloadSpec& s) { return std::make_unique<Busy>(s.widths.front(), 1.0); }
std::unique_ptr<Workload> quadratic(const WorkloadSpec& s) { return std::make_unique<Busy>(s.widths.front(), 2.0); }

/// Never ends from size 8 on (a sweep that walks every path, say).
class Endless final : public Workload {
 public:
  explicit Endless(std::size_t size) : size_(size) {}
  void run() override {
    volatile unsigned long spin = 0;
    while (size_ >= 8) spin = spin + 1;
  }
  std::vector<double> result() const override { return {1.0}; }

 private:
  std::size_t size_;
};
std::unique_ptr<Workload> endless(const WorkloadSpec& s) { return std::make_unique<Endless>(s.widths.front()); }

class Throws final : public Workload {
 public:
  void run() override { throw std::runtime_error("boom in run"); }
  std::vector<double> result() const override { return {}; }
};
std::unique_ptr<Workload> throwing(const WorkloadSpec&) { return std::make_unique<Throws>(); }

class Crashes final : public Workload {
 public:
  void run() override { std::raise(SIGSEGV); }
  std::vector<double> result() const override { return {}; }
};
std::unique_ptr<Workload> crashing(const WorkloadSpec&) { return std::make_unique<Crashes>(); }

MeasureError classify(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return {"exception", x.what()};
  } catch (...) {
    return {"unknown_exception", "?"};
  }
}

grader::protocol::Task task(std::vector<std::size_t> sizes, double budget = 20.0) {
  grader::protocol::Task t;
  t.kind = grader::protocol::TaskKind::timing;
  t.timing.method = "gradient";
  t.timing.graph = "chain";
  t.timing.sizes = std::move(sizes);
  t.timing.repeats = 3;
  t.timing.batch_seconds = 0.001;
  t.timing.budget_seconds = budget;
  t.point = {0.5};
  return t;
}

TEST(FittedExponent, RecoversAPowerLaw) {
  const std::vector<double> x = {2, 4, 8, 16, 32};
  std::vector<double> y;
  for (double v : x) y.push_back(3.0 * std::pow(v, 1.5));
  EXPECT_NEAR(grader::timing::fitted_exponent(x, y), 1.5, 1e-12);
}

TEST(FittedExponent, IsZeroWithFewerThanTwoUsablePoints) {
  EXPECT_EQ(grader::timing::fitted_exponent({4}, {1.0}), 0.0);
  EXPECT_EQ(grader::timing::fitted_exponent({4, 8}, {1.0, 0.0}), 0.0);  // a zero time has no logarithm
}

TEST(GrowthLayout, RoundTrips) {
  GrowthMeasurement m;
  m.stop = Stop::budget;
  m.stopped_at = 64;
  m.seconds = 1.25;
  m.sizes = {{4, 1e-6, 2e-6, 3e-7}, {16, 4e-6, 8e-6, 1e-6}};
  m.result = {0.5, -0.25};
  const GrowthMeasurement back = grader::timing::decode_growth(grader::timing::encode_growth(m));
  EXPECT_EQ(back.stop, Stop::budget);
  EXPECT_EQ(back.stopped_at, 64);
  ASSERT_EQ(back.sizes.size(), 2u);
  EXPECT_EQ(back.sizes[1].size, 16);
  EXPECT_EQ(back.sizes[1].reference, 8e-6);
  EXPECT_EQ(back.result, m.result);
}

TEST(GrowthLayout, RejectsACountLongerThanTheReply) {
  EXPECT_THROW(grader::timing::decode_growth({0, 0, 0, 0, 3, 4, 1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(grader::timing::decode_growth({0, 0}), std::invalid_argument);
}

TEST(SpecAt, ChainWidthsFollowTheSize) {
  grader::protocol::Task t = task({4, 16});
  t.timing.width = 6;
  t.timing.layers = 3;
  t.timing.outputs = 2;
  const WorkloadSpec s = grader::timing::spec_at(t, 16, "primal");
  EXPECT_EQ(s.widths, (std::vector<std::size_t>{16, 6, 6, 2}));
  EXPECT_EQ(s.method, grader::timing::Method::primal);
  EXPECT_EQ(grader::timing::input_point(s).size(), 16u);
}

TEST(MeasureGrowth, SeesAQuadraticBesideALinear) {
  GrowthMeasurement m;
  MeasureError e;
  ASSERT_TRUE(grader::timing::measure_growth(task({8, 16, 32, 64}), &quadratic, &linear, &classify, m, e));
  EXPECT_EQ(m.stop, Stop::completed);
  ASSERT_EQ(m.sizes.size(), 4u);
  std::vector<double> x, ratio;
  for (const auto& s : m.sizes) {
    x.push_back(s.size);
    ratio.push_back(s.submission / s.reference);
  }
  // The ratio of size² to size grows like size¹; the tolerance covers timer noise.
  EXPECT_NEAR(grader::timing::fitted_exponent(x, ratio), 1.0, 0.3);
  EXPECT_EQ(m.result.size(), 1u);
}

TEST(MeasureGrowth, StopsAtTheBudgetAndKeepsWhatItMeasured) {
  GrowthMeasurement m;
  MeasureError e;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(grader::timing::measure_growth(task({2, 4, 8, 16}, 0.5), &endless, &linear, &classify, m, e));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(m.stop, Stop::budget);
  EXPECT_EQ(m.stopped_at, 8);
  EXPECT_EQ(m.sizes.size(), 2u);
  EXPECT_LT(took, 5.0) << "the budget, not a limit, ends the measurement";
}

TEST(MeasureGrowth, AFirstCallThatDoesNotEndStopsAtTheFirstCallLimit) {
  GrowthMeasurement m;
  MeasureError e;
  grader::protocol::Task t = task({8, 16}, 20.0);
  t.timing.first_call_seconds = 0.2;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(grader::timing::measure_growth(t, &endless, &linear, &classify, m, e));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(m.stop, Stop::first_call);
  EXPECT_EQ(m.stopped_at, 8);
  EXPECT_TRUE(m.sizes.empty());
  EXPECT_LT(took, 10.0) << "the first call's limit, not the 20 s budget, ends the measurement";
}

TEST(MeasureGrowth, TheFirstCallLimitDoesNotCutALaterSize) {
  // Ends at size 4 (its first call answers), never from 8 on: the budget ends it.
  GrowthMeasurement m;
  MeasureError e;
  grader::protocol::Task t = task({2, 4, 8}, 1.0);
  t.timing.first_call_seconds = 0.2;
  ASSERT_TRUE(grader::timing::measure_growth(t, &endless, &linear, &classify, m, e));
  EXPECT_EQ(m.stop, Stop::budget);
  EXPECT_EQ(m.stopped_at, 8);
  EXPECT_EQ(m.sizes.size(), 2u);
}

TEST(MeasureGrowth, ReportsWhatTheSubmissionThrew) {
  GrowthMeasurement m;
  MeasureError e;
  EXPECT_FALSE(grader::timing::measure_growth(task({4, 8}), &throwing, &linear, &classify, m, e));
  EXPECT_EQ(e.category, "exception");
  EXPECT_EQ(e.message, "boom in run");
}

TEST(MeasureGrowth, ReportsACrashWithItsSignal) {
  GrowthMeasurement m;
  MeasureError e;
  ASSERT_TRUE(grader::timing::measure_growth(task({4, 8}), &crashing, &linear, &classify, m, e));
  EXPECT_EQ(m.stop, Stop::crashed);
  EXPECT_EQ(m.signal, SIGSEGV);
  EXPECT_EQ(m.stopped_at, 4);
}

}  // namespace
