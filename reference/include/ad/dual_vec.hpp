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
#include <type_traits>
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
  /// Derivatives along N directions (0 unless seeded). From 8 tangents on,
  /// aligned to 16 bytes, so that the vector loads of the tangent loops never
  /// straddle a cache line; fewer are not worth the padding (measured).
  alignas(N >= 8 ? 16 : 8) std::array<double, N> tangent;

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
/// Two doubles in one SSE register (a GCC/Clang vector type): the tangent
/// loops are written with it so that they run two tangents per instruction
/// even where the compiler would split a DualVec on the stack into scalars.
using Double2 = double __attribute__((vector_size(16)));
/// Reg (Double2 or double) from consecutive tangents, and back.
template <class Reg>
inline Reg load(const double* p) {
  Reg v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <class Reg>
inline void store(double* p, Reg v) { __builtin_memcpy(p, &v, sizeof v); }

/// out = da * a over N tangents, out of line: inlined into a caller that keeps
/// its DualVecs on the stack, the compiler splits them into scalars and
/// multiplies one tangent at a time, spilling as it goes.
template <std::size_t N>
[[gnu::noinline]] void scale_tangents(double* out, double da, const double* a) {
  for (std::size_t i = 0; i < N; ++i) out[i] = da * a[i];
}
/// r.tangent = da * a.tangent (the chain rule for a unary function with derivative da).
template <std::size_t N>
inline DualVec<N> chain1(double v, double da, const DualVec<N>& a) {
  DualVec<N> r(v, TangentsFollow{});
  if constexpr (N > 4) {
    scale_tangents<N>(r.tangent.data(), da, a.tangent.data());
  } else if constexpr (N % 2 == 0) {
    for (std::size_t i = 0; i < N; i += 2) store(r.tangent.data() + i, load<Double2>(a.tangent.data() + i) * da);
  } else {
    for (std::size_t i = 0; i < N; ++i) r.tangent[i] = da * a.tangent[i];
  }
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
namespace detail {
/// The tangents of b + Σ_j x_j·w_j, block by block: the B sums of one block
/// stay in registers over all n terms and are stored once, instead of being
/// loaded and stored again for every term (the memory traffic of the plain
/// loop). B divides N; an even block runs two tangents per register.
template <std::size_t N, std::size_t B>
inline void dense_row_tangents(const DualVec<N>* x, const double* w, std::size_t n, DualVec<N>& acc) {
  static_assert(N % B == 0, "the block size must divide N");
  using Reg = std::conditional_t<B % 2 == 0, Double2, double>;
  constexpr std::size_t width = sizeof(Reg) / sizeof(double);
  constexpr std::size_t R = B / width;  // registers of sums
  for (std::size_t i0 = 0; i0 < N; i0 += B) {
    Reg t[R];
    for (std::size_t r = 0; r < R; ++r) t[r] = load<Reg>(x[0].tangent.data() + i0 + width * r) * w[0];
    for (std::size_t j = 1; j < n; ++j) {
      const double wj = w[j];
      const double* xj = x[j].tangent.data() + i0;
      for (std::size_t r = 0; r < R; ++r) t[r] += load<Reg>(xj + width * r) * wj;
    }
    for (std::size_t r = 0; r < R; ++r) store(acc.tangent.data() + i0 + width * r, t[r]);
  }
}
/// The largest block of at most 16 tangents that divides N (8 SSE registers of sums).
constexpr std::size_t tangent_block(std::size_t n) {
  for (std::size_t b = 16; b > 1; --b)
    if (n % b == 0) return b;
  return 1;
}
/// b + Σ_j x_j·w_j over n > 0 terms: the value in the order of the primal's
/// sum (so that the values agree to the bit), the tangents in blocks.
template <std::size_t N>
inline DualVec<N> dense_row_sum(const DualVec<N>* x, const double* w, std::size_t n, double b) {
  double v = x[0].value * w[0] + b;
  for (std::size_t j = 1; j < n; ++j) v += x[j].value * w[j];
  DualVec<N> acc(v, TangentsFollow{});
  dense_row_tangents<N, tangent_block(N)>(x, w, n, acc);
  return acc;
}
/// dense_row_sum out of line, for many tangents: inlined into the caller's
/// loops, the compiler spreads the tangents over scalar registers instead of
/// running the blocks with vector instructions.
template <std::size_t N>
[[gnu::noinline]] DualVec<N> dense_row_outline(const DualVec<N>* x, const double* w, std::size_t n, double b) {
  return dense_row_sum<N>(x, w, n, b);
}
}  // namespace detail

/// b + Σ_j x_j·w_j (one output of a dense layer, see dense_row in chain.hpp)
/// with no temporary x_j·w_j: the N tangents are summed in blocks held in
/// registers over all terms. Inline for a few tangents (a call would cost
/// more than the work), out of line for many.
template <std::size_t N>
inline DualVec<N> dense_row(const std::vector<DualVec<N>>& x, const double* w, double b) {
  if constexpr (N <= 4) {
    return detail::dense_row_sum<N>(x.data(), w, x.size(), b);
  } else {
    return detail::dense_row_outline<N>(x.data(), w, x.size(), b);
  }
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
