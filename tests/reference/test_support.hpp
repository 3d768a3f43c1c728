#pragma once
/// \file Shared helpers of the reference tests: central differences, tolerances, random inputs.
///
/// Tolerances used throughout (relative to max(1, |reference|)):
///  - kFdTolerance = 1e-6 when an AD result is compared with central
///    differences. With h = cbrt(eps)·max(1, |x|) ≈ 6e-6·max(1, |x|) the
///    truncation error is about h²|f'''|/6 ≈ 6e-12·|f'''| and the rounding
///    error about eps·|f|/h ≈ 4e-11·|f|; the test functions keep |f| and
///    |f'''| well below 1e3, so 1e-6 leaves a wide margin while a wrong
///    derivative rule (an O(1) error) still fails.
///  - kAdTolerance = 1e-12 when AD is compared with an analytic derivative or
///    with another AD mode: both are exact up to the rounding of a few dozen
///    operations (~1e-14 relative), so only rounding is allowed for.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ad/tensor.hpp"

namespace adtest {

/// Relative tolerance of AD against central differences (see the file comment).
inline constexpr double kFdTolerance = 1e-6;
/// Relative tolerance of AD against analytic derivatives or another AD mode.
inline constexpr double kAdTolerance = 1e-12;

/// Central-difference step for input x: cbrt(eps) balances truncation (∝ h²) against rounding (∝ 1/h).
inline double fd_step(double x) {
  return std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, std::fabs(x));
}

/// df/dx at x by central differences; divides by the step actually taken (x + h and x - h are rounded).
template <class F>
double central_difference(F&& f, double x) {
  const double h = fd_step(x);
  const double xp = x + h;
  const double xm = x - h;
  return (f(xp) - f(xm)) / (xp - xm);
}

/// Gradient of a scalar function of a vector by central differences, one coordinate at a time.
template <class F>
std::vector<double> fd_gradient(F&& f, const std::vector<double>& x) {
  std::vector<double> g(x.size());
  std::vector<double> xs = x;
  for (std::size_t j = 0; j < x.size(); ++j) {
    g[j] = central_difference(
        [&](double v) {
          xs[j] = v;
          const double y = f(xs);
          xs[j] = x[j];
          return y;
        },
        x[j]);
  }
  return g;
}

/// Jacobian (m × n) of f: Rⁿ → Rᵐ (f takes and returns std::vector<double>) by central differences.
template <class F>
ad::Matrix fd_jacobian(F&& f, const std::vector<double>& x) {
  const std::size_t n = x.size();
  const std::size_t m = f(x).size();
  ad::Matrix jac(m, n);
  std::vector<double> xs = x;
  for (std::size_t j = 0; j < n; ++j) {
    const double h = fd_step(x[j]);
    xs[j] = x[j] + h;
    const double xp = xs[j];
    const std::vector<double> yp = f(xs);
    xs[j] = x[j] - h;
    const double xm = xs[j];
    const std::vector<double> ym = f(xs);
    xs[j] = x[j];
    for (std::size_t i = 0; i < m; ++i) jac(i, j) = (yp[i] - ym[i]) / (xp - xm);
  }
  return jac;
}

/// Gradient of a scalar function of a matrix (f takes const Matrix&) by central differences, entrywise.
template <class F>
ad::Matrix fd_gradient(F&& f, const ad::Matrix& x) {
  ad::Matrix g(x.rows(), x.cols());
  ad::Matrix xs = x;
  for (std::size_t k = 0; k < x.size(); ++k) {
    g[k] = central_difference(
        [&](double v) {
          xs[k] = v;
          const double y = f(xs);
          xs[k] = x[k];
          return y;
        },
        x[k]);
  }
  return g;
}

/// Passes when |actual - expected| <= rtol·max(1, |expected|); says both numbers and the bound otherwise.
inline ::testing::AssertionResult near_rel(double actual, double expected, double rtol) {
  const double bound = rtol * std::max(1.0, std::fabs(expected));
  if (std::fabs(actual - expected) <= bound) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(17);
  os << "actual " << actual << " vs expected " << expected << " (difference " << std::fabs(actual - expected)
     << " > bound " << bound << ")";
  return ::testing::AssertionFailure() << os.str();
}

/// near_rel entry by entry, after checking that the shapes agree.
inline ::testing::AssertionResult near_rel(const ad::Matrix& actual, const ad::Matrix& expected, double rtol) {
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << ad::to_string(actual.shape()) << " vs expected "
                                         << ad::to_string(expected.shape());
  for (std::size_t k = 0; k < actual.size(); ++k) {
    const ::testing::AssertionResult r = near_rel(actual[k], expected[k], rtol);
    if (!r) return ::testing::AssertionFailure() << "entry " << k << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

/// near_rel entry by entry for vectors of the same length.
inline ::testing::AssertionResult near_rel(const std::vector<double>& actual, const std::vector<double>& expected,
                                           double rtol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << "length " << actual.size() << " vs expected " << expected.size();
  for (std::size_t k = 0; k < actual.size(); ++k) {
    const ::testing::AssertionResult r = near_rel(actual[k], expected[k], rtol);
    if (!r) return ::testing::AssertionFailure() << "entry " << k << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

/// Uniform double in [lo, hi).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

/// A random sign times a magnitude in [lo, hi): keeps inputs away from kinks at 0.
inline double away_from_zero(std::mt19937_64& rng, double lo, double hi) {
  const double m = uniform(rng, lo, hi);
  return uniform(rng, 0.0, 1.0) < 0.5 ? -m : m;
}

/// A rows × cols matrix with entries uniform in [lo, hi).
inline ad::Matrix random_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double lo = -1.0,
                                double hi = 1.0) {
  ad::Matrix m(rows, cols);
  for (std::size_t k = 0; k < m.size(); ++k) m[k] = uniform(rng, lo, hi);
  return m;
}

/// A vector of n entries uniform in [lo, hi).
inline std::vector<double> random_vector(std::mt19937_64& rng, std::size_t n, double lo = -1.0, double hi = 1.0) {
  std::vector<double> v(n);
  for (double& x : v) x = uniform(rng, lo, hi);
  return v;
}

/// ⟨a, b⟩ of two matrices of the same size, for losses L = ⟨dz, f(x)⟩.
inline double inner(const ad::Matrix& a, const ad::Matrix& b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

}  // namespace adtest
