// Tests of the chain-graph generator (chain.hpp): deterministic weights, the
// same values and gradients in every number type and on the tape as tensor
// nodes, and rejection of bad specs.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/jacobian.hpp"
#include "ad/tape.hpp"
#include "test_support.hpp"

namespace {

using ad::Chain;
using ad::ChainSpec;
using ad::Matrix;
using adtest::kAdTolerance;
using adtest::near_rel;

const std::vector<std::vector<std::size_t>> kWidths = {{3, 5, 4, 2}, {1, 4, 1}, {6, 2}, {2, 8, 8, 8, 3}};

std::vector<double> random_point(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return adtest::random_vector(rng, n);
}

TEST(ChainWeights, SameSpecGivesIdenticalWeights) {
  const Chain a({{3, 5, 4, 2}, 42});
  const Chain b({{3, 5, 4, 2}, 42});
  ASSERT_EQ(a.layers(), b.layers());
  for (std::size_t l = 0; l < a.layers(); ++l) {
    EXPECT_EQ(a.weight(l).values(), b.weight(l).values()) << "layer " << l;
    EXPECT_EQ(a.bias(l).values(), b.bias(l).values()) << "layer " << l;
  }
}

TEST(ChainWeights, DifferentSeedsGiveDifferentWeights) {
  const Chain a({{3, 5, 4, 2}, 42});
  const Chain b({{3, 5, 4, 2}, 43});
  for (std::size_t l = 0; l < a.layers(); ++l) EXPECT_NE(a.weight(l).values(), b.weight(l).values()) << "layer " << l;
}

TEST(ChainWeights, LayerShapesFollowWidths) {
  const Chain c({{3, 5, 4, 2}, 1});
  EXPECT_EQ(c.inputs(), 3u);
  EXPECT_EQ(c.outputs(), 2u);
  ASSERT_EQ(c.layers(), 3u);
  EXPECT_EQ(c.weight(0).shape(), (ad::Shape{5, 3}));
  EXPECT_EQ(c.weight(1).shape(), (ad::Shape{4, 5}));
  EXPECT_EQ(c.weight(2).shape(), (ad::Shape{2, 4}));
  EXPECT_EQ(c.bias(1).shape(), (ad::Shape{4, 1}));
  EXPECT_EQ(c.multiply_adds(), 15u + 20u + 8u);
}

TEST(ChainWeights, AreScaledByFanIn) {
  const Chain c({{16, 9, 4}, 5});
  for (std::size_t l = 0; l < c.layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(c.spec().widths[l]));
    for (double w : c.weight(l).values()) EXPECT_LE(std::fabs(w), bound);
    for (double b : c.bias(l).values()) EXPECT_LE(std::fabs(b), 0.1);
  }
}

TEST(ChainWeights, SplitmixUniformStaysInRange) {
  std::uint64_t state = 12345;
  double lo = 1.0;
  double hi = -1.0;
  for (int k = 0; k < 100000; ++k) {
    const double u = ad::splitmix_uniform(state);
    ASSERT_GE(u, -1.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  EXPECT_LT(lo, -0.99);  // the whole range is used
  EXPECT_GT(hi, 0.99);
}

TEST(ChainSpecCheck, OneWidthThrows) { EXPECT_THROW(Chain(ChainSpec{{3}, 1}), std::invalid_argument); }

TEST(ChainSpecCheck, NoWidthsThrows) { EXPECT_THROW(Chain(ChainSpec{{}, 1}), std::invalid_argument); }

TEST(ChainSpecCheck, ZeroWidthThrows) {
  EXPECT_THROW(Chain(ChainSpec{{3, 0, 2}, 1}), std::invalid_argument);
  EXPECT_THROW(Chain(ChainSpec{{0, 2}, 1}), std::invalid_argument);
  EXPECT_THROW(Chain(ChainSpec{{2, 0}, 1}), std::invalid_argument);
}

TEST(ChainEvaluate, WrongInputCountThrows) {
  const Chain c({{3, 2}, 1});
  EXPECT_THROW(c(std::vector<double>{1.0, 2.0}), std::invalid_argument);
}

TEST(ChainEvaluate, TensorFormRejectsWrongInputShape) {
  const Chain c({{3, 2}, 1});
  ad::Tape tape;
  EXPECT_THROW(c(tape, tape.variable(Matrix(2, 1))), ad::ShapeError);
  EXPECT_THROW(c(tape, tape.variable(Matrix(1, 3))), ad::ShapeError);
}

TEST(ChainEvaluate, TensorFormRejectsSinActivation) {
  const Chain c({{3, 2}, 1, ad::Activation::sin});
  ad::Tape tape;
  EXPECT_THROW(c(tape, tape.variable(Matrix(3, 1))), std::invalid_argument);
}

TEST(ChainEvaluate, DoubleMatchesHandWrittenLayers) {
  const Chain c({{3, 4, 2}, 3});
  const std::vector<double> x = random_point(3, 10);
  std::vector<double> cur = x;
  for (std::size_t l = 0; l < c.layers(); ++l) {
    const Matrix z = ad::add(ad::matmul(c.weight(l), Matrix::column(cur)), c.bias(l));
    cur.assign(z.values().begin(), z.values().end());
    for (double& v : cur) v = std::tanh(v);
  }
  EXPECT_TRUE(near_rel(c(x), cur, kAdTolerance));
}

/// Values and gradient of Σ outputs from every form of the chain, for one spec.
void check_forms_agree(const ChainSpec& spec, std::uint64_t seed) {
  const Chain c(spec);
  const std::vector<double> x = random_point(c.inputs(), seed);
  const std::vector<double> want_value = c(x);

  // Dual: one pass per input.
  std::vector<double> g_dual(c.inputs());
  for (std::size_t j = 0; j < c.inputs(); ++j) {
    std::vector<ad::Dual> xd;
    for (std::size_t i = 0; i < c.inputs(); ++i) xd.emplace_back(x[i], i == j ? 1.0 : 0.0);
    const std::vector<ad::Dual> y = c(xd);
    for (std::size_t i = 0; i < y.size(); ++i) {
      g_dual[j] += y[i].tangent;
      if (j == 0) {
        EXPECT_DOUBLE_EQ(y[i].value, want_value[i]) << "Dual value " << i;
      }
    }
  }

  // DualVec: one pass with N = 8 directions (all specs here have at most 8 inputs).
  std::vector<ad::DualVec<8>> xv;
  for (std::size_t i = 0; i < c.inputs(); ++i) xv.push_back(ad::DualVec<8>::seed(x[i], i));
  const std::vector<ad::DualVec<8>> yv = c(xv);
  std::vector<double> g_vec(c.inputs());
  for (std::size_t i = 0; i < yv.size(); ++i) {
    EXPECT_DOUBLE_EQ(yv[i].value, want_value[i]) << "DualVec value " << i;
    for (std::size_t j = 0; j < c.inputs(); ++j) g_vec[j] += yv[i].tangent[j];
  }

  // Var: scalar nodes, one sweep from the sum of outputs.
  ad::Tape tape;
  std::vector<ad::Var> xr;
  for (double xi : x) xr.push_back(tape.variable(xi));
  const std::vector<ad::Var> yr = c(xr);
  ad::Var total = yr[0];
  for (std::size_t i = 1; i < yr.size(); ++i) total = total + yr[i];
  for (std::size_t i = 0; i < yr.size(); ++i) EXPECT_DOUBLE_EQ(yr[i].value(), want_value[i]) << "Var value " << i;
  tape.backward(total);
  std::vector<double> g_var;
  for (const ad::Var& v : xr) g_var.push_back(tape.adjoint(v));

  // Tensor nodes: one dense node per layer, its values those of the primal to the bit.
  ad::Tape ttape;
  const ad::TensorVar xt = ttape.variable(Matrix::column(x));
  const ad::TensorVar yt = c(ttape, xt);
  EXPECT_EQ(ttape.tensor_ops().size(), c.layers()) << "one dense node per layer";
  EXPECT_EQ(yt.value().values(), want_value) << "tensor value";
  ttape.backward(sum(yt));
  const std::vector<double> g_tensor = ttape.adjoint(xt).values();

  EXPECT_TRUE(near_rel(g_vec, g_dual, kAdTolerance)) << "DualVec vs Dual";
  EXPECT_TRUE(near_rel(g_var, g_dual, kAdTolerance)) << "Var vs Dual";
  EXPECT_TRUE(near_rel(g_tensor, g_dual, kAdTolerance)) << "tensor nodes vs Dual";
  const std::vector<double> fd = adtest::fd_gradient(
      [&](const std::vector<double>& v) {
        double s = 0.0;
        for (double y : c(v)) s += y;
        return s;
      },
      x);
  if (spec.activation != ad::Activation::relu) {  // a relu kink may lie within a step
    EXPECT_TRUE(near_rel(g_dual, fd, adtest::kFdTolerance)) << "Dual vs differences";
  }
}

TEST(ChainForms, AgreeOnTanhChains) {
  for (std::size_t k = 0; k < kWidths.size(); ++k) {
    SCOPED_TRACE(testing::Message() << "widths #" << k);
    check_forms_agree({kWidths[k], 20 + k, ad::Activation::tanh}, 30 + k);
  }
}

TEST(ChainForms, AgreeOnReluChains) {
  for (std::size_t k = 0; k < kWidths.size(); ++k) {
    SCOPED_TRACE(testing::Message() << "widths #" << k);
    check_forms_agree({kWidths[k], 40 + k, ad::Activation::relu}, 50 + k);
  }
}

TEST(ChainForms, ScalarFormsAgreeOnSinChains) {
  // The tensor form has no sin node: compare Dual, DualVec and Var only.
  const Chain c({{4, 7, 3}, 60, ad::Activation::sin});
  const std::vector<double> x = random_point(4, 61);
  const Matrix fwd = ad::jacobian_forward(c, x);
  EXPECT_TRUE(near_rel(ad::jacobian_forward_vector<4>(c, x), fwd, kAdTolerance));
  EXPECT_TRUE(near_rel(ad::jacobian_reverse(c, x), fwd, kAdTolerance));
  const auto plain = [&](const std::vector<double>& v) { return c(v); };
  EXPECT_TRUE(near_rel(fwd, adtest::fd_jacobian(plain, x), adtest::kFdTolerance));
}

TEST(DiamondChain, ValueAndDerivativeMatchRecurrence) {
  const ad::Dual y = ad::diamond_chain(ad::Dual(0.3, 1.0), 20);
  double x = 0.3;
  double d = 1.0;
  for (int k = 0; k < 20; ++k) {
    d *= std::cos(x) - std::sin(x);
    x = std::sin(x) + std::cos(x);
  }
  EXPECT_EQ(y.value, ad::diamond_chain(0.3, 20));
  EXPECT_DOUBLE_EQ(y.value, x);
  EXPECT_TRUE(near_rel(y.tangent, d, kAdTolerance));
}

}  // namespace
