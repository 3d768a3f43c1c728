// Tests that forward mode (Dual, DualVec) and reverse mode (Var) agree on
// random compositions of every scalar operation (random_program.hpp), and
// that they match central differences where the composition is smooth.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/tape.hpp"
#include "random_program.hpp"
#include "test_support.hpp"

namespace {

using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;
using adtest::RandomProgram;

constexpr std::size_t kInputs = 4;
constexpr std::size_t kLength = 24;
constexpr int kPrograms = 40;

/// Gradient of the program's first output by one Dual pass per input.
std::vector<double> forward_gradient(const RandomProgram& p, const std::vector<double>& x) {
  std::vector<double> g(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    std::vector<ad::Dual> xd;
    for (std::size_t i = 0; i < x.size(); ++i) xd.emplace_back(x[i], i == j ? 1.0 : 0.0);
    g[j] = p.scalar(xd).tangent;
  }
  return g;
}

/// Gradient by one DualVec pass with all inputs seeded at once.
std::vector<double> vector_gradient(const RandomProgram& p, const std::vector<double>& x) {
  std::vector<ad::DualVec<kInputs>> xd;
  for (std::size_t i = 0; i < x.size(); ++i) xd.push_back(ad::DualVec<kInputs>::seed(x[i], i));
  const ad::DualVec<kInputs> y = p.scalar(xd);
  return {y.tangent.begin(), y.tangent.end()};
}

/// Gradient by one backward sweep.
std::vector<double> reverse_gradient(const RandomProgram& p, const std::vector<double>& x) {
  ad::Tape tape;
  std::vector<ad::Var> xv;
  for (double xi : x) xv.push_back(tape.variable(xi));
  tape.backward(p.scalar(xv));
  std::vector<double> g;
  for (const ad::Var& v : xv) g.push_back(tape.adjoint(v));
  return g;
}

std::vector<double> random_point(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return adtest::random_vector(rng, kInputs, -1.0, 1.0);
}

TEST(RandomComposition, ValuesAgreeAcrossNumberTypes) {
  for (int s = 0; s < kPrograms; ++s) {
    const RandomProgram p(kInputs, 1, kLength, 1000 + s, false);
    const std::vector<double> x = random_point(2000 + s);
    const double want = p.scalar(x);
    std::vector<ad::Dual> xd(x.begin(), x.end());
    std::vector<ad::DualVec<kInputs>> xv(x.begin(), x.end());
    ad::Tape tape;
    std::vector<ad::Var> xr;
    for (double xi : x) xr.push_back(tape.variable(xi));
    EXPECT_DOUBLE_EQ(p.scalar(xd).value, want) << "program " << s;
    EXPECT_DOUBLE_EQ(p.scalar(xv).value, want) << "program " << s;
    EXPECT_DOUBLE_EQ(p.scalar(xr).value(), want) << "program " << s;
  }
}

TEST(RandomComposition, DualVecMatchesDual) {
  for (int s = 0; s < kPrograms; ++s) {
    const RandomProgram p(kInputs, 1, kLength, 3000 + s, false);
    const std::vector<double> x = random_point(4000 + s);
    EXPECT_TRUE(near_rel(vector_gradient(p, x), forward_gradient(p, x), kAdTolerance)) << "program " << s;
  }
}

TEST(RandomComposition, ReverseMatchesForward) {
  for (int s = 0; s < kPrograms; ++s) {
    const RandomProgram p(kInputs, 1, kLength, 5000 + s, false);
    const std::vector<double> x = random_point(6000 + s);
    EXPECT_TRUE(near_rel(reverse_gradient(p, x), forward_gradient(p, x), kAdTolerance)) << "program " << s;
  }
}

TEST(RandomComposition, SmoothProgramsMatchFiniteDifferences) {
  for (int s = 0; s < kPrograms; ++s) {
    const RandomProgram p(kInputs, 1, kLength, 7000 + s, true);
    const std::vector<double> x = random_point(8000 + s);
    const std::vector<double> fd = adtest::fd_gradient([&](const std::vector<double>& v) { return p.scalar(v); }, x);
    EXPECT_TRUE(near_rel(forward_gradient(p, x), fd, kFdTolerance)) << "forward, program " << s;
    EXPECT_TRUE(near_rel(reverse_gradient(p, x), fd, kFdTolerance)) << "reverse, program " << s;
  }
}

TEST(RandomComposition, ReverseMatchesForwardOnLongPrograms) {
  // 400 instructions: registers are reused many times, so adjoints accumulate from many uses.
  for (int s = 0; s < 5; ++s) {
    const RandomProgram p(kInputs, 1, 400, 9000 + s, false);
    const std::vector<double> x = random_point(9500 + s);
    EXPECT_TRUE(near_rel(reverse_gradient(p, x), forward_gradient(p, x), kAdTolerance)) << "program " << s;
  }
}

}  // namespace
