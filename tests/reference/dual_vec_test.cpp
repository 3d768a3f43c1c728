// Tests of DualVec<N> (dual_vec.hpp) beyond the derivative rules of
// scalar_rules_test.cpp: seeding, several directions at once, pow at awkward
// bases (it must agree with Dual), compound assignment and comparisons.
#include <cmath>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "test_support.hpp"

namespace {

using D3 = ad::DualVec<3>;

TEST(DualVecSeed, SetsOneDirection) {
  const D3 d = D3::seed(2.0, 1);
  EXPECT_EQ(d.value, 2.0);
  EXPECT_EQ(d.tangent[0], 0.0);
  EXPECT_EQ(d.tangent[1], 1.0);
  EXPECT_EQ(d.tangent[2], 0.0);
}

TEST(DualVecConstruction, DoubleBecomesConstant) {
  const D3 d = 4.0;
  EXPECT_EQ(d.value, 4.0);
  for (double t : d.tangent) EXPECT_EQ(t, 0.0);
}

TEST(DualVecDirections, MatchSeparateDualPasses) {
  // f(x, y, z) = sin(x·y) + z/x: one DualVec pass gives what three Dual passes give.
  const auto f = [](auto x, auto y, auto z) {
    using std::sin;
    return sin(x * y) + z / x;
  };
  const D3 v = f(D3::seed(0.7, 0), D3::seed(-1.3, 1), D3::seed(2.1, 2));
  const ad::Dual dx = f(ad::Dual(0.7, 1.0), ad::Dual(-1.3), ad::Dual(2.1));
  const ad::Dual dy = f(ad::Dual(0.7), ad::Dual(-1.3, 1.0), ad::Dual(2.1));
  const ad::Dual dz = f(ad::Dual(0.7), ad::Dual(-1.3), ad::Dual(2.1, 1.0));
  EXPECT_TRUE(adtest::near_rel(v.tangent[0], dx.tangent, adtest::kAdTolerance));
  EXPECT_TRUE(adtest::near_rel(v.tangent[1], dy.tangent, adtest::kAdTolerance));
  EXPECT_TRUE(adtest::near_rel(v.tangent[2], dz.tangent, adtest::kAdTolerance));
}

TEST(DualVecPow, ConstantExponentAtNegativeBaseMatchesDual) {
  // The exponent is a DualVec constant: d/dx x^3 at -2 is 12 in direction 0,
  // and every other direction stays 0 (no 0·log(-2) = NaN).
  const D3 y = pow(D3::seed(-2.0, 0), D3(3.0));
  EXPECT_EQ(y.value, -8.0);
  EXPECT_DOUBLE_EQ(y.tangent[0], 12.0);
  EXPECT_EQ(y.tangent[1], 0.0);
  EXPECT_EQ(y.tangent[2], 0.0);
}

TEST(DualVecPow, ConstantExponentAtZeroBaseMatchesDual) {
  const D3 y = pow(D3::seed(0.0, 0), D3(2.0));
  const ad::Dual want = pow(ad::Dual(0.0, 1.0), ad::Dual(2.0));
  EXPECT_EQ(y.value, want.value);
  EXPECT_EQ(y.tangent[0], want.tangent);
  EXPECT_EQ(y.tangent[1], 0.0);
}

TEST(DualVecPow, VaryingExponentAtNegativeBaseIsNaNOnlyAlongExponent) {
  // Base along direction 0, exponent along direction 1.
  const D3 y = pow(D3::seed(-2.0, 0), D3::seed(3.0, 1));
  EXPECT_DOUBLE_EQ(y.tangent[0], 12.0);
  EXPECT_TRUE(std::isnan(y.tangent[1]));
  EXPECT_EQ(y.tangent[2], 0.0);
}

TEST(DualVecCompoundAssignment, MatchesBinaryOperators) {
  const D3 a = D3::seed(1.5, 0);
  const D3 b = D3::seed(-0.5, 1);
  D3 r = a;
  r += b;
  EXPECT_EQ(r.tangent, (a + b).tangent);
  r = a;
  r -= b;
  EXPECT_EQ(r.tangent, (a - b).tangent);
  r = a;
  r *= b;
  EXPECT_EQ(r.tangent, (a * b).tangent);
  r = a;
  r /= b;
  EXPECT_EQ(r.value, (a / b).value);
  EXPECT_EQ(r.tangent, (a / b).tangent);
}

TEST(DualVecComparison, LooksAtValueOnly) {
  EXPECT_TRUE(D3::seed(1.0, 0) < D3(2.0));
  EXPECT_TRUE(D3(2.0) > D3::seed(1.0, 2));
  EXPECT_FALSE(D3(1.0) < D3::seed(1.0, 1));
}

// dense_row sums the tangents in blocks held in registers (two per SSE
// register where N is even); every N, odd, even, above and below the block
// size, must give what the plain sum of products gives, to the bit for the
// value (same order of operations as the primal) and to rounding for tangents.
template <std::size_t N>
void expect_dense_row_matches_plain_sum(std::size_t terms) {
  std::vector<ad::DualVec<N>> x(terms);
  std::vector<double> w(terms), xd(terms);
  for (std::size_t j = 0; j < terms; ++j) {
    xd[j] = 0.3 * static_cast<double>(j) - 1.1;
    x[j].value = xd[j];
    for (std::size_t i = 0; i < N; ++i) x[j].tangent[i] = std::sin(static_cast<double>(7 * j + i));
    w[j] = std::cos(static_cast<double>(3 * j + 1));
  }
  const ad::DualVec<N> got = ad::dense_row(x, w.data(), 0.25);
  double primal = xd.at(0) * w.at(0) + 0.25;  // the order of Chain's dense_row on doubles
  for (std::size_t j = 1; j < terms; ++j) primal += xd[j] * w[j];
  EXPECT_EQ(got.value, primal) << "N = " << N << ", terms = " << terms;
  for (std::size_t i = 0; i < N; ++i) {
    double plain = 0.0;
    for (std::size_t j = 0; j < terms; ++j) plain += x[j].tangent[i] * w[j];
    EXPECT_NEAR(got.tangent[i], plain, 1e-13) << "N = " << N << ", terms = " << terms << ", tangent " << i;
  }
}

TEST(DualVecDenseRow, MatchesThePlainSumForEveryBlockShape) {
  for (std::size_t terms : {1, 2, 5, 16}) {
    expect_dense_row_matches_plain_sum<1>(terms);
    expect_dense_row_matches_plain_sum<2>(terms);
    expect_dense_row_matches_plain_sum<3>(terms);
    expect_dense_row_matches_plain_sum<4>(terms);
    expect_dense_row_matches_plain_sum<5>(terms);
    expect_dense_row_matches_plain_sum<6>(terms);
    expect_dense_row_matches_plain_sum<12>(terms);
    expect_dense_row_matches_plain_sum<16>(terms);
    expect_dense_row_matches_plain_sum<17>(terms);
    expect_dense_row_matches_plain_sum<48>(terms);
  }
}

TEST(DualVecChainRule, UnaryRulesScaleEveryTangent) {
  // tanh and sin go through the tangent scaling of chain1 (vector registers
  // for even N up to 4, a loop out of line above): every tangent is scaled.
  ad::DualVec<6> x(0.4);
  for (std::size_t i = 0; i < 6; ++i) x.tangent[i] = static_cast<double>(i) - 2.5;
  const ad::DualVec<6> t = ad::tanh(x);
  const double d = 1.0 - std::tanh(0.4) * std::tanh(0.4);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(t.tangent[i], d * x.tangent[i]) << i;
  ad::DualVec<4> y(0.4);
  for (std::size_t i = 0; i < 4; ++i) y.tangent[i] = static_cast<double>(i) + 0.5;
  const ad::DualVec<4> s = ad::sin(y);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(s.tangent[i], std::cos(0.4) * y.tangent[i]) << i;
}

TEST(DualVecValueOf, ReturnsPrimal) { EXPECT_EQ(ad::value_of(D3::seed(3.0, 2)), 3.0); }

}  // namespace
