// The worked examples of the course notes, each by forward mode (one Dual pass
// per input) and by reverse mode (one backward sweep), to the digits the notes
// give and against the exact closed forms (kAdTolerance).
#include <cmath>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "ad/dual.hpp"
#include "ad/tape.hpp"
#include "test_support.hpp"

namespace {

using adtest::kAdTolerance;
using adtest::near_rel;

/// f and its gradient as one mode computed them.
struct Evaluation {
  double value;
  std::vector<double> gradient;
};

template <class F>
Evaluation by_forward(F f, const std::vector<double>& x) {
  Evaluation e{f(std::vector<ad::Dual>(x.begin(), x.end())).value, {}};
  for (std::size_t j = 0; j < x.size(); ++j) {
    std::vector<ad::Dual> xd;
    for (std::size_t i = 0; i < x.size(); ++i) xd.emplace_back(x[i], i == j ? 1.0 : 0.0);
    e.gradient.push_back(f(xd).tangent);
  }
  return e;
}

template <class F>
Evaluation by_reverse(F f, const std::vector<double>& x) {
  ad::Tape tape;
  std::vector<ad::Var> xv;
  for (double xi : x) xv.push_back(tape.variable(xi));
  const ad::Var y = f(xv);
  tape.backward(y);
  Evaluation e{y.value(), {}};
  for (const ad::Var& v : xv) e.gradient.push_back(tape.adjoint(v));
  return e;
}

// f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5).
const auto log_product_sine = [](const auto& x) {
  using std::log;
  using std::sin;
  return log(x[0]) + x[0] * x[1] - sin(x[1]);
};

void check_log_product_sine(const Evaluation& e) {
  EXPECT_NEAR(e.value, 11.652, 5e-4);
  EXPECT_TRUE(near_rel(e.value, std::log(2.0) + 10.0 - std::sin(5.0), kAdTolerance));
  EXPECT_NEAR(e.gradient[0], 5.5, 1e-12);
  EXPECT_NEAR(e.gradient[1], 1.7163, 5e-5);
  EXPECT_TRUE(near_rel(e.gradient[1], 2.0 - std::cos(5.0), kAdTolerance));
}

TEST(WorkedExamples, LogProductSineByForwardMode) { check_log_product_sine(by_forward(log_product_sine, {2.0, 5.0})); }

TEST(WorkedExamples, LogProductSineByReverseMode) { check_log_product_sine(by_reverse(log_product_sine, {2.0, 5.0})); }

// f(x, y, z) = x·y·sin(y·z) at (3, −1, 2).
const auto product_sine = [](const auto& x) {
  using std::sin;
  return x[0] * x[1] * sin(x[1] * x[2]);
};

void check_product_sine(const Evaluation& e) {
  EXPECT_TRUE(near_rel(e.gradient[0], -std::sin(-2.0), kAdTolerance));                              // y sin(yz)
  EXPECT_TRUE(near_rel(e.gradient[1], 3.0 * std::sin(-2.0) - 6.0 * std::cos(-2.0), kAdTolerance));  // x sin(yz) + xyz cos(yz)
  EXPECT_TRUE(near_rel(e.gradient[2], 3.0 * std::cos(-2.0), kAdTolerance));                         // x y² cos(yz)
}

TEST(WorkedExamples, ProductSineByForwardMode) { check_product_sine(by_forward(product_sine, {3.0, -1.0, 2.0})); }

TEST(WorkedExamples, ProductSineByReverseMode) { check_product_sine(by_reverse(product_sine, {3.0, -1.0, 2.0})); }

// g = (x + y)·z with x + y = 4, z = −3.
const auto sum_times = [](const auto& x) { return (x[0] + x[1]) * x[2]; };

void check_sum_times(const Evaluation& e) {
  EXPECT_EQ(e.value, -12.0);
  EXPECT_EQ(e.gradient[0], -3.0);
  EXPECT_EQ(e.gradient[1], -3.0);
  EXPECT_EQ(e.gradient[2], 4.0);
}

TEST(WorkedExamples, SumTimesByForwardMode) { check_sum_times(by_forward(sum_times, {1.5, 2.5, -3.0})); }

TEST(WorkedExamples, SumTimesByReverseMode) { check_sum_times(by_reverse(sum_times, {1.5, 2.5, -3.0})); }

// Forward-mode examples at x = 2, y = 3.
const auto product = [](const auto& x) { return x[0] * x[1]; };
const auto linear_plus_product = [](const auto& x) { return 2.0 * x[0] + 3.0 * x[1] + x[0] * x[1]; };
const auto power = [](const auto& x) {
  using std::pow;
  return pow(x[0], x[1]);
};

TEST(WorkedExamples, ProductAlongYByForwardMode) { EXPECT_EQ(by_forward(product, {2.0, 3.0}).gradient[1], 2.0); }

TEST(WorkedExamples, ProductAlongYByReverseMode) { EXPECT_EQ(by_reverse(product, {2.0, 3.0}).gradient[1], 2.0); }

TEST(WorkedExamples, LinearPlusProductByForwardMode) {
  const Evaluation e = by_forward(linear_plus_product, {2.0, 3.0});
  EXPECT_EQ(e.value, 19.0);
  EXPECT_EQ(e.gradient[1], 5.0);
}

TEST(WorkedExamples, LinearPlusProductByReverseMode) {
  const Evaluation e = by_reverse(linear_plus_product, {2.0, 3.0});
  EXPECT_EQ(e.value, 19.0);
  EXPECT_EQ(e.gradient[1], 5.0);
}

TEST(WorkedExamples, PowerAlongXByForwardMode) {
  const Evaluation e = by_forward(power, {2.0, 3.0});
  EXPECT_DOUBLE_EQ(e.value, 8.0);
  EXPECT_DOUBLE_EQ(e.gradient[0], 12.0);
}

TEST(WorkedExamples, PowerAlongXByReverseMode) {
  const Evaluation e = by_reverse(power, {2.0, 3.0});
  EXPECT_DOUBLE_EQ(e.value, 8.0);
  EXPECT_DOUBLE_EQ(e.gradient[0], 12.0);
}

TEST(WorkedExamples, PowerWithConstantExponentAlongX) {
  // x^3 with the exponent a plain double: the same 12 by both modes.
  const auto cube = [](const auto& x) {
    using std::pow;
    return pow(x[0], 3.0);
  };
  EXPECT_DOUBLE_EQ(by_forward(cube, {2.0}).gradient[0], 12.0);
  EXPECT_DOUBLE_EQ(by_reverse(cube, {2.0}).gradient[0], 12.0);
}

// Reverse-mode examples.
const auto weighted_sum = [](const auto& x) { return 5.0 * x[0] + 7.0 * x[1]; };
const auto sum_plus_three = [](const auto& x) { return x[0] + x[1] + 3.0; };

TEST(WorkedExamples, WeightedSumByReverseMode) {
  EXPECT_EQ(by_reverse(weighted_sum, {0.3, -1.2}).gradient, (std::vector<double>{5.0, 7.0}));
}

TEST(WorkedExamples, WeightedSumByForwardMode) {
  EXPECT_EQ(by_forward(weighted_sum, {0.3, -1.2}).gradient, (std::vector<double>{5.0, 7.0}));
}

TEST(WorkedExamples, ProductByReverseMode) {
  EXPECT_EQ(by_reverse(product, {2.0, 3.0}).gradient, (std::vector<double>{3.0, 2.0}));
}

TEST(WorkedExamples, ProductByForwardMode) {
  EXPECT_EQ(by_forward(product, {2.0, 3.0}).gradient, (std::vector<double>{3.0, 2.0}));
}

TEST(WorkedExamples, SumPlusThreeByReverseMode) {
  EXPECT_EQ(by_reverse(sum_plus_three, {0.7, 4.0}).gradient, (std::vector<double>{1.0, 1.0}));
}

TEST(WorkedExamples, SumPlusThreeByForwardMode) {
  EXPECT_EQ(by_forward(sum_plus_three, {0.7, 4.0}).gradient, (std::vector<double>{1.0, 1.0}));
}

}  // namespace
