// Tests of the tape's requirements (tape.hpp): no recursion, no cost
// exponential in the number of paths, adjoints reset between sweeps, several
// independent tapes, accumulation over every use of a value. The allocation
// requirement is in tape_alloc_test.cpp (it replaces operator new).
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "ad/chain.hpp"
#include "ad/tape.hpp"
#include "test_support.hpp"

namespace {

using adtest::kAdTolerance;
using adtest::near_rel;

TEST(TapeBackward, HandlesTenMillionNodeChainWithoutRecursion) {
  // x_{k+1} = a·x_k: the gradient is a^N. A recursive sweep would overflow the
  // stack long before 10 million levels.
  constexpr std::size_t kSteps = 10'000'000;
  constexpr double kFactor = 0.999999;
  ad::Tape tape(kSteps + 1);
  const ad::Var x = tape.variable(1.5);
  ad::Var y = x;
  for (std::size_t k = 0; k < kSteps; ++k) y = y * kFactor;
  ASSERT_EQ(tape.size(), kSteps + 1);
  tape.backward(y);
  // Each of the N products rounds by at most half an ulp: a relative error below N·eps ≈ 2e-9.
  const double want = std::pow(kFactor, static_cast<double>(kSteps));
  EXPECT_NEAR(tape.adjoint(x), want, 1e-8 * want);
}

TEST(TapeBackward, DiamondChainIsLinearNotExponentialInPaths) {
  // 2^60 paths from input to output: a sweep that walks paths would never finish.
  constexpr int kDepth = 60;
  ad::Tape tape;
  const ad::Var x = tape.variable(0.3);
  const ad::Var y = ad::diamond_chain(x, kDepth);
  tape.backward(y);
  double want = 1.0;
  double xk = 0.3;
  for (int k = 0; k < kDepth; ++k) {
    want *= std::cos(xk) - std::sin(xk);
    xk = std::sin(xk) + std::cos(xk);
  }
  EXPECT_DOUBLE_EQ(y.value(), xk);
  // The product is ~1e-11; both sides round ~3 times per level.
  EXPECT_NEAR(tape.adjoint(x), want, 1e-12 * std::fabs(want));
}

TEST(TapeBackward, AccumulatesWhenNodeIsReused) {
  ad::Tape tape;
  const ad::Var x = tape.variable(1.7);
  tape.backward(x * x * x);
  EXPECT_DOUBLE_EQ(tape.adjoint(x), 3.0 * 1.7 * 1.7);
}

TEST(TapeBackward, AccumulatesBothOperandsOfSameVar) {
  ad::Tape tape;
  const ad::Var x = tape.variable(-0.4);
  tape.backward(x + x);
  EXPECT_EQ(tape.adjoint(x), 2.0);
}

TEST(TapeBackward, AccumulatesAcrossManyUses) {
  // y = Σ_k sin(k·x): every one of the 1000 uses contributes k·cos(k·x).
  ad::Tape tape;
  const ad::Var x = tape.variable(0.01);
  ad::Var y = sin(x);
  double want = std::cos(0.01);
  for (int k = 2; k <= 1000; ++k) {
    y = y + sin(static_cast<double>(k) * x);
    want += k * std::cos(k * 0.01);
  }
  tape.backward(y);
  EXPECT_TRUE(near_rel(tape.adjoint(x), want, kAdTolerance));
}

TEST(TapeBackward, RepeatedBackwardGivesSameAdjoints) {
  ad::Tape tape;
  const ad::Var x = tape.variable(0.8);
  const ad::Var z = tape.variable(-1.1);
  const ad::Var y = exp(x * z) + x / z;
  tape.backward(y);
  const double gx = tape.adjoint(x);
  const double gz = tape.adjoint(z);
  tape.backward(y);
  EXPECT_EQ(tape.adjoint(x), gx);
  EXPECT_EQ(tape.adjoint(z), gz);
  EXPECT_TRUE(near_rel(gx, z.value() * std::exp(0.8 * -1.1) + 1.0 / -1.1, kAdTolerance));
}

TEST(TapeBackward, SecondOutputGetsItsOwnGradient) {
  ad::Tape tape;
  const ad::Var x = tape.variable(2.0);
  const ad::Var z = tape.variable(3.0);
  const ad::Var y1 = x * z;
  const ad::Var y2 = sin(x) + z;
  tape.backward(y1);
  ASSERT_EQ(tape.adjoint(x), 3.0);
  tape.backward(y2);
  EXPECT_EQ(tape.adjoint(x), std::cos(2.0));
  EXPECT_EQ(tape.adjoint(z), 1.0);
  EXPECT_EQ(tape.adjoint(y1), 0.0) << "y1 does not feed y2";
}

TEST(TapeBackward, IntermediateOutputIgnoresLaterNodes) {
  ad::Tape tape;
  const ad::Var x = tape.variable(1.5);
  const ad::Var u = x * x;
  const ad::Var later = u * 10.0;
  tape.backward(u);
  EXPECT_EQ(tape.adjoint(x), 3.0);
  EXPECT_EQ(tape.adjoint(u), 1.0);
  EXPECT_EQ(tape.adjoint(later), 0.0);
}

TEST(TapeBackward, UnusedInputHasZeroAdjoint) {
  ad::Tape tape;
  const ad::Var x = tape.variable(1.0);
  const ad::Var unused = tape.variable(5.0);
  tape.backward(sin(x));
  EXPECT_EQ(tape.adjoint(unused), 0.0);
}

TEST(TapeClear, AllowsRecordingAgain) {
  ad::Tape tape;
  {
    const ad::Var x = tape.variable(1.0);
    tape.backward(x * x + 3.0 * x);
  }
  tape.clear();
  EXPECT_EQ(tape.size(), 0u);
  const ad::Var x = tape.variable(0.5);
  const ad::Var y = cos(x) * x;
  tape.backward(y);
  EXPECT_EQ(tape.size(), 3u);
  EXPECT_TRUE(near_rel(tape.adjoint(x), -std::sin(0.5) * 0.5 + std::cos(0.5), kAdTolerance));
}

TEST(TapeRecord, EachOperationRecordsOneNode) {
  ad::Tape tape;
  const ad::Var x = tape.variable(0.5);
  const ad::Var z = tape.variable(2.0);
  EXPECT_EQ(tape.size(), 2u);
  const ad::Var y = sin(x * z + 1.0);
  EXPECT_EQ(tape.size(), 5u);
  EXPECT_EQ(y.index(), 4u);
  EXPECT_DOUBLE_EQ(y.value(), std::sin(2.0));
}

TEST(TapeRecord, NodesHoldOperandsAndPartials) {
  ad::Tape tape;
  const ad::Var x = tape.variable(3.0);
  const ad::Var z = tape.variable(4.0);
  const ad::Var y = x * z;
  const ad::Tape::Node& n = tape.nodes()[y.index()];
  EXPECT_EQ(n.a, x.index());
  EXPECT_EQ(n.b, z.index());
  EXPECT_EQ(n.da, 4.0);
  EXPECT_EQ(n.db, 3.0);
  EXPECT_EQ(tape.nodes()[x.index()].a, ad::Tape::no_operand);
}

// A dense layer's sums recorded in one call: one node per term, row after
// row, the same values (to the bit) as summing in Chain's order on doubles,
// and the gradient of each row's sum is that row of W.
TEST(TapeRecord, DenseRowsRecordOneNodePerTermRowAfterRow) {
  ad::Tape tape;
  const std::vector<double> xv = {0.3, -1.7, 2.9};
  std::vector<ad::Var> x;
  for (double v : xv) x.push_back(tape.variable(v));
  const std::vector<double> w = {0.1, -0.7, 1.3, /* row 1 */ 2.2, 0.05, -0.9};
  const std::vector<double> b = {0.4, -0.6};
  std::vector<ad::Var> sums;
  ad::dense_rows(x, w.data(), 2, b.data(), sums);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(tape.size(), 3u + 2u * 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    double acc = xv[0] * w[i * 3] + b[i];
    for (std::size_t j = 1; j < 3; ++j) acc += xv[j] * w[i * 3 + j];
    EXPECT_EQ(sums[i].value(), acc) << "row " << i;
    EXPECT_EQ(sums[i].index(), 3u + 3u * i + 2u) << "row " << i << " ends its run of nodes";
    tape.backward(sums[i]);
    for (std::size_t j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(tape.adjoint(x[j]), w[i * 3 + j]) << "row " << i << ", x" << j;
  }
  // One term a row takes the single-node path: the same values and nodes.
  std::vector<ad::Var> one;
  ad::dense_rows({x[1]}, w.data(), 2, b.data(), one);
  EXPECT_EQ(tape.size(), 3u + 6u + 2u);
  EXPECT_EQ(one[1].value(), xv[1] * w[1] + b[1]);
  tape.backward(one[1]);
  EXPECT_DOUBLE_EQ(tape.adjoint(x[1]), w[1]);
}

TEST(TapeIndependence, DenseRowsWithATermOfAnotherTapeThrowsAndRecordsNothing) {
  ad::Tape t1;
  ad::Tape t2;
  const std::vector<ad::Var> x = {t1.variable(1.0), t2.variable(2.0)};
  const double w[] = {1.0, 2.0, 3.0, 4.0};
  const double b[] = {0.0, 0.0};
  std::vector<ad::Var> out;
  EXPECT_THROW(ad::dense_rows(x, w, 2, b, out), std::invalid_argument);
  EXPECT_EQ(t1.size(), 1u);
  EXPECT_EQ(t2.size(), 1u);
  EXPECT_THROW(ad::dense_rows(std::vector<ad::Var>{}, w, 2, b, out), std::invalid_argument);
}

TEST(TapeIndependence, InterleavedTapesKeepSeparateGradients) {
  ad::Tape t1;
  ad::Tape t2;
  const ad::Var x1 = t1.variable(0.5);
  const ad::Var x2 = t2.variable(-2.0);
  ad::Var y1 = x1;
  ad::Var y2 = x2;
  for (int k = 0; k < 3; ++k) {  // alternate: t1, t2, t1, t2, ...
    y1 = y1 * x1;
    y2 = y2 + sin(x2);
  }
  t1.backward(y1);  // y1 = x1^4
  t2.backward(y2);  // y2 = x2 + 3 sin x2
  EXPECT_DOUBLE_EQ(t1.adjoint(x1), 4.0 * 0.5 * 0.5 * 0.5);
  EXPECT_DOUBLE_EQ(t2.adjoint(x2), 1.0 + 3.0 * std::cos(-2.0));
  EXPECT_EQ(t1.size(), 4u);
  EXPECT_EQ(t2.size(), 7u);
}

TEST(TapeIndependence, MixingTapesThrowsInvalidArgument) {
  ad::Tape t1;
  ad::Tape t2;
  const ad::Var a = t1.variable(1.0);
  const ad::Var b = t2.variable(2.0);
  EXPECT_THROW(a + b, std::invalid_argument);
  EXPECT_THROW(a - b, std::invalid_argument);
  EXPECT_THROW(a * b, std::invalid_argument);
  EXPECT_THROW(a / b, std::invalid_argument);
  EXPECT_THROW(pow(a, b), std::invalid_argument);
}

TEST(TapeIndependence, ForeignVarInBackwardOrAdjointThrows) {
  ad::Tape t1;
  ad::Tape t2;
  const ad::Var a = t1.variable(1.0);
  const ad::Var b = t2.variable(2.0);
  EXPECT_THROW(t1.backward(b), std::invalid_argument);
  t1.backward(a);
  EXPECT_THROW(static_cast<void>(t1.adjoint(b)), std::invalid_argument);
}

TEST(TapeIndependence, UnrecordedVarThrows) {
  ad::Tape tape;
  const ad::Var x = tape.variable(1.0);
  const ad::Var none;
  EXPECT_THROW(sin(none), std::invalid_argument);
  EXPECT_THROW(x + none, std::invalid_argument);
  EXPECT_THROW(none * 2.0, std::invalid_argument);
}

TEST(TapeCompoundAssignment, MatchesBinaryOperators) {
  ad::Tape tape;
  const ad::Var x = tape.variable(1.5);
  const ad::Var z = tape.variable(-0.5);
  ad::Var r = x;
  r += z;
  r *= x;
  r -= z;
  r /= z;  // r = ((x + z)·x - z)/z
  tape.backward(r);
  // With N = x² + xz - z: ∂r/∂x = (2x + z)/z and ∂r/∂z = ((x - 1)z - N)/z² = -x²/z².
  EXPECT_DOUBLE_EQ(tape.adjoint(x), (2.0 * 1.5 - 0.5) / -0.5);
  EXPECT_DOUBLE_EQ(tape.adjoint(z), -(1.5 * 1.5) / 0.25);
}

}  // namespace
