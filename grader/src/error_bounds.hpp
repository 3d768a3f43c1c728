#pragma once
// Rounding-error bounds of the reference computations: how far a correct
// submission's doubles may lie from the reference's.
//
// AD is exact up to rounding, so the judge's tolerance for a number should be
// what rounding can do to it, no more. Bounded carries a value and a first-
// order bound on its absolute rounding error (a running error analysis in the
// manner of Wilkinson): every operation adds the rounding of its own result
// and passes on the errors of its operands times its partial derivatives.
// Sums add u·(|a| + |b|), not u·|a + b|, so the bound covers any order of
// summation, not only the reference's; under cancellation the bound stays at
// the size of the terms, which is what separates an honest 1e-17 in a
// difference of two 1e0s from a wrong answer. Private to the judge.

#include <cmath>
#include <cstddef>
#include <vector>

#include "ad/network.hpp"
#include "ad/tensor.hpp"

namespace grader::bounds {

/// The unit roundoff of double: half an ulp of 1.
constexpr double unit = 0x1p-53;
/// Library functions (sin, exp, pow, …) are within one ulp: twice the unit roundoff.
constexpr double libm = 2.0 * unit;

/// A value and a bound on its absolute rounding error.
struct Bounded {
  double v = 0.0;  ///< the value computed in double
  double e = 0.0;  ///< bound on |v - exact| (first order)
  Bounded() = default;
  Bounded(double value, double error = 0.0) : v(value), e(error) {}  // NOLINT: constants are exact
};

/// x·e without 0·∞ = NaN when an exact operand meets an infinite slope.
inline double times(double slope, double error) { return error == 0.0 ? 0.0 : std::fabs(slope) * error; }

inline Bounded operator+(Bounded a, Bounded b) {
  return {a.v + b.v, a.e + b.e + unit * (std::fabs(a.v) + std::fabs(b.v))};
}
inline Bounded operator-(Bounded a, Bounded b) {
  return {a.v - b.v, a.e + b.e + unit * (std::fabs(a.v) + std::fabs(b.v))};
}
inline Bounded operator-(Bounded a) { return {-a.v, a.e}; }
inline Bounded operator*(Bounded a, Bounded b) {
  const double p = a.v * b.v;
  return {p, times(b.v, a.e) + times(a.v, b.e) + a.e * b.e + unit * std::fabs(p)};
}
inline Bounded operator/(Bounded a, Bounded b) {
  const double q = a.v / b.v;
  const double room = std::fabs(b.v) - b.e;  // the denominator may be as small as this
  const double e = room > 0.0 ? (a.e + times(q, b.e)) / room : (a.e + b.e == 0.0 ? 0.0 : HUGE_VAL);
  return {q, e + unit * std::fabs(q)};
}
inline Bounded& operator+=(Bounded& a, Bounded b) { return a = a + b; }

/// f(x) from its value and slope at x: the slope carries x's error, plus f's own rounding.
inline Bounded unary(double value, double slope, Bounded x) {
  return {value, times(slope, x.e) + libm * std::fabs(value)};
}
inline Bounded sin(Bounded x) { return unary(std::sin(x.v), std::cos(x.v), x); }
inline Bounded cos(Bounded x) { return unary(std::cos(x.v), std::sin(x.v), x); }
inline Bounded tan(Bounded x) {
  const double t = std::tan(x.v);
  return unary(t, 1.0 + t * t, x);
}
inline Bounded exp(Bounded x) { return unary(std::exp(x.v), std::exp(x.v), x); }
inline Bounded log(Bounded x) { return unary(std::log(x.v), 1.0 / x.v, x); }
inline Bounded sqrt(Bounded x) { return unary(std::sqrt(x.v), 0.5 / std::sqrt(x.v), x); }
inline Bounded tanh(Bounded x) {
  const double t = std::tanh(x.v);
  return unary(t, 1.0 - t * t, x);
}
inline Bounded abs(Bounded x) { return {std::fabs(x.v), x.e}; }
inline Bounded relu(Bounded x) { return {x.v > 0.0 ? x.v : 0.0, x.e}; }
inline Bounded pow(Bounded a, double p) {
  const double v = std::pow(a.v, p);
  return unary(v, p == 0.0 ? 0.0 : p * std::pow(a.v, p - 1.0), a);
}
inline Bounded pow(Bounded a, Bounded b) {
  const double v = std::pow(a.v, b.v);
  return {v, times(b.v * std::pow(a.v, b.v - 1.0), a.e) + times(v * std::log(a.v), b.e) + libm * std::fabs(v)};
}

/// Whether rounding may have put x on the wrong side of 0 (a kink decided by noise).
inline bool straddles_zero(Bounded x) { return x.v != 0.0 && std::fabs(x.v) <= x.e; }

/// A dual number over Bounded: the reference's forward-mode rules (ad/dual.cpp),
/// so the bound is that of the reference's own formulas.
struct BDual {
  Bounded value;
  Bounded tangent;
  BDual() = default;
  BDual(double v, double t = 0.0) : value(v), tangent(t) {}  // NOLINT: implicit, as ad::Dual
  BDual(Bounded v, Bounded t) : value(v), tangent(t) {}
};

inline BDual operator+(const BDual& a, const BDual& b) { return {a.value + b.value, a.tangent + b.tangent}; }
inline BDual operator-(const BDual& a, const BDual& b) { return {a.value - b.value, a.tangent - b.tangent}; }
inline BDual operator*(const BDual& a, const BDual& b) {
  return {a.value * b.value, a.tangent * b.value + a.value * b.tangent};
}
inline BDual operator/(const BDual& a, const BDual& b) {
  const Bounded q = a.value / b.value;
  return {q, (a.tangent - q * b.tangent) / b.value};
}
inline BDual operator+(const BDual& a, double c) { return {a.value + Bounded(c), a.tangent}; }
inline BDual operator+(double c, const BDual& b) { return {Bounded(c) + b.value, b.tangent}; }
inline BDual operator-(const BDual& a, double c) { return {a.value - Bounded(c), a.tangent}; }
inline BDual operator-(double c, const BDual& b) { return {Bounded(c) - b.value, -b.tangent}; }
inline BDual operator*(const BDual& a, double c) { return {a.value * Bounded(c), a.tangent * Bounded(c)}; }
inline BDual operator*(double c, const BDual& b) { return {Bounded(c) * b.value, Bounded(c) * b.tangent}; }
inline BDual operator/(const BDual& a, double c) { return {a.value / Bounded(c), a.tangent / Bounded(c)}; }
inline BDual operator/(double c, const BDual& b) {
  const Bounded q = Bounded(c) / b.value;
  return {q, -(q * b.tangent) / b.value};
}
inline BDual operator-(const BDual& a) { return {-a.value, -a.tangent}; }
inline BDual sin(const BDual& a) { return {sin(a.value), cos(a.value) * a.tangent}; }
inline BDual cos(const BDual& a) { return {cos(a.value), -(sin(a.value) * a.tangent)}; }
inline BDual tan(const BDual& a) {
  const Bounded t = tan(a.value);
  return {t, (Bounded(1.0) + t * t) * a.tangent};
}
inline BDual exp(const BDual& a) {
  const Bounded e = exp(a.value);
  return {e, e * a.tangent};
}
inline BDual log(const BDual& a) { return {log(a.value), a.tangent / a.value}; }
inline BDual sqrt(const BDual& a) {
  const Bounded s = sqrt(a.value);
  return {s, a.tangent / (Bounded(2.0) * s)};
}
inline BDual pow(const BDual& a, double p) {
  return {pow(a.value, p), p == 0.0 ? Bounded(0.0) : Bounded(p) * pow(a.value, p - 1.0) * a.tangent};
}
inline BDual pow(const BDual& a, const BDual& b) {
  const Bounded v = pow(a.value, b.value);
  Bounded t = b.value * pow(a.value, b.value - Bounded(1.0)) * a.tangent;
  if (b.tangent.v != 0.0) t += v * log(a.value) * b.tangent;
  return {v, t};
}
/// A kink within rounding of the argument: either side's rule is correct, so
/// the bound covers both (|u'| for relu, 2|u'| for abs).
inline BDual abs(const BDual& a) {
  const double sign = a.value.v > 0.0 ? 1.0 : (a.value.v < 0.0 ? -1.0 : 0.0);
  BDual r{abs(a.value), Bounded(sign) * a.tangent};
  if (straddles_zero(a.value)) r.tangent.e += 2.0 * std::fabs(a.tangent.v);
  return r;
}
inline BDual tanh(const BDual& a) {
  const Bounded t = tanh(a.value);
  return {t, (Bounded(1.0) - t * t) * a.tangent};
}
inline BDual relu(const BDual& a) {
  BDual r = a.value.v > 0.0 ? a : BDual(0.0, 0.0);
  if (straddles_zero(a.value)) r.tangent.e += std::fabs(a.tangent.v);
  return r;
}

/// Per-entry bounds on a flattened parameter vector (W1, b1, w2, b2) of the two-layer network.
std::vector<double> network_gradient_bounds(const ad::TwoLayerNet& net, const ad::Dataset& data);
/// Bounds on the parameters after `steps` gradient-descent steps of rate `lr`.
std::vector<double> network_step_bounds(const ad::TwoLayerNet& net, const ad::Dataset& data, double lr, int steps);

}  // namespace grader::bounds
