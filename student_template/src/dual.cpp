// Forward mode: the derivative rule of every operation on dual numbers.
#include "ad/dual.hpp"

#include <cmath>

#include "ad/error.hpp"  // ADC_TODO, in the student template generated from this file

namespace ad {

Dual operator+(Dual a, Dual b) {
  ADC_TODO("forward mode: the sum rule for Dual + Dual");
}

Dual operator+(Dual a, double b) {
  ADC_TODO("forward mode: Dual + constant");
}

Dual operator+(double a, Dual b) {
  ADC_TODO("forward mode: constant + Dual");
}

Dual operator-(Dual a, Dual b) {
  ADC_TODO("forward mode: the difference rule for Dual - Dual");
}

Dual operator-(Dual a, double b) {
  ADC_TODO("forward mode: Dual - constant");
}

Dual operator-(double a, Dual b) {
  ADC_TODO("forward mode: constant - Dual");
}

Dual operator*(Dual a, Dual b) {
  ADC_TODO("forward mode: the product rule for Dual * Dual");
}

Dual operator*(Dual a, double b) {
  ADC_TODO("forward mode: Dual * constant");
}

Dual operator*(double a, Dual b) {
  ADC_TODO("forward mode: constant * Dual");
}

Dual operator/(Dual a, Dual b) {
  ADC_TODO("forward mode: the quotient rule for Dual / Dual");
}

Dual operator/(Dual a, double b) {
  ADC_TODO("forward mode: Dual / constant");
}

Dual operator/(double a, Dual b) {
  ADC_TODO("forward mode: constant / Dual");
}

Dual operator-(Dual a) {
  ADC_TODO("forward mode: negation");
}

Dual sin(Dual a) {
  ADC_TODO("forward mode: sin");
}

Dual cos(Dual a) {
  ADC_TODO("forward mode: cos");
}

Dual tan(Dual a) {
  ADC_TODO("forward mode: tan");
}

Dual exp(Dual a) {
  ADC_TODO("forward mode: exp");
}

Dual log(Dual a) {
  ADC_TODO("forward mode: log");
}

Dual sqrt(Dual a) {
  ADC_TODO("forward mode: sqrt");
}

Dual pow(Dual a, double p) {
  ADC_TODO("forward mode: pow with a constant exponent");
}

Dual pow(Dual a, Dual b) {
  ADC_TODO("forward mode: pow with a varying exponent");
}

Dual abs(Dual a) {
  ADC_TODO("forward mode: abs");
}

Dual tanh(Dual a) {
  ADC_TODO("forward mode: tanh");
}

Dual relu(Dual a) {
  ADC_TODO("forward mode: relu");
}

}  // namespace ad
