#pragma once
// Models of common mistakes: what a submission with one given mistake returns,
// so that the judge can name the mistake that explains a wrong answer.
//
// A rule of forward or reverse mode is a set of local partials (∂result/∂a,
// ∂result/∂b). A mistake in one rule changes those partials for every call of
// that rule; evaluating the case's expression with the changed rule (a dual
// number whose rule for one operation is altered) predicts the submission's
// gradient exactly, in forward and in reverse mode alike. The judge tries the
// rules the expression calls, one at a time: exact candidates first (swapped
// operands, the derivative of another function, the tangent factor left out,
// the other side of a kink), then a multiplier fitted to the partials (−1 is a
// wrong sign, 0 a missing term, 2 an extra factor, …), verified by evaluating
// with it. Sweep mistakes are reproduced on the reference's tape. Private to
// the judge (and to grader mutate, which shares the table of confusable
// functions).

#include <optional>
#include <string>
#include <vector>

#include "grader/expr.hpp"

namespace grader::mistakes {

using Vec = std::vector<double>;

/// How an operation is called: on one value, on two values, or with a constant on the right or left.
enum class Form { unary, vv, vc, cv };

/// One overload an expression calls, e.g. (mul, vc) for x1*2.
struct OpUse {
  ExprOp op = ExprOp::add;
  Form form = Form::unary;
};

/// "sin", "a * b", "a * constant", "constant / b", …: the rule as a student knows it.
std::string describe(OpUse use);

/// The overloads an expression calls, in order of first use (constants folded, c^x as exp(x·log c)).
std::vector<OpUse> op_uses(const Expression& f);

/// What abs and relu return as derivative at exactly 0.
enum class KinkRule {
  zero,   ///< 0 for both (the course's convention, ad/dual.hpp)
  left,   ///< the derivative from the left: relu'(0) = 0, abs'(0) = -1
  right,  ///< the derivative from the right: relu'(0) = 1, abs'(0) = 1
};

/// "zero", "left", "right" as written in specs; nullopt otherwise.
std::optional<KinkRule> parse_kink_rule(const std::string& text);

/// The function whose derivative a student plausibly writes instead of op's
/// (sin ↔ cos, tan ↔ tanh, exp ↔ log, sqrt → log, abs ↔ relu); op itself when none.
ExprOp confusable(ExprOp op);

/// The derivative of unary function op at u (abs and relu: the sign and the step, 0 at 0).
double derivative(ExprOp op, double u);

/// ∇f at p by forward mode with `rule` at kinks (exact up to rounding).
Vec gradient(const Expression& f, const Vec& p, KinkRule rule);

/// A named mistake: its words for the student, and its class.
struct Explanation {
  std::string text;  ///< e.g. "wrong sign in the rule for sin (its derivative is negated)"
  bool found = false;
};

/// Whether `got` is `model` up to the rounding a different order of operations
/// gives (loose: mistakes are wrong by far more).
bool matches(const Vec& got, const Vec& model, const Vec& want);

/// The mistake in one rule that turns the gradients of `fs` at p (concatenated,
/// as `want`) into `got`, or not found. `forward` allows the forward-only
/// mistake of leaving out the tangent factor (the chain rule).
Explanation explain_rule(const std::vector<Expression>& fs, const Vec& p, const Vec& got, const Vec& want,
                         bool forward, KinkRule rule);

/// Mistakes of the backward sweep.
enum class Sweep {
  overwrite,      ///< adjoint[a] = partial·adjoint[node]: a value used twice keeps one contribution
  no_adjoint,     ///< adjoint[a] += partial: without the node's adjoint
  forward_order,  ///< the nodes visited from the first to the output instead of backwards
  once_per_path,  ///< depth first from the output: a node pushes its adjoint once per path that reaches it
};

/// The gradient a sweep with `mistake` computes for f at p on the reference
/// tape; nullopt when the model is too expensive to run (once_per_path on a
/// graph with very many paths).
std::optional<Vec> sweep_gradient(const Expression& f, const Vec& p, Sweep mistake);

}  // namespace grader::mistakes
