#pragma once
/// \file Forward mode: dual numbers.
///
/// A dual number v + t·ε (with ε² = 0) carries a primal value v and a tangent t,
/// the derivative of v along one chosen input direction. Every operation below
/// applies its derivative rule to the tangent, so one evaluation of f on duals
/// seeded with tangent 1 on input i yields f and ∂f/∂x_i together.
///
/// Outside a function's domain (log of a negative number, sqrt(-1), 1/0, …)
/// values and tangents follow the IEEE behaviour of the matching std:: function
/// (NaN or ±Infinity); nothing throws.
///
/// Conventions at kinks (the same as PyTorch): d|x|/dx = 0 at x = 0 and
/// d relu(x)/dx = 0 at x = 0.

namespace ad {

/// A forward-mode dual number: `value` is the primal, `tangent` its derivative.
struct Dual {
  double value = 0.0;    ///< primal value
  double tangent = 0.0;  ///< derivative along the seeded direction

  Dual() = default;
  /// A constant when `tangent` is 0; an input to differentiate when it is 1.
  constexpr Dual(double value_, double tangent_ = 0.0) : value(value_), tangent(tangent_) {}  // NOLINT: implicit on purpose
};

Dual operator+(Dual a, Dual b);    ///< sum rule
Dual operator+(Dual a, double b);  ///< b is a constant
Dual operator+(double a, Dual b);  ///< a is a constant
Dual operator-(Dual a, Dual b);    ///< difference rule
Dual operator-(Dual a, double b);  ///< b is a constant
Dual operator-(double a, Dual b);  ///< a is a constant
Dual operator*(Dual a, Dual b);    ///< product rule
Dual operator*(Dual a, double b);  ///< b is a constant
Dual operator*(double a, Dual b);  ///< a is a constant
Dual operator/(Dual a, Dual b);    ///< quotient rule
Dual operator/(Dual a, double b);  ///< b is a constant
Dual operator/(double a, Dual b);  ///< a is a constant
Dual operator-(Dual a);            ///< negation

Dual sin(Dual a);             ///< d sin = cos
Dual cos(Dual a);             ///< d cos = -sin
Dual tan(Dual a);             ///< d tan = 1 + tan²
Dual exp(Dual a);             ///< d exp = exp
Dual log(Dual a);             ///< natural logarithm, d log = 1/a
Dual sqrt(Dual a);            ///< d sqrt = 1/(2 sqrt)
Dual pow(Dual a, double p);   ///< a^p for a constant exponent: p a^(p-1)
Dual pow(Dual a, Dual b);     ///< a^b with both varying: a^b (b' log a + b a'/a)
Dual abs(Dual a);             ///< sign(a); 0 at a = 0
Dual tanh(Dual a);            ///< d tanh = 1 - tanh²
Dual relu(Dual a);            ///< max(a, 0); derivative 0 at a = 0

inline Dual& operator+=(Dual& a, Dual b) { return a = a + b; }
inline Dual& operator-=(Dual& a, Dual b) { return a = a - b; }
inline Dual& operator*=(Dual& a, Dual b) { return a = a * b; }
inline Dual& operator/=(Dual& a, Dual b) { return a = a / b; }

/// Comparisons look at the primal value only (for branches in user code).
inline bool operator<(Dual a, Dual b) { return a.value < b.value; }
inline bool operator>(Dual a, Dual b) { return a.value > b.value; }

/// The primal value of a number, for code generic over double and Dual.
inline double value_of(double x) { return x; }
inline double value_of(Dual x) { return x.value; }

}  // namespace ad
