#pragma once
/// \file Finite differences chosen per input, with an estimate of their own error.
///
/// The independent oracle of the judge. A derivative is estimated by Ridders'
/// method: central differences with steps shrinking by halves from an initial
/// step scaled to the input, extrapolated in a Neville tableau (Richardson:
/// each column cancels the next even power of h), keeping the entry whose
/// estimated error is smallest. The estimate of the error (the change between
/// neighbouring extrapolations, and the rounding error of the function values
/// divided by the step) travels with the value, so every comparison against
/// finite differences gets a tolerance that follows from it.
///
/// For expressions the initial step also keeps clear of the points where a
/// difference would be meaningless: kinks (abs and relu at 0) and domain
/// boundaries and poles (a denominator, log, sqrt or a pow base at 0, tan at
/// cos = 0). The same analysis tells spec validation when a chosen point sits
/// exactly on a kink.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "grader/expr.hpp"

namespace grader {

/// A derivative estimated by finite differences.
struct FdEstimate {
  double value = 0.0;  ///< the estimate
  double error = 0.0;  ///< estimated absolute error of `value` (extrapolation and rounding)
  bool ok = false;     ///< false when no step gave finite values, or the point sits on a kink or a boundary
};

/// g'(0) by Ridders' method, starting from step `initial_step` (> 0) and
/// halving it up to 30 times; a step where g(±h) is not finite is shrunk by
/// 10 first (a domain boundary within reach). `position` is the magnitude of
/// the point g's argument is added to: x + h rounds, which the error
/// estimate accounts for.
FdEstimate ridders_derivative(const std::function<double(double)>& g, double initial_step, double position = 0.0);

/// The directional derivative of f at p along v, the initial step scaled to
/// the magnitude of p and v (for functions of many inputs: the cost does not
/// depend on their number).
FdEstimate fd_directional(const std::function<double(const std::vector<double>&)>& f, const std::vector<double>& p,
                          const std::vector<double>& v);

/// What makes a finite difference meaningless near a point of an expression.
struct Critical {
  enum class Kind {
    kink,      ///< abs or relu of an argument at 0: the derivative jumps
    boundary,  ///< a denominator, log, sqrt or pow base at 0, or tan at a pole
  };
  Kind kind = Kind::kink;
  ExprOp op = ExprOp::abs;        ///< the operation (abs, relu, div, log, sqrt, pow, tan)
  double value = 0.0;             ///< the quantity that must stay away from 0 (the argument; cos u for tan)
  std::vector<double> gradient;   ///< its gradient with respect to the variables
};

/// Every critical quantity an evaluation of f at p meets, in evaluation order.
std::vector<Critical> critical_points(const Expression& f, const std::vector<double>& p);

/// The first kink (abs or relu argument exactly 0) an evaluation of f at p
/// meets, described for a spec author ("the argument of relu is 0"), or "".
std::string kink_at(const Expression& f, const std::vector<double>& p);

/// ∂f/∂x_j for every j by Ridders' method, each from an initial step scaled to
/// |p_j| and kept at most half the way to the nearest kink or boundary (to
/// first order). An entry whose point sits on a kink or boundary is not ok.
std::vector<FdEstimate> fd_gradient(const Expression& f, const std::vector<double>& p);

}  // namespace grader
