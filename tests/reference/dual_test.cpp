// Tests of Dual (dual.hpp) beyond the derivative rules of scalar_rules_test.cpp:
// construction, pow at awkward bases, compound assignment and comparisons.
#include <cmath>

#include <gtest/gtest.h>

#include "ad/dual.hpp"

namespace {

TEST(DualConstruction, DefaultIsZero) {
  const ad::Dual d;
  EXPECT_EQ(d.value, 0.0);
  EXPECT_EQ(d.tangent, 0.0);
}

TEST(DualConstruction, DoubleBecomesConstant) {
  const ad::Dual d = 2.5;
  EXPECT_EQ(d.value, 2.5);
  EXPECT_EQ(d.tangent, 0.0);
}

TEST(DualPow, ConstantDualExponentAtNegativeBaseStaysFinite) {
  // d/dx x^3 at -2 is 12; the log(-2) term must not enter when the exponent is constant.
  const ad::Dual y = pow(ad::Dual(-2.0, 1.0), ad::Dual(3.0));
  EXPECT_EQ(y.value, -8.0);
  EXPECT_DOUBLE_EQ(y.tangent, 12.0);
}

TEST(DualPow, ConstantDualExponentAtZeroBaseStaysFinite) {
  const ad::Dual y = pow(ad::Dual(0.0, 1.0), ad::Dual(2.0));
  EXPECT_EQ(y.value, 0.0);
  EXPECT_EQ(y.tangent, 0.0);
}

TEST(DualPow, VaryingExponentAtNegativeBaseIsNaN) {
  // d/db (-2)^b needs log(-2): IEEE gives NaN, nothing throws.
  const ad::Dual y = pow(ad::Dual(-2.0), ad::Dual(3.0, 1.0));
  EXPECT_EQ(y.value, -8.0);
  EXPECT_TRUE(std::isnan(y.tangent));
}

TEST(DualCompoundAssignment, MatchesBinaryOperators) {
  const ad::Dual a(1.5, 0.25);
  const ad::Dual b(-0.5, 2.0);
  ad::Dual r = a;
  r += b;
  EXPECT_EQ(r.value, (a + b).value);
  EXPECT_EQ(r.tangent, (a + b).tangent);
  r = a;
  r -= b;
  EXPECT_EQ(r.tangent, (a - b).tangent);
  r = a;
  r *= b;
  EXPECT_EQ(r.tangent, (a * b).tangent);
  r = a;
  r /= b;
  EXPECT_EQ(r.tangent, (a / b).tangent);
}

TEST(DualComparison, LooksAtValueOnly) {
  EXPECT_TRUE(ad::Dual(1.0, 100.0) < ad::Dual(2.0, -100.0));
  EXPECT_TRUE(ad::Dual(2.0, -100.0) > ad::Dual(1.0, 100.0));
  EXPECT_FALSE(ad::Dual(1.0, 5.0) < ad::Dual(1.0, 6.0));
}

TEST(DualValueOf, ReturnsPrimal) {
  EXPECT_EQ(ad::value_of(ad::Dual(3.0, 7.0)), 3.0);
  EXPECT_EQ(ad::value_of(3.0), 3.0);
}

}  // namespace
