#pragma once
/// \file Vector-mode forward: a dual number with N tangents at once.
///
/// One evaluation on DualVec<N> pushes N tangent directions through f, so a
/// Jacobian with n <= N inputs takes one pass instead of n (see
/// jacobian_forward_vector). Same rules, domains and kink conventions as Dual.
/// Header-only so that the compiler can unroll and vectorise the tangent loops.

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace ad {

namespace detail {
/// Tag of the DualVec constructor that leaves the tangents to be written by the caller.
struct TangentsFollow {};
}  // namespace detail

/// A primal value with N tangents, one per seeded input direction.
template <std::size_t N>
struct DualVec {
  double value = 0.0;              ///< primal value
  std::array<double, N> tangent;   ///< derivatives along N directions (0 unless seeded)

  /// 0 with all tangents 0.
  DualVec() : tangent{} {}
  /// A constant (all tangents 0).
  DualVec(double v) : value(v), tangent{} {}  // NOLINT: implicit on purpose, constants mix in freely
  /// For the operations below, which write every tangent themselves: zeroing
  /// N tangents first would cost as much as the operation.
  DualVec(double v, detail::TangentsFollow) : value(v) {}
  /// Input number `direction` of N: tangent 1 there, 0 elsewhere.
  static DualVec seed(double v, std::size_t direction) {
    DualVec d(v);
    d.tangent[direction] = 1.0;
    return d;
  }
};

namespace detail {
/// r.tangent = da * a.tangent (the chain rule for a unary function with derivative da).
template <std::size_t N>
inline DualVec<N> chain1(double v, double da, const DualVec<N>& a) {
  DualVec<N> r(v, TangentsFollow{});
  for (std::size_t i = 0; i < N; ++i) r.tangent[i] = da * a.tangent[i];
  return r;
}
/// r.tangent = da * a.tangent + db * b.tangent.
template <std::size_t N>
inline DualVec<N> chain2(double v, double da, const DualVec<N>& a, double db, const DualVec<N>& b) {
  DualVec<N> r(v, TangentsFollow{});
  for (std::size_t i = 0; i < N; ++i) r.tangent[i] = da * a.tangent[i] + db * b.tangent[i];
  return r;
}
}  // namespace detail

template <std::size_t N>
inline DualVec<N> operator+(const DualVec<N>& a, const DualVec<N>& b) {
  DualVec<N> r(a.value + b.value, detail::TangentsFollow{});
  for (std::size_t i = 0; i < N; ++i) r.tangent[i] = a.tangent[i] + b.tangent[i];
  return r;
}
template <std::size_t N>
inline DualVec<N> operator+(const DualVec<N>& a, double b) { DualVec<N> r = a; r.value += b; return r; }
template <std::size_t N>
inline DualVec<N> operator+(double a, const DualVec<N>& b) { return b + a; }
template <std::size_t N>
inline DualVec<N> operator-(const DualVec<N>& a, const DualVec<N>& b) {
  DualVec<N> r(a.value - b.value, detail::TangentsFollow{});
  for (std::size_t i = 0; i < N; ++i) r.tangent[i] = a.tangent[i] - b.tangent[i];
  return r;
}
template <std::size_t N>
inline DualVec<N> operator-(const DualVec<N>& a, double b) { DualVec<N> r = a; r.value -= b; return r; }
template <std::size_t N>
inline DualVec<N> operator-(double a, const DualVec<N>& b) { return detail::chain1(a - b.value, -1.0, b); }
template <std::size_t N>
inline DualVec<N> operator-(const DualVec<N>& a) { return detail::chain1(-a.value, -1.0, a); }
template <std::size_t N>
inline DualVec<N> operator*(const DualVec<N>& a, const DualVec<N>& b) {
  return detail::chain2(a.value * b.value, b.value, a, a.value, b);
}
template <std::size_t N>
inline DualVec<N> operator*(const DualVec<N>& a, double b) { return detail::chain1(a.value * b, b, a); }
template <std::size_t N>
inline DualVec<N> operator*(double a, const DualVec<N>& b) { return detail::chain1(a * b.value, a, b); }
template <std::size_t N>
inline DualVec<N> operator/(const DualVec<N>& a, const DualVec<N>& b) {
  const double q = a.value / b.value;
  return detail::chain2(q, 1.0 / b.value, a, -q / b.value, b);
}
template <std::size_t N>
inline DualVec<N> operator/(const DualVec<N>& a, double b) { return detail::chain1(a.value / b, 1.0 / b, a); }
template <std::size_t N>
inline DualVec<N> operator/(double a, const DualVec<N>& b) {
  const double q = a / b.value;
  return detail::chain1(q, -q / b.value, b);
}
template <std::size_t N>
inline DualVec<N>& operator+=(DualVec<N>& a, const DualVec<N>& b) {
  a.value += b.value;
  for (std::size_t i = 0; i < N; ++i) a.tangent[i] += b.tangent[i];
  return a;
}
/// b + Σ_j x_j·w_j (one output of a dense layer, see dense_row in chain.hpp)
/// with one pass over the tangents per term and no temporary x_j·w_j.
///
/// Not inlined on purpose: inlined into the caller's loops, the compiler
/// spreads the N tangents over scalar registers instead of running the
/// loop below with vector instructions.
template <std::size_t N>
[[gnu::noinline]] DualVec<N> dense_row(const std::vector<DualVec<N>>& x, const double* w, double b) {
  DualVec<N> acc = detail::chain1(x[0].value * w[0] + b, w[0], x[0]);
  for (std::size_t j = 1; j < x.size(); ++j) {
    const double wj = w[j];
    acc.value += x[j].value * wj;
    for (std::size_t i = 0; i < N; ++i) acc.tangent[i] += x[j].tangent[i] * wj;
  }
  return acc;
}
template <std::size_t N>
inline DualVec<N>& operator-=(DualVec<N>& a, const DualVec<N>& b) { return a = a - b; }
template <std::size_t N>
inline DualVec<N>& operator*=(DualVec<N>& a, const DualVec<N>& b) { return a = a * b; }
template <std::size_t N>
inline DualVec<N>& operator/=(DualVec<N>& a, const DualVec<N>& b) { return a = a / b; }

/// Comparisons look at the primal value only (for branches in user code), as for Dual.
template <std::size_t N>
inline bool operator<(const DualVec<N>& a, const DualVec<N>& b) { return a.value < b.value; }
template <std::size_t N>
inline bool operator>(const DualVec<N>& a, const DualVec<N>& b) { return a.value > b.value; }

template <std::size_t N>
inline DualVec<N> sin(const DualVec<N>& a) { return detail::chain1(std::sin(a.value), std::cos(a.value), a); }
template <std::size_t N>
inline DualVec<N> cos(const DualVec<N>& a) { return detail::chain1(std::cos(a.value), -std::sin(a.value), a); }
template <std::size_t N>
inline DualVec<N> tan(const DualVec<N>& a) {
  const double t = std::tan(a.value);
  return detail::chain1(t, 1.0 + t * t, a);
}
template <std::size_t N>
inline DualVec<N> exp(const DualVec<N>& a) {
  const double e = std::exp(a.value);
  return detail::chain1(e, e, a);
}
template <std::size_t N>
inline DualVec<N> log(const DualVec<N>& a) { return detail::chain1(std::log(a.value), 1.0 / a.value, a); }
template <std::size_t N>
inline DualVec<N> sqrt(const DualVec<N>& a) {
  const double s = std::sqrt(a.value);
  return detail::chain1(s, 0.5 / s, a);
}
template <std::size_t N>
inline DualVec<N> pow(const DualVec<N>& a, double p) {
  return detail::chain1(std::pow(a.value, p), p == 0.0 ? 0.0 : p * std::pow(a.value, p - 1.0), a);
}
template <std::size_t N>
inline DualVec<N> pow(const DualVec<N>& a, const DualVec<N>& b) {
  // As for Dual, the log term is skipped in directions where b is constant, so
  // that a negative or zero base with a constant exponent stays finite
  // (0·log(a) would be NaN there).
  const double v = std::pow(a.value, b.value);
  const double da = b.value * std::pow(a.value, b.value - 1.0);
  const double db = v * std::log(a.value);
  DualVec<N> r(v, detail::TangentsFollow{});
  for (std::size_t i = 0; i < N; ++i) {
    r.tangent[i] = da * a.tangent[i];
    if (b.tangent[i] != 0.0) r.tangent[i] += db * b.tangent[i];
  }
  return r;
}
template <std::size_t N>
inline DualVec<N> abs(const DualVec<N>& a) {
  return detail::chain1(std::fabs(a.value), a.value > 0 ? 1.0 : (a.value < 0 ? -1.0 : 0.0), a);
}
template <std::size_t N>
inline DualVec<N> tanh(const DualVec<N>& a) {
  const double t = std::tanh(a.value);
  return detail::chain1(t, 1.0 - t * t, a);
}
template <std::size_t N>
inline DualVec<N> relu(const DualVec<N>& a) {
  return detail::chain1(a.value > 0 ? a.value : 0.0, a.value > 0 ? 1.0 : 0.0, a);
}

template <std::size_t N>
inline double value_of(const DualVec<N>& x) { return x.value; }

}  // namespace ad
