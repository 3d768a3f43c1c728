// Tests of jacobian_forward, jacobian_forward_vector<N>, jacobian_reverse and
// gradient (jacobian.hpp): they agree with each other (kAdTolerance) and with
// central differences (kFdTolerance) on random programs Rⁿ → Rᵐ and on
// chains; N below, equal to and above n exercises the chunking.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "ad/chain.hpp"
#include "ad/jacobian.hpp"
#include "random_program.hpp"
#include "test_support.hpp"

namespace {

using ad::Matrix;
using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;
using adtest::RandomProgram;

/// Every Jacobian routine on `f` at `x`, against central differences and against each other.
/// N1 < n, N2 == n and N3 > n where n allows it (the caller picks them).
template <std::size_t N1, std::size_t N2, std::size_t N3, class F>
void check_all_jacobians(const F& f, const std::vector<double>& x, const char* what) {
  const auto plain = [&](const std::vector<double>& v) { return f(v); };
  const Matrix fd = adtest::fd_jacobian(plain, x);
  const Matrix fwd = ad::jacobian_forward(f, x);
  const Matrix rev = ad::jacobian_reverse(f, x);
  EXPECT_TRUE(near_rel(fwd, fd, kFdTolerance)) << what << ": forward vs differences";
  EXPECT_TRUE(near_rel(rev, fd, kFdTolerance)) << what << ": reverse vs differences";
  EXPECT_TRUE(near_rel(rev, fwd, kAdTolerance)) << what << ": reverse vs forward";
  EXPECT_TRUE(near_rel(ad::jacobian_forward_vector<N1>(f, x), fwd, kAdTolerance)) << what << ": N = " << N1;
  EXPECT_TRUE(near_rel(ad::jacobian_forward_vector<N2>(f, x), fwd, kAdTolerance)) << what << ": N = " << N2;
  EXPECT_TRUE(near_rel(ad::jacobian_forward_vector<N3>(f, x), fwd, kAdTolerance)) << what << ": N = " << N3;
}

std::vector<double> random_point(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return adtest::random_vector(rng, n);
}

TEST(Jacobian, AgreesOnProgramsFromFiveToThree) {
  for (int s = 0; s < 10; ++s) {
    const RandomProgram p(5, 3, 30, 100 + s, true);
    check_all_jacobians<2, 5, 8>(p, random_point(5, 200 + s), "R^5 -> R^3");
  }
}

TEST(Jacobian, AgreesOnProgramsFromTwoToSeven) {
  for (int s = 0; s < 10; ++s) {
    const RandomProgram p(2, 7, 30, 300 + s, true);
    check_all_jacobians<1, 2, 3>(p, random_point(2, 400 + s), "R^2 -> R^7");
  }
}

TEST(Jacobian, AgreesOnProgramsFromSevenToOne) {
  for (int s = 0; s < 10; ++s) {
    const RandomProgram p(7, 1, 30, 500 + s, true);
    check_all_jacobians<3, 7, 16>(p, random_point(7, 600 + s), "R^7 -> R^1");
  }
}

TEST(Jacobian, AgreesOnScalarFunctionOfOneInput) {
  const RandomProgram p(1, 1, 12, 700, true);
  check_all_jacobians<1, 1, 4>(p, random_point(1, 701), "R -> R");
}

TEST(Jacobian, MatchesDocumentedExample) {
  const auto f = [](const auto& x) {
    using std::sin;
    return std::vector{x[0] * x[1], sin(x[0])};
  };
  const Matrix j = ad::jacobian_reverse(f, {2.0, 3.0});
  ASSERT_EQ(j.shape(), (ad::Shape{2, 2}));
  EXPECT_EQ(j(0, 0), 3.0);
  EXPECT_EQ(j(0, 1), 2.0);
  EXPECT_EQ(j(1, 0), std::cos(2.0));
  EXPECT_EQ(j(1, 1), 0.0);
}

TEST(Jacobian, AgreesOnChainThreeFiveFourTwo) {
  const ad::Chain chain({{3, 5, 4, 2}, 7});
  check_all_jacobians<2, 3, 4>(chain, random_point(3, 800), "chain {3,5,4,2}");
}

TEST(Jacobian, AgreesOnChainOneFourOne) {
  const ad::Chain chain({{1, 4, 1}, 8});
  check_all_jacobians<1, 1, 2>(chain, random_point(1, 801), "chain {1,4,1}");
}

TEST(Jacobian, AgreesOnChainSixTwo) {
  const ad::Chain chain({{6, 2}, 9});
  check_all_jacobians<4, 6, 8>(chain, random_point(6, 802), "chain {6,2}");
}

TEST(Jacobian, AgreesOnSinChain) {
  const ad::Chain chain({{4, 6, 3}, 10, ad::Activation::sin});
  check_all_jacobians<3, 4, 5>(chain, random_point(4, 803), "sin chain {4,6,3}");
}

TEST(Jacobian, AgreesOnReluChain) {
  // Forward and reverse use the same kink convention, so they agree even at a
  // kink; differences are left out because a kink may be within a step.
  const ad::Chain chain({{5, 8, 8, 3}, 11, ad::Activation::relu});
  const std::vector<double> x = random_point(5, 804);
  const Matrix fwd = ad::jacobian_forward(chain, x);
  EXPECT_TRUE(near_rel(ad::jacobian_reverse(chain, x), fwd, kAdTolerance));
  EXPECT_TRUE(near_rel(ad::jacobian_forward_vector<2>(chain, x), fwd, kAdTolerance));
}

TEST(Jacobian, HasOutputsRowsAndInputsColumns) {
  const ad::Chain chain({{3, 5, 4, 2}, 7});
  const std::vector<double> x = random_point(3, 805);
  EXPECT_EQ(ad::jacobian_forward(chain, x).shape(), (ad::Shape{2, 3}));
  EXPECT_EQ(ad::jacobian_forward_vector<2>(chain, x).shape(), (ad::Shape{2, 3}));
  EXPECT_EQ(ad::jacobian_reverse(chain, x).shape(), (ad::Shape{2, 3}));
}

TEST(Gradient, EqualsJacobianRowOfScalarFunction) {
  const RandomProgram p(5, 1, 30, 900, true);
  const std::vector<double> x = random_point(5, 901);
  const std::vector<double> g = ad::gradient([&](const std::vector<ad::Var>& v) { return p.scalar(v); }, x);
  const Matrix jac = ad::jacobian_forward(p, x);
  EXPECT_TRUE(near_rel(g, jac.values(), kAdTolerance));
}

TEST(Gradient, EqualsEachRowOfVectorFunction) {
  const ad::Chain chain({{4, 6, 3}, 12});
  const std::vector<double> x = random_point(4, 902);
  const Matrix jac = ad::jacobian_reverse(chain, x);
  for (std::size_t i = 0; i < chain.outputs(); ++i) {
    const std::vector<double> g = ad::gradient([&](const std::vector<ad::Var>& v) { return chain(v)[i]; }, x);
    const std::vector<double> row(jac.values().begin() + static_cast<std::ptrdiff_t>(i * jac.cols()),
                                  jac.values().begin() + static_cast<std::ptrdiff_t>((i + 1) * jac.cols()));
    EXPECT_EQ(g, row) << "output " << i;
  }
}

}  // namespace
