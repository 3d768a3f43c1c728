// Tests of the derivative rule of every scalar operation (dual.hpp, dual_vec.hpp,
// tape.hpp), in each of the three modes: Dual, DualVec<3> and Var on a Tape.
// Each rule is checked on many random inputs (fixed seeds) against the
// analytic derivative (kAdTolerance) and against central differences
// (kFdTolerance), with domains chosen valid: log and sqrt on positive inputs,
// tan away from its poles, abs and relu away from their kink at 0.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/tape.hpp"
#include "test_support.hpp"

namespace {

using adtest::central_difference;
using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;

constexpr int kSamples = 200;

/// relu on plain doubles, so that the generic test lambdas also run on double (for the differences).
double relu(double x) { return x > 0.0 ? x : 0.0; }

/// Forward mode with one tangent.
struct ForwardMode {
  template <class F>
  static double value(F f, double x) {
    return f(ad::Dual(x)).value;
  }
  template <class F>
  static double derivative(F f, double x) {
    return f(ad::Dual(x, 1.0)).tangent;
  }
  /// Both partials of a two-argument function: one pass per argument.
  template <class F>
  static std::array<double, 2> partials(F f, double a, double b) {
    return {f(ad::Dual(a, 1.0), ad::Dual(b, 0.0)).tangent, f(ad::Dual(a, 0.0), ad::Dual(b, 1.0)).tangent};
  }
};

/// Vector forward mode: the seeded directions are chosen so that an unused one must stay 0.
struct VectorMode {
  using D = ad::DualVec<3>;
  template <class F>
  static double value(F f, double x) {
    return f(D(x)).value;
  }
  template <class F>
  static double derivative(F f, double x) {
    const D y = f(D::seed(x, 1));
    // Where the derivative is infinite, 0·inf makes the unseeded directions NaN (IEEE), as with Dual.
    if (std::isfinite(y.tangent[1])) {
      EXPECT_EQ(y.tangent[0], 0.0) << "an unseeded direction picked up a tangent";
      EXPECT_EQ(y.tangent[2], 0.0) << "an unseeded direction picked up a tangent";
    }
    return y.tangent[1];
  }
  /// Both partials in one pass: a along direction 0, b along direction 2.
  template <class F>
  static std::array<double, 2> partials(F f, double a, double b) {
    const D y = f(D::seed(a, 0), D::seed(b, 2));
    EXPECT_EQ(y.tangent[1], 0.0) << "an unseeded direction picked up a tangent";
    return {y.tangent[0], y.tangent[2]};
  }
};

/// Reverse mode: record on a fresh tape, one backward sweep.
struct ReverseMode {
  template <class F>
  static double value(F f, double x) {
    ad::Tape tape;
    return f(tape.variable(x)).value();
  }
  template <class F>
  static double derivative(F f, double x) {
    ad::Tape tape;
    const ad::Var v = tape.variable(x);
    const ad::Var y = f(v);
    tape.backward(y);
    return tape.adjoint(v);
  }
  template <class F>
  static std::array<double, 2> partials(F f, double a, double b) {
    ad::Tape tape;
    const ad::Var va = tape.variable(a);
    const ad::Var vb = tape.variable(b);
    tape.backward(f(va, vb));
    return {tape.adjoint(va), tape.adjoint(vb)};
  }
};

/// Draws inputs for a rule: uniform in [lo, hi), or with |x| in [lo, hi) when `signed_away_from_zero`.
struct Domain {
  double lo;
  double hi;
  bool signed_away_from_zero = false;
  double draw(std::mt19937_64& rng) const {
    return signed_away_from_zero ? adtest::away_from_zero(rng, lo, hi) : adtest::uniform(rng, lo, hi);
  }
};

/// Checks value, analytic derivative and central differences of a one-argument rule.
template <class Mode, class F, class D>
void check_unary(F f, D analytic, Domain domain, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int k = 0; k < kSamples; ++k) {
    const double x = domain.draw(rng);
    EXPECT_DOUBLE_EQ(Mode::value(f, x), f(x)) << "primal at x = " << x;
    const double d = Mode::derivative(f, x);
    EXPECT_TRUE(near_rel(d, analytic(x), kAdTolerance)) << "analytic, at x = " << x;
    EXPECT_TRUE(near_rel(d, central_difference(f, x), kFdTolerance)) << "differences, at x = " << x;
  }
}

/// Checks a two-argument rule in its three forms: T op T, T op double and double op T.
template <class Mode, bool MixedForms = true, class F, class D>
void check_binary(F f, D analytic, Domain da, Domain db, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int k = 0; k < kSamples; ++k) {
    const double a = da.draw(rng);
    const double b = db.draw(rng);
    const std::array<double, 2> want = analytic(a, b);
    const auto along_a = [&](auto v) { return f(v, b); };  // on T: T op double
    const auto along_b = [&](auto v) { return f(a, v); };  // on T: double op T
    const double fd_a = central_difference(along_a, a);
    const double fd_b = central_difference(along_b, b);

    const std::array<double, 2> both = Mode::partials(f, a, b);
    EXPECT_TRUE(near_rel(both[0], want[0], kAdTolerance)) << "T op T, d/da at (" << a << ", " << b << ")";
    EXPECT_TRUE(near_rel(both[1], want[1], kAdTolerance)) << "T op T, d/db at (" << a << ", " << b << ")";
    EXPECT_TRUE(near_rel(both[0], fd_a, kFdTolerance)) << "T op T vs differences, d/da at (" << a << ", " << b << ")";
    EXPECT_TRUE(near_rel(both[1], fd_b, kFdTolerance)) << "T op T vs differences, d/db at (" << a << ", " << b << ")";
    if constexpr (MixedForms) {
      EXPECT_DOUBLE_EQ(Mode::value(along_a, a), f(a, b)) << "T op double, primal at (" << a << ", " << b << ")";
      EXPECT_DOUBLE_EQ(Mode::value(along_b, b), f(a, b)) << "double op T, primal at (" << a << ", " << b << ")";
      const double d_a = Mode::derivative(along_a, a);
      const double d_b = Mode::derivative(along_b, b);
      EXPECT_TRUE(near_rel(d_a, want[0], kAdTolerance)) << "T op double at (" << a << ", " << b << ")";
      EXPECT_TRUE(near_rel(d_b, want[1], kAdTolerance)) << "double op T at (" << a << ", " << b << ")";
      EXPECT_TRUE(near_rel(d_a, fd_a, kFdTolerance)) << "T op double vs differences at (" << a << ", " << b << ")";
      EXPECT_TRUE(near_rel(d_b, fd_b, kFdTolerance)) << "double op T vs differences at (" << a << ", " << b << ")";
    }
  }
}

template <class Mode>
class UnaryRule : public ::testing::Test {};
template <class Mode>
class BinaryRule : public ::testing::Test {};
template <class Mode>
class DomainEdge : public ::testing::Test {};

/// Names the instantiations after the number type they exercise.
struct ModeName {
  template <class Mode>
  static std::string GetName(int) {
    if (std::is_same_v<Mode, ForwardMode>) return "Dual";
    if (std::is_same_v<Mode, VectorMode>) return "DualVec";
    return "Var";
  }
};

using Modes = ::testing::Types<ForwardMode, VectorMode, ReverseMode>;
TYPED_TEST_SUITE(UnaryRule, Modes, ModeName);
TYPED_TEST_SUITE(BinaryRule, Modes, ModeName);
TYPED_TEST_SUITE(DomainEdge, Modes, ModeName);

// ---- one-argument rules

TYPED_TEST(UnaryRule, Negation) {
  check_unary<TypeParam>([](auto x) { return -x; }, [](double) { return -1.0; }, {-5.0, 5.0}, 1);
}

TYPED_TEST(UnaryRule, Sin) {
  check_unary<TypeParam>([](auto x) { using std::sin; return sin(x); }, [](double x) { return std::cos(x); },
                         {-6.0, 6.0}, 2);
}

TYPED_TEST(UnaryRule, Cos) {
  check_unary<TypeParam>([](auto x) { using std::cos; return cos(x); }, [](double x) { return -std::sin(x); },
                         {-6.0, 6.0}, 3);
}

TYPED_TEST(UnaryRule, Tan) {
  // |x| <= 1.3 keeps a distance of 0.27 from the poles at ±π/2.
  check_unary<TypeParam>([](auto x) { using std::tan; return tan(x); },
                         [](double x) { return 1.0 / (std::cos(x) * std::cos(x)); }, {-1.3, 1.3}, 4);
}

TYPED_TEST(UnaryRule, Exp) {
  check_unary<TypeParam>([](auto x) { using std::exp; return exp(x); }, [](double x) { return std::exp(x); },
                         {-5.0, 5.0}, 5);
}

TYPED_TEST(UnaryRule, Log) {
  check_unary<TypeParam>([](auto x) { using std::log; return log(x); }, [](double x) { return 1.0 / x; },
                         {0.05, 10.0}, 6);
}

TYPED_TEST(UnaryRule, Sqrt) {
  check_unary<TypeParam>([](auto x) { using std::sqrt; return sqrt(x); },
                         [](double x) { return 0.5 / std::sqrt(x); }, {0.05, 10.0}, 7);
}

TYPED_TEST(UnaryRule, PowConstantExponent) {
  std::mt19937_64 rng(8);
  for (int k = 0; k < 20; ++k) {
    const double p = adtest::uniform(rng, -2.5, 2.5);
    check_unary<TypeParam>([p](auto x) { using std::pow; return pow(x, p); },
                           [p](double x) { return p * std::pow(x, p - 1.0); }, {0.2, 3.0}, 100 + k);
  }
}

TYPED_TEST(UnaryRule, PowIntegerExponentOnNegativeBase) {
  // A constant exponent needs no log of the base, so negative bases are fine.
  check_unary<TypeParam>([](auto x) { using std::pow; return pow(x, 3.0); },
                         [](double x) { return 3.0 * x * x; }, {-3.0, -0.1}, 9);
}

TYPED_TEST(UnaryRule, Abs) {
  check_unary<TypeParam>([](auto x) { using std::abs; return abs(x); },
                         [](double x) { return x > 0.0 ? 1.0 : -1.0; }, {0.01, 5.0, true}, 10);
}

TYPED_TEST(UnaryRule, Tanh) {
  check_unary<TypeParam>([](auto x) { using std::tanh; return tanh(x); },
                         [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); }, {-4.0, 4.0}, 11);
}

TYPED_TEST(UnaryRule, Relu) {
  check_unary<TypeParam>([](auto x) { return relu(x); }, [](double x) { return x > 0.0 ? 1.0 : 0.0; },
                         {0.01, 5.0, true}, 12);
}

// ---- two-argument rules

TYPED_TEST(BinaryRule, Add) {
  check_binary<TypeParam>([](auto a, auto b) { return a + b; },
                          [](double, double) { return std::array<double, 2>{1.0, 1.0}; }, {-5.0, 5.0}, {-5.0, 5.0}, 20);
}

TYPED_TEST(BinaryRule, Subtract) {
  check_binary<TypeParam>([](auto a, auto b) { return a - b; },
                          [](double, double) { return std::array<double, 2>{1.0, -1.0}; }, {-5.0, 5.0}, {-5.0, 5.0},
                          21);
}

TYPED_TEST(BinaryRule, Multiply) {
  check_binary<TypeParam>([](auto a, auto b) { return a * b; },
                          [](double a, double b) { return std::array<double, 2>{b, a}; }, {-5.0, 5.0}, {-5.0, 5.0}, 22);
}

TYPED_TEST(BinaryRule, Divide) {
  check_binary<TypeParam>([](auto a, auto b) { return a / b; },
                          [](double a, double b) { return std::array<double, 2>{1.0 / b, -a / (b * b)}; }, {-5.0, 5.0},
                          {0.5, 3.0, true}, 23);
}

TYPED_TEST(BinaryRule, PowVaryingExponent) {
  // pow(double, T) does not exist, so only the T-T form; the base stays positive for log(a).
  check_binary<TypeParam, false>(
      [](auto a, auto b) { using std::pow; return pow(a, b); },
      [](double a, double b) { return std::array<double, 2>{b * std::pow(a, b - 1.0), std::pow(a, b) * std::log(a)}; },
      {0.2, 3.0}, {-2.5, 2.5}, 24);
}

// ---- kinks and values outside the domain

TYPED_TEST(DomainEdge, AbsHasZeroDerivativeAtZero) {
  EXPECT_EQ(TypeParam::derivative([](auto x) { using std::abs; return abs(x); }, 0.0), 0.0);
}

TYPED_TEST(DomainEdge, ReluHasZeroDerivativeAtZero) {
  EXPECT_EQ(TypeParam::derivative([](auto x) { return relu(x); }, 0.0), 0.0);
}

TYPED_TEST(DomainEdge, ReluOfNegativeIsZeroWithZeroDerivative) {
  EXPECT_EQ(TypeParam::value([](auto x) { return relu(x); }, -2.0), 0.0);
  EXPECT_EQ(TypeParam::derivative([](auto x) { return relu(x); }, -2.0), 0.0);
}

TYPED_TEST(DomainEdge, LogOfNegativeIsNaN) {
  EXPECT_TRUE(std::isnan(TypeParam::value([](auto x) { using std::log; return log(x); }, -1.0)));
}

TYPED_TEST(DomainEdge, LogOfZeroIsMinusInfinity) {
  EXPECT_EQ(TypeParam::value([](auto x) { using std::log; return log(x); }, 0.0),
            -std::numeric_limits<double>::infinity());
}

TYPED_TEST(DomainEdge, SqrtAtZeroHasInfiniteTangent) {
  const auto f = [](auto x) { using std::sqrt; return sqrt(x); };
  EXPECT_EQ(TypeParam::value(f, 0.0), 0.0);
  EXPECT_EQ(TypeParam::derivative(f, 0.0), std::numeric_limits<double>::infinity());
}

TYPED_TEST(DomainEdge, SqrtOfNegativeIsNaN) {
  EXPECT_TRUE(std::isnan(TypeParam::value([](auto x) { using std::sqrt; return sqrt(x); }, -1.0)));
}

TYPED_TEST(DomainEdge, ReciprocalOfZeroIsInfinite) {
  const auto f = [](auto x) { return 1.0 / x; };
  EXPECT_EQ(TypeParam::value(f, 0.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(TypeParam::derivative(f, 0.0), -std::numeric_limits<double>::infinity());
}

}  // namespace
