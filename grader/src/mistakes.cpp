// Models of common mistakes in the rules of forward and reverse mode and in
// the backward sweep (see mistakes.hpp).
#include "mistakes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "ad/tape.hpp"

namespace grader::mistakes {

namespace {

/// One change to one rule.
struct Mistake {
  enum class Kind {
    none,
    scale_both,   ///< both partials times `factor`
    scale_a,      ///< the first (or only) partial times `factor`
    scale_b,      ///< the second partial times `factor`
    swap,         ///< the partials exchanged
    chainless_a,  ///< forward: the first operand's tangent left out of its term (d f(u) = f'(u))
    chainless_b,  ///< forward: the second operand's tangent left out of its term
    function,     ///< the derivative of `wrong` instead of op's
    formula,      ///< the partial `formula(u)` (a wrong term of a derivative that is a sum)
    kink,         ///< the rule `kink_rule` at exactly 0 instead of the case's
  };
  Kind kind = Kind::none;
  OpUse target;
  double factor = 1.0;
  ExprOp wrong = ExprOp::sin;
  double (*formula)(double) = nullptr;
  KinkRule kink_rule = KinkRule::zero;
};

/// The mistake and the kink convention of the evaluation in progress on this thread.
struct Context {
  Mistake mistake;
  KinkRule rule = KinkRule::zero;
  bool hit = false;  ///< the target rule was called
};
Context& context() {
  static thread_local Context c;
  return c;
}

/// A dual number whose rules follow the reference's, except for the one the context's mistake alters.
struct MD {
  double v = 0.0;
  double t = 0.0;
  MD() = default;
  MD(double value, double tangent = 0.0) : v(value), t(tangent) {}  // NOLINT: implicit, as ad::Dual
};

bool targets(const Mistake& m, ExprOp op, Form form) {
  return m.kind != Mistake::Kind::none && m.target.op == op && m.target.form == form;
}

/// The result of a rule with partials pa (on a) and pb (on b, when there is a b).
/// `skip_zero_b`: pow(a, b) leaves out the log term when b is constant (as the reference does).
MD apply(ExprOp op, Form form, double value, double pa, const MD& a, double pb = 0.0, const MD* b = nullptr,
         bool skip_zero_b = false) {
  Context& c = context();
  const Mistake& m = c.mistake;
  double ta = a.t, tb = b ? b->t : 0.0;
  if (targets(m, op, form)) {
    c.hit = true;
    switch (m.kind) {
      case Mistake::Kind::scale_both:
        pa *= m.factor;
        pb *= m.factor;
        break;
      case Mistake::Kind::scale_a: pa *= m.factor; break;
      case Mistake::Kind::scale_b: pb *= m.factor; break;
      case Mistake::Kind::swap: std::swap(pa, pb); break;
      case Mistake::Kind::chainless_a: ta = 1.0; break;
      case Mistake::Kind::chainless_b: tb = 1.0; break;
      case Mistake::Kind::function: pa = derivative(m.wrong, a.v); break;
      case Mistake::Kind::formula: pa = m.formula(a.v); break;
      case Mistake::Kind::kink:
      case Mistake::Kind::none: break;
    }
  }
  double t = pa * ta;
  if (b != nullptr && !(skip_zero_b && b->t == 0.0 && !(targets(m, op, form) && m.kind == Mistake::Kind::chainless_b)))
    t += pb * tb;
  return {value, t};
}

/// The derivative of abs or relu at exactly 0 under a rule.
double at_kink(ExprOp op, KinkRule rule) {
  if (rule == KinkRule::zero) return 0.0;
  if (op == ExprOp::relu) return rule == KinkRule::right ? 1.0 : 0.0;
  return rule == KinkRule::right ? 1.0 : -1.0;
}

/// abs and relu: the case's kink rule at 0, or the mistaken one.
double kink_partial(ExprOp op, double u) {
  if (u != 0.0) return derivative(op, u);
  const Context& c = context();
  KinkRule rule = c.rule;
  if (targets(c.mistake, op, Form::unary) && c.mistake.kind == Mistake::Kind::kink) rule = c.mistake.kink_rule;
  return at_kink(op, rule);
}

MD operator+(const MD& a, const MD& b) { return apply(ExprOp::add, Form::vv, a.v + b.v, 1.0, a, 1.0, &b); }
MD operator-(const MD& a, const MD& b) { return apply(ExprOp::sub, Form::vv, a.v - b.v, 1.0, a, -1.0, &b); }
MD operator*(const MD& a, const MD& b) { return apply(ExprOp::mul, Form::vv, a.v * b.v, b.v, a, a.v, &b); }
MD operator/(const MD& a, const MD& b) {
  const double q = a.v / b.v;
  return apply(ExprOp::div, Form::vv, q, 1.0 / b.v, a, -q / b.v, &b);
}
MD operator+(const MD& a, double c) { return apply(ExprOp::add, Form::vc, a.v + c, 1.0, a); }
MD operator-(const MD& a, double c) { return apply(ExprOp::sub, Form::vc, a.v - c, 1.0, a); }
MD operator*(const MD& a, double c) { return apply(ExprOp::mul, Form::vc, a.v * c, c, a); }
MD operator/(const MD& a, double c) { return apply(ExprOp::div, Form::vc, a.v / c, 1.0 / c, a); }
MD operator+(double c, const MD& b) { return apply(ExprOp::add, Form::cv, c + b.v, 1.0, b); }
MD operator-(double c, const MD& b) { return apply(ExprOp::sub, Form::cv, c - b.v, -1.0, b); }
MD operator*(double c, const MD& b) { return apply(ExprOp::mul, Form::cv, c * b.v, c, b); }
MD operator/(double c, const MD& b) {
  const double q = c / b.v;
  return apply(ExprOp::div, Form::cv, q, -q / b.v, b);
}
MD operator-(const MD& a) { return apply(ExprOp::neg, Form::unary, -a.v, -1.0, a); }
MD sin(const MD& a) { return apply(ExprOp::sin, Form::unary, std::sin(a.v), std::cos(a.v), a); }
MD cos(const MD& a) { return apply(ExprOp::cos, Form::unary, std::cos(a.v), -std::sin(a.v), a); }
MD tan(const MD& a) {
  const double t = std::tan(a.v);
  return apply(ExprOp::tan, Form::unary, t, 1.0 + t * t, a);
}
MD exp(const MD& a) { return apply(ExprOp::exp, Form::unary, std::exp(a.v), std::exp(a.v), a); }
MD log(const MD& a) { return apply(ExprOp::log, Form::unary, std::log(a.v), 1.0 / a.v, a); }
MD sqrt(const MD& a) {
  const double s = std::sqrt(a.v);
  return apply(ExprOp::sqrt, Form::unary, s, 0.5 / s, a);
}
MD tanh(const MD& a) {
  const double t = std::tanh(a.v);
  return apply(ExprOp::tanh, Form::unary, t, 1.0 - t * t, a);
}
MD abs(const MD& a) { return apply(ExprOp::abs, Form::unary, std::fabs(a.v), kink_partial(ExprOp::abs, a.v), a); }
MD relu(const MD& a) {
  return apply(ExprOp::relu, Form::unary, a.v > 0.0 ? a.v : 0.0, kink_partial(ExprOp::relu, a.v), a);
}
MD pow(const MD& a, double p) {
  return apply(ExprOp::pow, Form::vc, std::pow(a.v, p), p == 0.0 ? 0.0 : p * std::pow(a.v, p - 1.0), a);
}
MD pow(const MD& a, const MD& b) {
  const double v = std::pow(a.v, b.v);
  return apply(ExprOp::pow, Form::vv, v, b.v * std::pow(a.v, b.v - 1.0), a, v * std::log(a.v), &b, true);
}

/// The gradients of fs at p (concatenated) under `mistake`; `hit` tells whether the mistaken rule ran.
Vec evaluate(const std::vector<Expression>& fs, const Vec& p, const Mistake& mistake, KinkRule rule, bool* hit) {
  Context& c = context();
  c.mistake = mistake;
  c.rule = rule;
  c.hit = false;
  Vec out;
  std::vector<MD> x(p.size());
  for (const Expression& f : fs)
    for (std::size_t j = 0; j < p.size(); ++j) {
      for (std::size_t i = 0; i < p.size(); ++i) x[i] = MD(p[i], i == j ? 1.0 : 0.0);
      out.push_back(f.evaluate(x).t);
    }
  if (hit != nullptr) *hit = c.hit;
  c.mistake = Mistake{};
  return out;
}

/// "-1", "2", "1/2", … for a factor a student would recognise; "" otherwise.
std::string nice_factor(double a) {
  struct Nice {
    double value;
    const char* text;
  };
  static const Nice nice[] = {{2.0, "2"}, {0.5, "1/2"}, {-2.0, "-2"}, {-0.5, "-1/2"}, {3.0, "3"},
                              {1.0 / 3.0, "1/3"}, {4.0, "4"}, {0.25, "1/4"}, {-3.0, "-3"}, {-4.0, "-4"}};
  for (const Nice& n : nice)
    if (std::fabs(a - n.value) <= 1e-6 * std::fabs(n.value)) return n.text;
  return "";
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// What a fitted multiplier `a` on `which` partial of rule `use` means, in words.
/// `rank` tells how telling the reading is: 1 for a recognisable multiplier
/// (-1, 0, 2, …), 2 for any other.
std::string interpret(double a, OpUse use, Mistake::Kind which, int* rank) {
  *rank = 1;
  const std::string rule = "the rule for " + describe(use);
  const bool one_partial = use.form != Form::vv;
  const std::string part = which == Mistake::Kind::scale_a ? "the term of the first operand (∂/∂a)"
                                                           : "the term of the second operand (∂/∂b)";
  if (std::fabs(a + 1.0) <= 1e-6) {
    if (which == Mistake::Kind::scale_both || one_partial) return "wrong sign in " + rule + " (its derivative is negated)";
    return "wrong sign in " + rule + ": " + part + " is negated";
  }
  if (std::fabs(a) <= 1e-9) {
    if (which == Mistake::Kind::scale_both || one_partial) return rule + " gives a zero derivative (a missing term)";
    return "a missing term in " + rule + ": " + part + " is left out";
  }
  const std::string where = which == Mistake::Kind::scale_both || one_partial ? rule : part + " of " + rule;
  if (const std::string n = nice_factor(a); !n.empty())
    return "a missing or extra factor in " + where + ": it is off by a factor of " + n;
  *rank = 2;
  return "a wrong factor in " + where + ": it is off by a factor of " + short_number(a) + " here";
}

}  // namespace

std::string describe(OpUse use) {
  std::string sym = to_string(use.op);
  if (use.op == ExprOp::pow) {
    if (use.form == Form::vc) return "pow(a, constant)";
    return "pow(a, b)";
  }
  if (use.op == ExprOp::neg) return "unary minus";
  switch (use.form) {
    case Form::unary: return sym;
    case Form::vv: return "a " + sym + " b";
    case Form::vc: return "a " + sym + " constant";
    case Form::cv: return "constant " + sym + " b";
  }
  return sym;
}

std::vector<OpUse> op_uses(const Expression& f) {
  std::vector<OpUse> out;
  const auto add = [&](ExprOp op, Form form) {
    for (const OpUse& u : out)
      if (u.op == op && u.form == form) return;
    out.push_back({op, form});
  };
  const auto& nodes = f.nodes();
  const auto constant = [&](std::int32_t i) { return nodes[static_cast<std::size_t>(i)].op == ExprOp::constant; };
  for (const ExprNode& n : nodes) {
    switch (n.op) {
      case ExprOp::constant:
      case ExprOp::variable: break;
      case ExprOp::add:
      case ExprOp::sub:
      case ExprOp::mul:
      case ExprOp::div:
      case ExprOp::pow:
        if (constant(n.b)) {
          add(n.op, Form::vc);
        } else if (constant(n.a)) {
          if (n.op == ExprOp::pow) {  // c^x is exp(x * log c)
            add(ExprOp::mul, Form::vc);
            add(ExprOp::exp, Form::unary);
          } else {
            add(n.op, Form::cv);
          }
        } else {
          add(n.op, Form::vv);
        }
        break;
      default: add(n.op, Form::unary); break;
    }
  }
  return out;
}

std::optional<KinkRule> parse_kink_rule(const std::string& text) {
  if (text == "zero") return KinkRule::zero;
  if (text == "left") return KinkRule::left;
  if (text == "right") return KinkRule::right;
  return std::nullopt;
}

ExprOp confusable(ExprOp op) {
  switch (op) {
    case ExprOp::sin: return ExprOp::cos;
    case ExprOp::cos: return ExprOp::sin;
    case ExprOp::tan: return ExprOp::tanh;
    case ExprOp::tanh: return ExprOp::tan;
    case ExprOp::exp: return ExprOp::log;
    case ExprOp::log: return ExprOp::exp;
    case ExprOp::sqrt: return ExprOp::log;
    case ExprOp::abs: return ExprOp::relu;
    case ExprOp::relu: return ExprOp::abs;
    default: return op;
  }
}

double derivative(ExprOp op, double u) {
  switch (op) {
    case ExprOp::sin: return std::cos(u);
    case ExprOp::cos: return -std::sin(u);
    case ExprOp::tan: {
      const double t = std::tan(u);
      return 1.0 + t * t;
    }
    case ExprOp::tanh: {
      const double t = std::tanh(u);
      return 1.0 - t * t;
    }
    case ExprOp::exp: return std::exp(u);
    case ExprOp::log: return 1.0 / u;
    case ExprOp::sqrt: return 0.5 / std::sqrt(u);
    case ExprOp::abs: return u > 0.0 ? 1.0 : (u < 0.0 ? -1.0 : 0.0);
    case ExprOp::relu: return u > 0.0 ? 1.0 : 0.0;
    case ExprOp::neg: return -1.0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

Vec gradient(const Expression& f, const Vec& p, KinkRule rule) { return evaluate({f}, p, Mistake{}, rule, nullptr); }

bool matches(const Vec& got, const Vec& model, const Vec& want) {
  if (got.size() != model.size() || got.empty()) return false;
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i]) || !std::isfinite(model[i])) return false;
    const double w = i < want.size() ? std::fabs(want[i]) : 0.0;
    if (std::fabs(got[i] - model[i]) > 1e-8 * (std::fabs(model[i]) + w) + 1e-12 * scale + 1e-300) return false;
  }
  return true;
}

Explanation explain_rule(const std::vector<Expression>& fs, const Vec& p, const Vec& got, const Vec& want,
                         bool forward, KinkRule rule) {
  // Every rule the functions call, in order of first use.
  std::vector<OpUse> uses;
  for (const Expression& f : fs)
    for (const OpUse& u : op_uses(f))
      if (std::none_of(uses.begin(), uses.end(), [&](const OpUse& v) { return v.op == u.op && v.form == u.form; }))
        uses.push_back(u);
  // Each candidate that reproduces `got`: its words, and the rule it blames.
  struct Found {
    std::string text;  // the words, the rule named
    int rank;          // 0: an exact candidate, 1: a recognisable multiplier, 2: any multiplier
  };
  std::vector<Found> found;
  const auto try_model = [&](const Mistake& m, const std::string& pattern, int rank = 0) {
    bool hit = false;
    const Vec model = evaluate(fs, p, m, rule, &hit);
    if (hit && matches(got, model, want)) {
      std::string text = pattern;
      const auto at = text.find('%');
      if (at != std::string::npos) text.replace(at, 1, "the rule for " + describe(m.target));
      found.push_back({text, rank});
      return true;
    }
    return false;
  };
  for (const OpUse& use : uses) {
    Mistake m;
    m.target = use;
    // Exact candidates.
    // Swapping the partials of + changes nothing, and those of - is a sign flip: named as such below.
    if (use.form == Form::vv && use.op != ExprOp::add && use.op != ExprOp::sub && use.op != ExprOp::mul) {
      m.kind = Mistake::Kind::swap;
      if (try_model(m, "swapped operands in %: the partials of a and b are exchanged")) continue;
    }
    if (use.op == ExprOp::mul && use.form == Form::vv) {
      m.kind = Mistake::Kind::swap;  // d(ab) = b da + a db; swapped: a da + b db
      if (try_model(m, "swapped operands in %: it must be b·da + a·db")) continue;
    }
    // At a kink first: there abs and relu also look like each other's derivative.
    if (use.op == ExprOp::abs || use.op == ExprOp::relu) {
      m.kind = Mistake::Kind::kink;
      bool done = false;
      for (KinkRule k : {KinkRule::zero, KinkRule::left, KinkRule::right}) {
        if (k == rule) continue;
        m.kink_rule = k;
        const char* side = k == KinkRule::zero ? "0" : (k == KinkRule::left ? "the left derivative" : "the right derivative");
        if (try_model(m, std::string("wrong rule at a kink: at 0, % gives ") + side)) {
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    if (use.form == Form::unary && confusable(use.op) != use.op) {
      m.kind = Mistake::Kind::function;
      m.wrong = confusable(use.op);
      if (try_model(m, "wrong function in %: it uses the derivative of " + to_string(m.wrong))) continue;
    }
    if (forward) {
      m.kind = Mistake::Kind::chainless_a;
      if (use.form == Form::unary) {
        if (try_model(m, "missing chain-rule factor: % must multiply its derivative by the argument's tangent "
                         "(d f(u) = f'(u)·du)"))
          continue;
      } else if (try_model(m, "missing chain-rule factor in %: the term of the first operand lacks its tangent da")) {
        continue;
      }
      if (use.form == Form::vv) {
        m.kind = Mistake::Kind::chainless_b;
        if (try_model(m, "missing chain-rule factor in %: the term of the second operand lacks its tangent db"))
          continue;
      }
    }
    // Derivatives that are sums (1 + tan², 1 - tanh²): a term with the wrong sign, or left out.
    struct Formula {
      ExprOp op;
      double (*partial)(double);
      const char* text;
    };
    static const Formula formulas[] = {
        {ExprOp::tan, [](double u) { const double t = std::tan(u); return 1.0 - t * t; },
         "wrong sign of the tan² term in %: d tan(u) = (1 + tan² u) du"},
        {ExprOp::tan, [](double u) { const double t = std::tan(u); return t * t; },
         "a missing term in %: d tan(u) = (1 + tan² u) du, the 1 is missing"},
        {ExprOp::tan, [](double) { return 1.0; },
         "a missing factor or term in %: d tan(u) = (1 + tan² u) du, and the tangent passes through as if the "
         "factor (1 + tan² u), or its tan², were missing"},
        {ExprOp::tan, [](double u) { const double t = std::tan(u); return t * t - 1.0; },
         "wrong sign of the 1 in %: d tan(u) = (1 + tan² u) du"},
        {ExprOp::tanh, [](double u) { const double t = std::tanh(u); return 1.0 + t * t; },
         "wrong sign of the tanh² term in %: d tanh(u) = (1 - tanh² u) du"},
        {ExprOp::tanh, [](double u) { const double t = std::tanh(u); return -t * t; },
         "a missing term in %: d tanh(u) = (1 - tanh² u) du, the 1 is missing"},
        {ExprOp::tanh, [](double) { return 1.0; },
         "a missing factor or term in %: d tanh(u) = (1 - tanh² u) du, and the tangent passes through as if the "
         "factor (1 - tanh² u), or its tanh², were missing"},
        {ExprOp::tanh, [](double u) { const double t = std::tanh(u); return -1.0 - t * t; },
         "wrong sign of the 1 in %: d tanh(u) = (1 - tanh² u) du"},
        {ExprOp::abs, [](double) { return 1.0; },
         "a missing factor in %: d|u| = sign(u)·du, not du (abs treated as the identity)"},
    };
    bool formula_found = false;
    for (const Formula& f : formulas) {
      if (f.op != use.op || use.form != Form::unary) continue;
      m.kind = Mistake::Kind::formula;
      m.formula = f.partial;
      if (try_model(m, f.text)) {
        formula_found = true;
        break;
      }
    }
    if (formula_found) continue;
    // A multiplier on the partials: fit it (the gradient is linear in it when
    // the rule is called once), then verify by evaluating with it.
    std::vector<Mistake::Kind> fits = {Mistake::Kind::scale_both};
    if (use.form == Form::vv) fits = {Mistake::Kind::scale_both, Mistake::Kind::scale_a, Mistake::Kind::scale_b};
    for (Mistake::Kind kind : fits) {
      m.kind = kind;
      m.factor = 0.0;
      bool hit = false;
      const Vec g0 = evaluate(fs, p, m, rule, &hit);
      if (!hit) break;
      m.factor = 1.0;
      const Vec g1 = evaluate(fs, p, m, rule, nullptr);
      double num = 0.0, den = 0.0;
      for (std::size_t i = 0; i < g0.size() && i < got.size(); ++i) {
        const double d = g1[i] - g0[i];
        if (!std::isfinite(d) || !std::isfinite(got[i] - g0[i])) continue;
        num += (got[i] - g0[i]) * d;
        den += d * d;
      }
      if (!(den > 0.0)) continue;
      const double a = num / den;
      if (std::fabs(a - 1.0) <= 1e-9) continue;  // that is the right rule
      m.factor = a;
      const Mistake::Kind which = use.form == Form::vv ? kind : Mistake::Kind::scale_both;
      int rank = 2;
      const std::string reading = interpret(a, use, which, &rank);
      if (try_model(m, reading, rank)) break;
    }
  }
  Explanation e;
  if (found.empty()) return e;
  // The most telling explanation; others as telling are named with it (one
  // task may not tell two rules apart).
  int best = 3;
  for (const Found& f : found) best = std::min(best, f.rank);
  e.found = true;
  int named = 0;
  for (const Found& f : found) {
    if (f.rank != best || named == 3) continue;
    e.text += (named++ == 0 ? "" : "; or ") + f.text;
  }
  return e;
}

std::optional<Vec> sweep_gradient(const Expression& f, const Vec& p, Sweep mistake) {
  ad::Tape tape;
  std::vector<ad::Var> x;
  for (double v : p) x.push_back(tape.variable(v));
  const ad::Var y = f.evaluate(x, [&](double c) { return tape.variable(c); });
  const auto& nodes = tape.nodes();
  Vec adj(tape.size(), 0.0);
  adj[y.index()] = 1.0;
  const auto push = [&](std::uint32_t slot, double partial, double g) {
    if (slot == ad::Tape::no_operand) return;
    switch (mistake) {
      case Sweep::overwrite: adj[slot] = partial * g; break;
      case Sweep::no_adjoint: adj[slot] += partial; break;
      case Sweep::forward_order:
      case Sweep::once_per_path: adj[slot] += partial * g; break;
    }
  };
  switch (mistake) {
    case Sweep::overwrite:
    case Sweep::no_adjoint:
      for (std::size_t i = y.index() + 1; i-- > 0;) {
        const double g = adj[i];
        if (g == 0.0) continue;  // as the sweep it imitates: nothing to pass on
        push(nodes[i].a, nodes[i].da, g);
        push(nodes[i].b, nodes[i].db, g);
      }
      break;
    case Sweep::forward_order:
      for (std::size_t i = 0; i <= y.index(); ++i) {
        const double g = adj[i];
        if (g == 0.0) continue;
        push(nodes[i].a, nodes[i].da, g);
        push(nodes[i].b, nodes[i].db, g);
      }
      break;
    case Sweep::once_per_path: {
      // Depth first with a stack, as a student writes it: every pop passes the
      // node's adjoint as it is then, so a node reached twice passes it twice.
      std::vector<std::uint32_t> stack{y.index()};
      std::size_t pops = 0;
      while (!stack.empty()) {
        if (++pops > 1000000) return std::nullopt;
        const std::uint32_t i = stack.back();
        stack.pop_back();
        const auto& n = nodes[i];
        const double g = adj[i];
        if (n.a != ad::Tape::no_operand) {
          push(n.a, n.da, g);
          stack.push_back(n.a);
        }
        if (n.b != ad::Tape::no_operand) {
          push(n.b, n.db, g);
          stack.push_back(n.b);
        }
      }
      break;
    }
  }
  Vec grad;
  for (const auto& xi : x) grad.push_back(adj[xi.index()]);
  return grad;
}

}  // namespace grader::mistakes
