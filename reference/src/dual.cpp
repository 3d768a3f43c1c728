// Forward mode: the derivative rule of every operation on dual numbers.
#include "ad/dual.hpp"

#include <cmath>

#include "ad/error.hpp"  // ADC_TODO, in the student template generated from this file

namespace ad {

Dual operator+(Dual a, Dual b) {
  // BEGIN SOLUTION "forward mode: the sum rule for Dual + Dual"
  return {a.value + b.value, a.tangent + b.tangent};
  // END SOLUTION
}

Dual operator+(Dual a, double b) {
  // BEGIN SOLUTION "forward mode: Dual + constant"
  return {a.value + b, a.tangent};
  // END SOLUTION
}

Dual operator+(double a, Dual b) {
  // BEGIN SOLUTION "forward mode: constant + Dual"
  return {a + b.value, b.tangent};
  // END SOLUTION
}

Dual operator-(Dual a, Dual b) {
  // BEGIN SOLUTION "forward mode: the difference rule for Dual - Dual"
  return {a.value - b.value, a.tangent - b.tangent};
  // END SOLUTION
}

Dual operator-(Dual a, double b) {
  // BEGIN SOLUTION "forward mode: Dual - constant"
  return {a.value - b, a.tangent};
  // END SOLUTION
}

Dual operator-(double a, Dual b) {
  // BEGIN SOLUTION "forward mode: constant - Dual"
  return {a - b.value, -b.tangent};
  // END SOLUTION
}

Dual operator*(Dual a, Dual b) {
  // BEGIN SOLUTION "forward mode: the product rule for Dual * Dual"
  return {a.value * b.value, a.tangent * b.value + a.value * b.tangent};
  // END SOLUTION
}

Dual operator*(Dual a, double b) {
  // BEGIN SOLUTION "forward mode: Dual * constant"
  return {a.value * b, a.tangent * b};
  // END SOLUTION
}

Dual operator*(double a, Dual b) {
  // BEGIN SOLUTION "forward mode: constant * Dual"
  return {a * b.value, a * b.tangent};
  // END SOLUTION
}

Dual operator/(Dual a, Dual b) {
  // BEGIN SOLUTION "forward mode: the quotient rule for Dual / Dual"
  const double q = a.value / b.value;
  return {q, (a.tangent - q * b.tangent) / b.value};
  // END SOLUTION
}

Dual operator/(Dual a, double b) {
  // BEGIN SOLUTION "forward mode: Dual / constant"
  return {a.value / b, a.tangent / b};
  // END SOLUTION
}

Dual operator/(double a, Dual b) {
  // BEGIN SOLUTION "forward mode: constant / Dual"
  const double q = a / b.value;
  return {q, -q * b.tangent / b.value};
  // END SOLUTION
}

Dual operator-(Dual a) {
  // BEGIN SOLUTION "forward mode: negation"
  return {-a.value, -a.tangent};
  // END SOLUTION
}

Dual sin(Dual a) {
  // BEGIN SOLUTION "forward mode: sin"
  return {std::sin(a.value), std::cos(a.value) * a.tangent};
  // END SOLUTION
}

Dual cos(Dual a) {
  // BEGIN SOLUTION "forward mode: cos"
  return {std::cos(a.value), -std::sin(a.value) * a.tangent};
  // END SOLUTION
}

Dual tan(Dual a) {
  // BEGIN SOLUTION "forward mode: tan"
  const double t = std::tan(a.value);
  return {t, (1.0 + t * t) * a.tangent};
  // END SOLUTION
}

Dual exp(Dual a) {
  // BEGIN SOLUTION "forward mode: exp"
  const double e = std::exp(a.value);
  return {e, e * a.tangent};
  // END SOLUTION
}

Dual log(Dual a) {
  // BEGIN SOLUTION "forward mode: log"
  return {std::log(a.value), a.tangent / a.value};
  // END SOLUTION
}

Dual sqrt(Dual a) {
  // BEGIN SOLUTION "forward mode: sqrt"
  const double s = std::sqrt(a.value);
  return {s, a.tangent / (2.0 * s)};
  // END SOLUTION
}

Dual pow(Dual a, double p) {
  // BEGIN SOLUTION "forward mode: pow with a constant exponent"
  // p = 0 is a constant function: derivative 0, also at a = 0 where p·a^(p-1) is 0·inf.
  return {std::pow(a.value, p), p == 0.0 ? 0.0 : p * std::pow(a.value, p - 1.0) * a.tangent};
  // END SOLUTION
}

Dual pow(Dual a, Dual b) {
  // BEGIN SOLUTION "forward mode: pow with a varying exponent"
  // d(a^b) = b a^(b-1) da + a^b log(a) db. The log term is skipped when b is
  // constant so that a negative base with a constant exponent stays finite.
  const double v = std::pow(a.value, b.value);
  double t = b.value * std::pow(a.value, b.value - 1.0) * a.tangent;
  if (b.tangent != 0.0) t += v * std::log(a.value) * b.tangent;
  return {v, t};
  // END SOLUTION
}

Dual abs(Dual a) {
  // BEGIN SOLUTION "forward mode: abs"
  const double sign = a.value > 0.0 ? 1.0 : (a.value < 0.0 ? -1.0 : 0.0);
  return {std::fabs(a.value), sign * a.tangent};
  // END SOLUTION
}

Dual tanh(Dual a) {
  // BEGIN SOLUTION "forward mode: tanh"
  const double t = std::tanh(a.value);
  return {t, (1.0 - t * t) * a.tangent};
  // END SOLUTION
}

Dual relu(Dual a) {
  // BEGIN SOLUTION "forward mode: relu"
  return a.value > 0.0 ? a : Dual(0.0, 0.0);
  // END SOLUTION
}

}  // namespace ad
