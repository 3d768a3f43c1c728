#pragma once
/// \file Scalar functions written as text in problem specs, e.g.
/// `log(x1) + x1*x2 - sin(x2)`.
///
/// Parsing is ordinary compiled code (expr.cpp); evaluation is a template, so
/// one parsed Expression runs on plain doubles (the judge), on the reference's
/// ad::Dual / ad::Var and on a submission's own number types (the probe).
/// This header therefore includes nothing but the standard library: the probe
/// is compiled against each student's headers and must not see ad/ or
/// nlohmann.
///
/// Grammar (whitespace ignored; `**` is a synonym of `^`):
///
///     sum     := product (('+' | '-') product)*
///     product := unary (('*' | '/') unary)*
///     unary   := '-' unary | power
///     power   := primary (('^' | '**') unary)?        right-associative
///     primary := number | variable | '(' sum ')'
///              | f '(' sum ')'       f in sin cos tan exp log sqrt abs tanh relu
///              | 'pow' '(' sum ',' sum ')'
///
/// So `2^3^2` = 2^(3^2) = 512, `-2^2` = -(2^2) = -4, `2^-1` = 0.5. Numbers have
/// no sign (unary minus is an operator) and must be finite doubles.
///
/// Evaluation rules. Every subexpression without variables is folded to one
/// double at parse time, with the same double operations evaluation uses; a
/// folded constant that is not finite (`1/0`, `log(0)`) is a parse error.
/// Then, so that a submission's mixed overloads are exercised and no number
/// is ever built from a constant where avoidable:
/// - `a op b` calls `T op T` when both sides depend on a variable, `T op double`
///   or `double op T` when one side is a constant (`x1*2` → operator*(T, double),
///   `1/x1` → operator/(double, T)); unary minus calls `-T`.
/// - `x^c` calls pow(T, double); `x^y` calls pow(T, T); `c^x` is computed as
///   exp(x * log(c)), i.e. exp(T * double), and needs c > 0 (checked when
///   parsing). `pow(a, b)` is the same as `a^b`.
/// - Functions are called unqualified after `using std::sin;` etc., so argument-
///   dependent lookup finds ad::sin(Dual), a student's sin(MyDual) and std::sin
///   for double. On double, abs is std::fabs and relu(v) is v > 0 ? v : 0
///   (relu'(0) = 0, as in ad/dual.hpp).
/// - A repeated subexpression that depends on a variable is one node: it is
///   computed once and its value used wherever it appears (`x1*x2` in
///   `exp(x1*x2) * (1 + exp(x1*x2))`), so a tape holds shared interior nodes.
/// - make_constant(c) is called only when the whole expression is a constant,
///   for types such as ad::Var that cannot be built from a double without a tape.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace grader {

/// What one node of an expression computes.
enum class ExprOp : std::uint8_t {
  constant, variable,
  add, sub, mul, div, neg, pow,
  sin, cos, tan, exp, log, sqrt, abs, tanh, relu
};

/// A short name for feedback: "+", "-", "*", "/", "unary -", "pow", "sin", …;
/// "constant" and "variable" for leaves.
std::string to_string(ExprOp op);

/// One node of a parsed expression. Operands always precede their node.
struct ExprNode {
  ExprOp op = ExprOp::constant;  ///< what the node computes
  std::int32_t a = -1;           ///< first operand's node index (unary and binary ops), else -1
  std::int32_t b = -1;           ///< second operand's node index (binary ops), else -1
  double value = 0.0;            ///< the value of a constant node
  std::int32_t var = -1;         ///< the variable's index (0-based) of a variable node, else -1
};

/// A parsed scalar function of `arity()` variables, ready to evaluate with any
/// number type.
class Expression {
 public:
  /// The constant 0 of no variables (so that specs holding one can be default-constructed).
  Expression();

  /// Parses `text`. When `variables` is empty the variables are x1, x2, … and
  /// the arity is the largest index used (unused ones are allowed); otherwise
  /// they are exactly the names listed, in that order. Throws GraderError whose
  /// message quotes the expression, names the column and what was expected,
  /// e.g. `expression "log(x1 + )": expected an operand at column 10`.
  /// Nesting (parentheses, calls, unary minus, chained ^) is limited to
  /// max_depth levels so that parsing cannot overflow the stack.
  static Expression parse(const std::string& text, const std::vector<std::string>& variables = {});

  /// The deepest nesting parse accepts.
  static constexpr std::size_t max_depth = 200;

  std::size_t arity() const { return variable_names_.size(); }                          ///< number of variables
  const std::string& text() const { return text_; }                                     ///< the text parsed
  const std::vector<std::string>& variable_names() const { return variable_names_; }    ///< x1… or the names given
  /// The nodes in postfix (topological) order; the last one is the root.
  const std::vector<ExprNode>& nodes() const { return nodes_; }
  /// True when the expression folded to one constant.
  bool is_constant() const { return nodes_.back().op == ExprOp::constant; }
  /// The distinct operations evaluation performs, in ExprOp order, without
  /// constant and variable (for feedback such as "this function uses sin and
  /// pow"). Folded parts are gone: `sin(2)*x1` uses mul only.
  std::vector<ExprOp> operations() const;

  /// Evaluates at `x` (x.size() must equal arity(), else std::invalid_argument)
  /// with the rules of the file comment; make_constant(double) → T is called
  /// only when the whole expression is a constant. A loop, never recursion.
  template <class T, class MakeConstant>
  T evaluate(const std::vector<T>& x, MakeConstant&& make_constant) const;

  /// evaluate with T(c) as make_constant (for T constructible from double).
  template <class T>
  T evaluate(const std::vector<T>& x) const {
    return evaluate(x, [](double c) { return T(c); });
  }

 private:
  std::string text_;
  std::vector<std::string> variable_names_;
  std::vector<ExprNode> nodes_;
  /// For each node, its place among the values evaluation keeps (constants have
  /// none: they are passed as doubles), else -1.
  std::vector<std::int32_t> slots_;
  std::size_t slot_count_ = 0;
};

namespace detail {

/// |v| on double: std::fabs.
inline double abs_of(double v) { return std::fabs(v); }
/// |v| on other types: their own abs, found by argument-dependent lookup.
template <class T>
T abs_of(const T& v) {
  return abs(v);
}

/// max(v, 0) on double, with relu'(0) = 0 as convention (matters only to AD types).
inline double relu_of(double v) { return v > 0.0 ? v : 0.0; }
/// relu on other types: their own relu, found by argument-dependent lookup.
template <class T>
T relu_of(const T& v) {
  return relu(v);
}

/// A unary operation (neg or a function) on a variable-dependent value.
template <class T>
T apply_unary(ExprOp op, const T& v) {
  using std::cos;
  using std::exp;
  using std::log;
  using std::sin;
  using std::sqrt;
  using std::tan;
  using std::tanh;
  switch (op) {
    case ExprOp::neg: return -v;
    case ExprOp::sin: return sin(v);
    case ExprOp::cos: return cos(v);
    case ExprOp::tan: return tan(v);
    case ExprOp::exp: return exp(v);
    case ExprOp::log: return log(v);
    case ExprOp::sqrt: return sqrt(v);
    case ExprOp::abs: return abs_of(v);
    case ExprOp::tanh: return tanh(v);
    case ExprOp::relu: return relu_of(v);
    default: break;
  }
  throw std::logic_error("grader::detail::apply_unary: not a unary operation: " + to_string(op));
}

/// A binary operation on two variable-dependent values: T op T, pow(T, T).
/// With T = double it is also how constants are folded.
template <class T>
T combine_vv(ExprOp op, const T& a, const T& b) {
  using std::pow;
  switch (op) {
    case ExprOp::add: return a + b;
    case ExprOp::sub: return a - b;
    case ExprOp::mul: return a * b;
    case ExprOp::div: return a / b;
    case ExprOp::pow: return pow(a, b);
    default: break;
  }
  throw std::logic_error("grader::detail::combine_vv: not a binary operation: " + to_string(op));
}

/// A binary operation with a constant right side: T op double, pow(T, double).
template <class T>
T combine_vc(ExprOp op, const T& a, double c) {
  using std::pow;
  switch (op) {
    case ExprOp::add: return a + c;
    case ExprOp::sub: return a - c;
    case ExprOp::mul: return a * c;
    case ExprOp::div: return a / c;
    case ExprOp::pow: return pow(a, c);
    default: break;
  }
  throw std::logic_error("grader::detail::combine_vc: not a binary operation: " + to_string(op));
}

/// A binary operation with a constant left side: double op T; c^b is
/// exp(b * log(c)) because few number types offer pow(double, T) (parse
/// guarantees c > 0).
template <class T>
T combine_cv(ExprOp op, double c, const T& b) {
  using std::exp;
  switch (op) {
    case ExprOp::add: return c + b;
    case ExprOp::sub: return c - b;
    case ExprOp::mul: return c * b;
    case ExprOp::div: return c / b;
    case ExprOp::pow: return exp(b * std::log(c));
    default: break;
  }
  throw std::logic_error("grader::detail::combine_cv: not a binary operation: " + to_string(op));
}

/// "expected N values (x1, x2), got M": the message of a wrong-size input.
std::string arity_mismatch_message(const Expression& expression, std::size_t got);

}  // namespace detail

template <class T, class MakeConstant>
T Expression::evaluate(const std::vector<T>& x, MakeConstant&& make_constant) const {
  if (x.size() != arity()) throw std::invalid_argument(detail::arity_mismatch_message(*this, x.size()));
  if (is_constant()) return std::forward<MakeConstant>(make_constant)(nodes_.back().value);

  // Only variable-dependent nodes get a value of type T; constant operands
  // stay doubles so that the mixed overloads T op double are the ones called.
  std::vector<T> values;
  values.reserve(slot_count_);
  const auto value_of_node = [&](std::int32_t node) -> const T& {
    return values[static_cast<std::size_t>(slots_[static_cast<std::size_t>(node)])];
  };
  const auto is_constant_node = [&](std::int32_t node) {
    return nodes_[static_cast<std::size_t>(node)].op == ExprOp::constant;
  };
  for (const ExprNode& n : nodes_) {
    switch (n.op) {
      case ExprOp::constant:
        break;
      case ExprOp::variable:
        values.push_back(x[static_cast<std::size_t>(n.var)]);
        break;
      case ExprOp::add:
      case ExprOp::sub:
      case ExprOp::mul:
      case ExprOp::div:
      case ExprOp::pow:
        if (is_constant_node(n.b)) {
          values.push_back(detail::combine_vc(n.op, value_of_node(n.a), nodes_[static_cast<std::size_t>(n.b)].value));
        } else if (is_constant_node(n.a)) {
          values.push_back(detail::combine_cv(n.op, nodes_[static_cast<std::size_t>(n.a)].value, value_of_node(n.b)));
        } else {
          values.push_back(detail::combine_vv(n.op, value_of_node(n.a), value_of_node(n.b)));
        }
        break;
      default:
        values.push_back(detail::apply_unary(n.op, value_of_node(n.a)));
        break;
    }
  }
  return std::move(values.back());
}

}  // namespace grader
