// The judge: oracles (finite differences on the true function, the reference
// AD), tolerances, diagnosis of known mistakes, points.
#include "grader/judge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/jacobian.hpp"
#include "ad/network.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"
#include "grader/expr.hpp"

namespace grader {

namespace {

using protocol::Task;
using protocol::TaskKind;
using Vec = std::vector<double>;

std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string sci(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

bool close(double got, double want, const Tolerance& tol) {
  if (!std::isfinite(got)) return false;  // NaN and Infinity never pass
  return std::fabs(got - want) <= tol.absolute + tol.relative * std::fabs(want);
}

/// The first entry that is out of tolerance, the worst one by relative error.
struct Mismatch {
  std::size_t index = 0;
  double want = 0.0;
  double got = 0.0;
};

std::optional<Mismatch> worst_mismatch(const Vec& got, const Vec& want, const Tolerance& tol) {
  std::optional<Mismatch> worst;
  double worst_err = -1.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (close(got[i], want[i], tol)) continue;
    const double err = std::isfinite(got[i])
                           ? std::fabs(got[i] - want[i]) / (tol.absolute + tol.relative * std::fabs(want[i]))
                           : std::numeric_limits<double>::infinity();
    if (err > worst_err) {
      worst_err = err;
      worst = Mismatch{i, want[i], got[i]};
    }
  }
  return worst;
}

bool all_close(const Vec& got, const Vec& want, const Tolerance& tol) {
  return got.size() == want.size() && !worst_mismatch(got, want, tol);
}

std::string mismatch_text(const std::string& entry, const Mismatch& m) {
  std::string s = entry + ": expected " + num(m.want) + ", got " + num(m.got);
  if (std::isfinite(m.got)) {
    const double abs_err = std::fabs(m.got - m.want);
    s += " (absolute error " + sci(abs_err);
    if (m.want != 0.0) s += ", relative error " + sci(abs_err / std::fabs(m.want));
    s += ")";
  } else {
    s += " (NaN and Infinity never pass)";
  }
  return s;
}

/// Finite differences accurate enough to tell an approximation from an exact derivative.
constexpr Tolerance fd_tolerance{1e-5, 1e-7};

/// Which of a few common wrong answers `got` matches (empty when none).
std::string generic_diagnosis(const Vec& got, const Vec& want, const Tolerance& tol) {
  if (got.size() != want.size() || want.empty()) return "";
  bool any_nonzero = false;
  for (double w : want) any_nonzero = any_nonzero || std::fabs(w) > tol.absolute;
  if (!any_nonzero) return "";
  Vec neg(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) neg[i] = -want[i];
  if (all_close(got, neg, tol)) return "wrong sign: every entry is the negative of the right one";
  bool all_zero = true;
  for (double g : got) all_zero = all_zero && g == 0.0;
  if (all_zero) return "the result is all zeros: nothing was propagated (a rule that drops the tangent/adjoint?)";
  // A constant factor: got = c·want for one c != 1. With fewer than two
  // nonzero entries any wrong value is "a factor", which says nothing.
  std::size_t nonzero = 0;
  for (double w : want) nonzero += std::fabs(w) > tol.absolute ? 1 : 0;
  std::size_t k = 0;
  while (k < want.size() && std::fabs(want[k]) <= tol.absolute) ++k;
  if (nonzero >= 2 && k < want.size() && std::isfinite(got[k])) {
    const double c = got[k] / want[k];
    Vec scaled(want.size());
    for (std::size_t i = 0; i < want.size(); ++i) scaled[i] = c * want[i];
    if (std::fabs(c - 1.0) > 1e-6 && c != 0.0 && all_close(got, scaled, tol))
      return "every entry is off by the same factor " + num(c) + ": a missing or extra factor (e.g. of 2, or a missing 1/n)";
  }
  return "";
}

// ---------------------------------------------------------------- expressions

std::vector<std::string> variable_names(const Task& t) {
  if (!t.variables.empty()) return t.variables;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < t.point.size(); ++i) names.push_back("x" + std::to_string(i + 1));
  return names;
}

std::vector<Expression> parse_functions(const Task& t) {
  std::vector<Expression> fs;
  const auto names = variable_names(t);
  for (const auto& text : t.functions) fs.push_back(Expression::parse(text, names));
  return fs;
}

/// The reference gradient by forward mode: exact up to rounding.
Vec reference_gradient(const Expression& f, const Vec& p) {
  Vec g(p.size());
  std::vector<ad::Dual> x(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (std::size_t i = 0; i < p.size(); ++i) x[i] = ad::Dual(p[i], i == j ? 1.0 : 0.0);
    g[j] = f.evaluate(x).tangent;
  }
  return g;
}

/// Central differences of f along coordinate j with a step scaled to |x_j|.
/// The step cbrt(eps)·max(1, |x_j|) balances truncation (h²) against rounding
/// (eps/h) for the central formula; the result is good to ~1e-10 relative on
/// smooth functions, far coarser than AD, which is the point of the check.
Vec fd_gradient(const Expression& f, const Vec& p) {
  Vec g(p.size());
  Vec x = p;
  for (std::size_t j = 0; j < p.size(); ++j) {
    const double h = std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, std::fabs(p[j]));
    x[j] = p[j] + h;
    const double fp = f.evaluate(x);
    x[j] = p[j] - h;
    const double fm = f.evaluate(x);
    x[j] = p[j];
    g[j] = (fp - fm) / (2.0 * h);
  }
  return g;
}

/// A dual number whose rule for one unary function forgets the chain rule:
/// it returns f'(u) as the tangent instead of f'(u)·u', the classic mistake.
/// Evaluating a spec's expression with it predicts what such a submission
/// returns, so the judge can name the function.
struct ChainlessDual {
  double value = 0.0;
  double tangent = 0.0;
  ChainlessDual() = default;
  ChainlessDual(double v, double t = 0.0) : value(v), tangent(t) {}  // NOLINT: implicit, as ad::Dual
  static ExprOp& broken() {
    static thread_local ExprOp op = ExprOp::sin;
    return op;
  }
  /// The unary rule: derivative d at value v, for operation op.
  static ChainlessDual unary(ExprOp op, double v, double d, const ChainlessDual& a) {
    return {v, broken() == op ? d : d * a.tangent};
  }
};
ChainlessDual operator+(const ChainlessDual& a, const ChainlessDual& b) { return {a.value + b.value, a.tangent + b.tangent}; }
ChainlessDual operator-(const ChainlessDual& a, const ChainlessDual& b) { return {a.value - b.value, a.tangent - b.tangent}; }
ChainlessDual operator*(const ChainlessDual& a, const ChainlessDual& b) {
  return {a.value * b.value, a.tangent * b.value + a.value * b.tangent};
}
ChainlessDual operator/(const ChainlessDual& a, const ChainlessDual& b) {
  const double q = a.value / b.value;
  return {q, (a.tangent - q * b.tangent) / b.value};
}
ChainlessDual operator-(const ChainlessDual& a) { return {-a.value, -a.tangent}; }
ChainlessDual sin(const ChainlessDual& a) { return ChainlessDual::unary(ExprOp::sin, std::sin(a.value), std::cos(a.value), a); }
ChainlessDual cos(const ChainlessDual& a) { return ChainlessDual::unary(ExprOp::cos, std::cos(a.value), -std::sin(a.value), a); }
ChainlessDual tan(const ChainlessDual& a) {
  const double t = std::tan(a.value);
  return ChainlessDual::unary(ExprOp::tan, t, 1.0 + t * t, a);
}
ChainlessDual exp(const ChainlessDual& a) { return ChainlessDual::unary(ExprOp::exp, std::exp(a.value), std::exp(a.value), a); }
ChainlessDual log(const ChainlessDual& a) { return ChainlessDual::unary(ExprOp::log, std::log(a.value), 1.0 / a.value, a); }
ChainlessDual sqrt(const ChainlessDual& a) {
  const double r = std::sqrt(a.value);
  return ChainlessDual::unary(ExprOp::sqrt, r, 0.5 / r, a);
}
ChainlessDual tanh(const ChainlessDual& a) {
  const double t = std::tanh(a.value);
  return ChainlessDual::unary(ExprOp::tanh, t, 1.0 - t * t, a);
}
ChainlessDual abs(const ChainlessDual& a) {
  return ChainlessDual::unary(ExprOp::abs, std::fabs(a.value), a.value > 0 ? 1.0 : (a.value < 0 ? -1.0 : 0.0), a);
}
ChainlessDual relu(const ChainlessDual& a) {
  return ChainlessDual::unary(ExprOp::relu, a.value > 0 ? a.value : 0.0, a.value > 0 ? 1.0 : 0.0, a);
}
ChainlessDual pow(const ChainlessDual& a, const ChainlessDual& b) {
  const double v = std::pow(a.value, b.value);
  double t = b.value * std::pow(a.value, b.value - 1.0) * a.tangent;
  if (b.tangent != 0.0) t += v * std::log(a.value) * b.tangent;
  return {v, t};
}
ChainlessDual pow(const ChainlessDual& a, double p) {
  return ChainlessDual::unary(ExprOp::pow, std::pow(a.value, p), p == 0.0 ? 0.0 : p * std::pow(a.value, p - 1.0), a);
}

/// The unary function whose rule, without the chain factor, explains `got`; or "".
std::string chainless_function(const Expression& f, const Vec& p, const Vec& got, const Tolerance& tol) {
  for (ExprOp op : f.operations()) {
    if (op == ExprOp::add || op == ExprOp::sub || op == ExprOp::mul || op == ExprOp::div || op == ExprOp::neg)
      continue;
    ChainlessDual::broken() = op;
    Vec g(p.size());
    std::vector<ChainlessDual> x(p.size());
    for (std::size_t j = 0; j < p.size(); ++j) {
      for (std::size_t i = 0; i < p.size(); ++i) x[i] = ChainlessDual(p[i], i == j ? 1.0 : 0.0);
      g[j] = f.evaluate(x).tangent;
    }
    if (all_close(got, g, tol)) return to_string(op);
  }
  return "";
}

/// Two classic mistakes of the backward sweep, reproduced on the reference tape.
enum class SweepMistake {
  overwrite,   ///< adjoint[a] = da * adjoint[node]: a value used twice keeps one contribution
  no_adjoint,  ///< adjoint[a] += da: the local partial alone, without the node's adjoint
};

/// The gradient a sweep with `mistake` computes for f at p: what a submission
/// with that mistake returns, so the judge can name it.
Vec mistaken_sweep_gradient(const Expression& f, const Vec& p, SweepMistake mistake) {
  ad::Tape tape;
  std::vector<ad::Var> x;
  for (double v : p) x.push_back(tape.variable(v));
  const ad::Var y = f.evaluate(x, [&](double c) { return tape.variable(c); });
  Vec adj(tape.size(), 0.0);
  adj[y.index()] = 1.0;
  const auto& nodes = tape.nodes();
  for (std::size_t i = y.index() + 1; i-- > 0;) {
    const double g = adj[i];
    if (g == 0.0) continue;  // as the sweep it imitates: nothing to pass on
    const auto& n = nodes[i];
    for (const auto& [slot, partial] : {std::pair{n.a, n.da}, std::pair{n.b, n.db}}) {
      if (slot == ad::Tape::no_operand) continue;
      if (mistake == SweepMistake::overwrite) adj[slot] = partial * g;
      else adj[slot] += partial;
    }
  }
  Vec grad;
  for (const auto& xi : x) grad.push_back(adj[xi.index()]);
  return grad;
}

std::string gradient_entry(const Task& t, std::size_t j) {
  return "∂f/∂" + variable_names(t)[j];
}

/// Judges a gradient against the reference, then explains a failure.
/// `fd` (finite differences, may be null) tells an approximation from a plain mistake.
TaskVerdict judge_gradient(const Task& t, const std::string& label, const Vec& got, const Vec& want, const Vec* fd,
                           const Tolerance& tol, const std::string& what) {
  TaskVerdict v;
  const auto m = worst_mismatch(got, want, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": " + what + mismatch_text(gradient_entry(t, m->index), *m);
  if (fd != nullptr) v.message += "; finite differences give " + num((*fd)[m->index]);
  if (fd != nullptr && all_close(got, *fd, fd_tolerance) && std::isfinite(m->got)) {
    v.message += "; it matches finite differences only to about " + sci(std::fabs(m->got - m->want)) +
                 ", not to the precision of AD";
    v.diagnosis = "an approximation (finite differences?) instead of the exact derivative rule";
  } else {
    v.diagnosis = generic_diagnosis(got, want, tol);
  }
  return v;
}

TaskVerdict judge_forward_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const Expression f = parse_functions(t).at(0);
  const double value = f.evaluate(t.point);
  const Vec want = reference_gradient(f, t.point);
  TaskVerdict v;
  if (!close(got[0], value, tol)) {
    v.message = label + ": the value f = " + num(got[0]) + " is wrong, expected " + num(value) +
                " (the primal part of a rule is off)";
    return v;
  }
  const Vec grad(got.begin() + 1, got.end());
  const Vec fd = fd_gradient(f, t.point);
  v = judge_gradient(t, label, grad, want, &fd, tol, "");
  if (!v.passed) {
    if (const std::string op = chainless_function(f, t.point, grad, tol); !op.empty())
      v.diagnosis = "missing chain-rule factor: the rule for " + op +
                    " must multiply its derivative by the argument's tangent (d f(u) = f'(u)·du)";
  }
  return v;
}

TaskVerdict judge_reverse_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const Expression f = parse_functions(t).at(0);
  const std::size_t n = t.point.size();
  const double value = f.evaluate(t.point);
  const Vec want = reference_gradient(f, t.point);
  TaskVerdict v;
  if (!close(got[0], value, tol)) {
    v.message = label + ": the value f = " + num(got[0]) + " is wrong, expected " + num(value) +
                " (the primal part of a recorded operation is off)";
    return v;
  }
  const Vec first(got.begin() + 1, got.begin() + 1 + static_cast<std::ptrdiff_t>(n));
  const Vec second(got.begin() + 1 + static_cast<std::ptrdiff_t>(n), got.begin() + 1 + 2 * static_cast<std::ptrdiff_t>(n));
  const Vec third(got.begin() + 1 + 2 * static_cast<std::ptrdiff_t>(n), got.end());
  const Vec fd = fd_gradient(f, t.point);
  v = judge_gradient(t, label, first, want, &fd, tol, "");
  if (!v.passed) {
    // The overwriting sweep is the more specific explanation: it predicts every entry exactly.
    if (all_close(first, mistaken_sweep_gradient(f, t.point, SweepMistake::overwrite), tol))
      v.diagnosis = "missing accumulation: a value used more than once keeps only one contribution; add into adjoints "
                    "with += instead of =";
    else if (all_close(first, mistaken_sweep_gradient(f, t.point, SweepMistake::no_adjoint), tol))
      v.diagnosis = "missing chain-rule factor in the sweep: add the local partial times the node's adjoint "
                    "(adjoint[a] += da * adjoint[node]), not the partial alone";
    return v;
  }
  v = judge_gradient(t, label, second, want, nullptr, tol, "calling backward() a second time on the same tape gives ");
  if (!v.passed) {
    v.diagnosis = "gradient not reset: backward() must set every adjoint to 0 before the sweep (the second sweep "
                  "added to what the first left behind)";
    return v;
  }
  v = judge_gradient(t, label, third, want, nullptr, tol, "after Tape::clear() and recording again, ");
  if (!v.passed) v.diagnosis = "state left over from an earlier recording; reset the adjoints at the start of backward()";
  return v;
}

TaskVerdict judge_jacobian(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const std::vector<Expression> fs = parse_functions(t);
  const std::size_t n = t.point.size(), m = fs.size();
  Vec want, fd;
  for (const Expression& f : fs) {
    const Vec g = reference_gradient(f, t.point);
    const Vec d = fd_gradient(f, t.point);
    want.insert(want.end(), g.begin(), g.end());
    fd.insert(fd.end(), d.begin(), d.end());
  }
  TaskVerdict v;
  const auto mm = worst_mismatch(got, want, tol);
  if (!mm) {
    v.passed = true;
    return v;
  }
  const auto names = variable_names(t);
  v.message = label + ": " +
              mismatch_text("∂f" + std::to_string(mm->index / n + 1) + "/∂" + names[mm->index % n], *mm);
  if (all_close(got, fd, fd_tolerance)) {
    v.diagnosis = "an approximation (finite differences?) instead of the exact derivative rule";
  } else if (m == n) {
    Vec transposed(want.size());
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) transposed[j * m + i] = want[i * n + j];
    if (all_close(got, transposed, tol)) v.diagnosis = "rows and columns swapped: row i must be the gradient of output i";
  }
  if (v.diagnosis.empty()) v.diagnosis = generic_diagnosis(got, want, tol);
  return v;
}

// ---------------------------------------------------------------- tensors

ad::Matrix to_matrix(const protocol::MatrixData& m) { return ad::Matrix(m.rows, m.cols, m.values); }

/// Judges one output block of a VJP (dx after the call, which started at `before`).
TaskVerdict judge_block(const std::string& label, const std::string& name, const ad::Matrix& before,
                        const ad::Matrix& want_after, const Vec& got_after, const Tolerance& tol,
                        const std::vector<std::pair<std::string, ad::Matrix>>& wrong_formulas) {
  TaskVerdict v;
  const auto m = worst_mismatch(got_after, want_after.values(), tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  const std::size_t cols = want_after.cols();
  v.message = label + ": " +
              mismatch_text(name + "(" + std::to_string(m->index / cols) + ", " + std::to_string(m->index % cols) + ")",
                            *m);
  // Compare what the call added (got - before) with the right and the wrong contributions.
  Vec added(got_after.size()), want_added(got_after.size());
  for (std::size_t i = 0; i < got_after.size(); ++i) {
    added[i] = got_after[i] - before[i];
    want_added[i] = want_after[i] - before[i];
  }
  Vec overwrite = want_added;  // what "=" instead of "+=" leaves in the output
  if (all_close(got_after, overwrite, tol)) {
    v.diagnosis = "missing accumulation: " + name + " was overwritten; a VJP must add into its output (+=)";
    return v;
  }
  for (const auto& [what, formula] : wrong_formulas) {
    if (formula.size() != added.size()) continue;
    if (all_close(added, formula.values(), tol) || all_close(got_after, formula.values(), tol)) {
      v.diagnosis = what;
      return v;
    }
  }
  v.diagnosis = generic_diagnosis(added, want_added, tol);
  return v;
}

TaskVerdict judge_vjp_add(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::Matrix dz = to_matrix(t.matrices[0]);
  const ad::Matrix before = to_matrix(t.matrices[1]);
  ad::Matrix want = before;
  for (std::size_t i = 0; i < want.size(); ++i) want[i] += dz[i];
  return judge_block(label, "dx", before, want, got, tol, {});
}

TaskVerdict judge_vjp_scale(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::Matrix x = to_matrix(t.matrices[0]);
  const ad::Matrix dz = to_matrix(t.matrices[1]);
  const ad::Matrix before = to_matrix(t.matrices[2]);
  const double a = t.scalars[0];
  double da = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) da += x[i] * dz[i];
  TaskVerdict v;
  if (!close(got[0], da, tol)) {
    v.message = label + ": " + mismatch_text("da = vjp_scale_a(x, dz)", Mismatch{0, da, got[0]});
    double sum_dz = 0.0;
    for (std::size_t i = 0; i < dz.size(); ++i) sum_dz += dz[i];
    if (close(got[0], sum_dz, tol)) v.diagnosis = "da must be ⟨x, dz⟩ = Σ x_i dz_i, not Σ dz_i (a missing factor x_i)";
    else if (close(got[0], a * da, tol)) v.diagnosis = "an extra factor a: da = ⟨x, dz⟩ does not involve a";
    else v.diagnosis = generic_diagnosis({got[0]}, {da}, tol);
    return v;
  }
  ad::Matrix want = before;
  ad::Matrix times_x(x.rows(), x.cols());
  for (std::size_t i = 0; i < want.size(); ++i) {
    want[i] += a * dz[i];
    times_x[i] = x[i] * dz[i];
  }
  return judge_block(label, "dx", before, want, Vec(got.begin() + 1, got.end()), tol,
                     {{"dx must be a·dz; it looks like x⊙dz (the operands swapped)", times_x},
                      {"dx must be a·dz; the factor a is missing", dz}});
}

TaskVerdict judge_vjp_matmul(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::Matrix x = to_matrix(t.matrices[0]);
  const ad::Matrix w = to_matrix(t.matrices[1]);
  const ad::Matrix dz = to_matrix(t.matrices[2]);
  const ad::Matrix dx_before = to_matrix(t.matrices[3]);
  const ad::Matrix dw_before = to_matrix(t.matrices[4]);
  const std::size_t m = x.rows(), k = x.cols(), n = w.cols();
  ad::Matrix dx = dx_before, dw = dw_before;
  ad::vjp_matmul_x(w, dz, dx);  // the reference VJPs, tested against finite differences in the suite
  ad::vjp_matmul_w(x, dz, dw);
  // Wrong formulas that students write, where their shapes fit.
  std::vector<std::pair<std::string, ad::Matrix>> dx_wrong, dw_wrong;
  if (n == k) dx_wrong.push_back({"missing transpose: dX = dZ Wᵀ, not dZ W", ad::matmul(dz, w)});
  if (m == k && n == m)
    dx_wrong.push_back({"swapped operands: dX = dZ Wᵀ, not Wᵀ dZ", ad::matmul(w.transposed(), dz)});
  if (m == n) dx_wrong.push_back({"wrong operand: dX = dZ Wᵀ uses W, not X", ad::matmul(dz, x.transposed())});
  if (m == k) dw_wrong.push_back({"missing transpose: dW = Xᵀ dZ, not X dZ", ad::matmul(x, dz)});
  if (n == k) dw_wrong.push_back({"swapped operands: dW = Xᵀ dZ, not dZᵀ X", ad::matmul(dz.transposed(), x)});
  if (k == n) dw_wrong.push_back({"wrong operand: dW = Xᵀ dZ uses X, not W", ad::matmul(w.transposed(), dz)});
  const Vec got_dx(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(m * k));
  const Vec got_dw(got.begin() + static_cast<std::ptrdiff_t>(m * k), got.end());
  TaskVerdict v = judge_block(label, "dX", dx_before, dx, got_dx, tol, dx_wrong);
  if (!v.passed) return v;
  return judge_block(label, "dW", dw_before, dw, got_dw, tol, dw_wrong);
}

// ---------------------------------------------------------------- network

ad::TwoLayerNet net_of(const Task& t) {
  ad::TwoLayerNet net;
  net.w1 = to_matrix(t.matrices[0]);
  net.b1 = to_matrix(t.matrices[1]);
  net.w2 = to_matrix(t.matrices[2]);
  net.b2 = t.scalars[0];
  return net;
}

ad::Dataset data_of(const Task& t) { return ad::Dataset{to_matrix(t.matrices[3]), to_matrix(t.matrices[4])}; }

Vec flatten(const ad::NetGradient& g) {
  Vec v = g.w1.values();
  v.insert(v.end(), g.b1.values().begin(), g.b1.values().end());
  v.insert(v.end(), g.w2.values().begin(), g.w2.values().end());
  v.push_back(g.b2);
  return v;
}

Vec flatten(const ad::TwoLayerNet& net) {
  Vec v = net.w1.values();
  v.insert(v.end(), net.b1.values().begin(), net.b1.values().end());
  v.insert(v.end(), net.w2.values().begin(), net.w2.values().end());
  v.push_back(net.b2);
  return v;
}

/// Names entry k of a flattened parameter vector: "W1(2, 0)", "b2".
std::string parameter_name(const ad::TwoLayerNet& net, std::size_t k, const char* prefix) {
  const std::string p = prefix;
  if (k < net.w1.size())
    return p + "W1(" + std::to_string(k / net.w1.cols()) + ", " + std::to_string(k % net.w1.cols()) + ")";
  k -= net.w1.size();
  if (k < net.b1.size()) return p + "b1(" + std::to_string(k) + ")";
  k -= net.b1.size();
  if (k < net.w2.size()) return p + "w2(" + std::to_string(k) + ")";
  return p + "b2";
}

TaskVerdict judge_network_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::TwoLayerNet net = net_of(t);
  const ad::Dataset data = data_of(t);
  const Vec want = flatten(ad::gradient(net, data));
  TaskVerdict v;
  const auto m = worst_mismatch(got, want, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": " + mismatch_text(parameter_name(net, m->index, "∂loss/∂"), *m);
  // Which parameter blocks are wrong tells where in backprop the mistake is.
  const std::size_t sizes[] = {net.w1.size(), net.b1.size(), net.w2.size(), 1};
  const char* names[] = {"W1", "b1", "w2", "b2"};
  std::string wrong;
  std::size_t at = 0;
  for (int b = 0; b < 4; ++b) {
    const Vec gb(got.begin() + static_cast<std::ptrdiff_t>(at), got.begin() + static_cast<std::ptrdiff_t>(at + sizes[b]));
    const Vec wb(want.begin() + static_cast<std::ptrdiff_t>(at), want.begin() + static_cast<std::ptrdiff_t>(at + sizes[b]));
    if (!all_close(gb, wb, tol)) wrong += std::string(wrong.empty() ? "" : ", ") + names[b];
    at += sizes[b];
  }
  v.diagnosis = generic_diagnosis(got, want, tol);
  if (v.diagnosis.empty()) v.diagnosis = "the gradients of " + wrong + " are wrong (the others are right)";
  return v;
}

TaskVerdict judge_network_step(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  ad::TwoLayerNet net = net_of(t);
  const ad::Dataset data = data_of(t);
  const double lr = t.scalars[1];
  ad::TwoLayerNet uphill = net, no_rate = net;
  for (int s = 0; s < t.steps; ++s) {
    const ad::NetGradient g = ad::gradient(net, data);
    ad::sgd_step(net, g, lr);
    ad::sgd_step(uphill, ad::gradient(uphill, data), -lr);
    ad::sgd_step(no_rate, ad::gradient(no_rate, data), 1.0);
  }
  const Vec want = flatten(net);
  TaskVerdict v;
  const auto m = worst_mismatch(got, want, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": after " + std::to_string(t.steps) + " step(s), " + mismatch_text(parameter_name(net, m->index, ""), *m);
  if (all_close(got, flatten(uphill), tol)) v.diagnosis = "wrong sign: the step went uphill (p + lr·g instead of p - lr·g)";
  else if (all_close(got, flatten(no_rate), tol)) v.diagnosis = "the learning rate is missing from the step";
  else v.diagnosis = "the step or the gradient it uses is wrong (check the network_gradient problem first)";
  return v;
}

// ---------------------------------------------------------------- oracle agreement

/// Central differences of L along direction v, with an estimate of their own error.
struct Directional {
  double value = 0.0;  ///< (L(p + h v) - L(p - h v)) / 2h
  double error = 0.0;  ///< estimated error of `value`
};

/// The step cbrt(eps)·max(1, |p|∞) balances truncation (h²) against rounding
/// (eps/h). The error estimate compares steps h and 2h (their difference is
/// about three times the truncation error of step h) and adds the rounding
/// error of the function values.
Directional directional_difference(const std::function<double(const Vec&)>& L, const Vec& p, const Vec& v) {
  double scale = 1.0;
  for (double x : p) scale = std::max(scale, std::fabs(x));
  const double eps = std::numeric_limits<double>::epsilon();
  const double h = std::cbrt(eps) * scale;
  const auto diff = [&](double step, double* magnitude) {
    Vec plus = p, minus = p;
    for (std::size_t i = 0; i < p.size(); ++i) {
      plus[i] += step * v[i];
      minus[i] -= step * v[i];
    }
    const double lp = L(plus), lm = L(minus);
    if (magnitude) *magnitude = std::max(std::fabs(lp), std::fabs(lm));
    return (lp - lm) / (2.0 * step);
  };
  double magnitude = 0.0;
  const double d1 = diff(h, &magnitude);
  const double d2 = diff(2.0 * h, nullptr);
  return {d1, std::fabs(d1 - d2) + 64.0 * eps * magnitude / h};
}

/// Whether the reference gradient `want` of L at p agrees with finite
/// differences along three random directions (cost independent of p's size).
/// They always should: a disagreement means the case sits on a kink or near a
/// singularity, or that the reference is wrong, and staff should look.
std::string oracle_disagreement(const std::function<double(const Vec&)>& L, const Vec& p, const Vec& want,
                                std::uint64_t seed) {
  std::uint64_t state = seed;
  for (int k = 0; k < 3; ++k) {
    Vec v(p.size());
    for (double& x : v) x = ad::splitmix_uniform(state);
    double dot = 0.0, magnitude = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      dot += want[i] * v[i];
      magnitude += std::fabs(want[i] * v[i]);
    }
    const Directional d = directional_difference(L, p, v);
    if (!std::isfinite(d.value) || std::fabs(d.value - dot) > 4.0 * d.error + 1e-7 * magnitude + 1e-10)
      return "grader note: finite differences (" + num(d.value) + ") and the reference AD (" + num(dot) +
             ") disagree on a directional derivative here; the case may sit on a kink. Please tell the course staff.";
  }
  return "";
}

Vec concat(std::initializer_list<const Vec*> parts) {
  Vec out;
  for (const Vec* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

/// Checks the two oracles against each other for one task; returns a note for staff, or "".
std::string check_oracles(const Task& t, std::uint64_t seed) {
  switch (t.kind) {
    case TaskKind::forward_gradient:
    case TaskKind::reverse_gradient:
    case TaskKind::jacobian_forward:
    case TaskKind::jacobian_reverse: {
      for (const Expression& f : parse_functions(t)) {
        const std::string note = oracle_disagreement([&](const Vec& x) { return f.evaluate(x); }, t.point,
                                                     reference_gradient(f, t.point), seed++);
        if (!note.empty()) return note;
      }
      return "";
    }
    case TaskKind::vjp_add: {  // L(x) = <dz, x + y>; its gradient is dz
      const Vec& dz = t.matrices[0].values;
      const auto L = [&](const Vec& x) {
        double s = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) s += dz[i] * x[i];
        return s;
      };
      return oracle_disagreement(L, t.matrices[1].values, dz, seed);
    }
    case TaskKind::vjp_scale: {  // L(a, x) = <dz, a x>; gradient (<x, dz>, a dz)
      const Vec& x0 = t.matrices[0].values;
      const Vec& dz = t.matrices[1].values;
      const double a0 = t.scalars[0];
      const auto L = [&](const Vec& p) {
        double s = 0.0;
        for (std::size_t i = 0; i < dz.size(); ++i) s += dz[i] * p[0] * p[1 + i];
        return s;
      };
      Vec want{0.0};
      for (std::size_t i = 0; i < dz.size(); ++i) {
        want[0] += x0[i] * dz[i];
        want.push_back(a0 * dz[i]);
      }
      const Vec p0{a0};
      return oracle_disagreement(L, concat({&p0, &x0}), want, seed);
    }
    case TaskKind::vjp_matmul: {  // L(X, W) = <dZ, X W>
      const ad::Matrix x = to_matrix(t.matrices[0]), w = to_matrix(t.matrices[1]), dz = to_matrix(t.matrices[2]);
      ad::Matrix dx(x.rows(), x.cols()), dw(w.rows(), w.cols());
      ad::vjp_matmul_x(w, dz, dx);
      ad::vjp_matmul_w(x, dz, dw);
      const auto L = [&](const Vec& p) {
        const ad::Matrix xp(x.rows(), x.cols(), Vec(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(x.size())));
        const ad::Matrix wp(w.rows(), w.cols(), Vec(p.begin() + static_cast<std::ptrdiff_t>(x.size()), p.end()));
        return ad::dot(ad::matmul(xp, wp), dz);
      };
      return oracle_disagreement(L, concat({&x.values(), &w.values()}), concat({&dx.values(), &dw.values()}), seed);
    }
    case TaskKind::network_gradient:
    case TaskKind::network_step: {  // L(params) = loss(net(params), data)
      const ad::TwoLayerNet net = net_of(t);
      const ad::Dataset data = data_of(t);
      const auto L = [&](const Vec& p) {
        ad::TwoLayerNet n = net;
        std::size_t k = 0;
        for (ad::Matrix* m : {&n.w1, &n.b1, &n.w2})
          for (std::size_t i = 0; i < m->size(); ++i) (*m)[i] = p[k++];
        n.b2 = p[k];
        return ad::loss(n, data);
      };
      return oracle_disagreement(L, flatten(net), flatten(ad::gradient(net, data)), seed);
    }
  }
  return "";
}

std::size_t expected_count(const Task& t) {
  switch (t.kind) {
    case TaskKind::forward_gradient: return 1 + t.point.size();
    case TaskKind::reverse_gradient: return 1 + 3 * t.point.size();
    case TaskKind::jacobian_forward:
    case TaskKind::jacobian_reverse: return t.functions.size() * t.point.size();
    case TaskKind::vjp_add: return t.matrices[1].values.size();
    case TaskKind::vjp_scale: return 1 + t.matrices[2].values.size();
    case TaskKind::vjp_matmul: return t.matrices[3].values.size() + t.matrices[4].values.size();
    case TaskKind::network_gradient:
    case TaskKind::network_step:
      return t.matrices[0].values.size() + t.matrices[1].values.size() + t.matrices[2].values.size() + 1;
  }
  return 0;
}

std::string describe_error(const protocol::Reply& r) {
  if (r.category == "not_implemented") return r.message;
  if (r.category == "shape_error") return "your code threw ad::ShapeError: " + r.message;
  if (r.category == "bad_result") return "your code returned a result of the wrong shape: " + r.message;
  if (r.category == "out_of_memory") return "your code ran out of memory (std::bad_alloc)";
  if (r.category == "exception") return "your code threw an exception: " + r.message;
  if (r.category == "unknown_exception") return "your code threw something that is not a std::exception";
  return "the probe reported an error (" + r.category + "): " + r.message;
}

/// The verdict on a well-formed reply, by kind.
TaskVerdict judge_values(const Task& t, const std::string& label, const Vec& values, const Tolerance& tol) {
  switch (t.kind) {
    case TaskKind::forward_gradient: return judge_forward_gradient(t, label, values, tol);
    case TaskKind::reverse_gradient: return judge_reverse_gradient(t, label, values, tol);
    case TaskKind::jacobian_forward:
    case TaskKind::jacobian_reverse: return judge_jacobian(t, label, values, tol);
    case TaskKind::vjp_add: return judge_vjp_add(t, label, values, tol);
    case TaskKind::vjp_scale: return judge_vjp_scale(t, label, values, tol);
    case TaskKind::vjp_matmul: return judge_vjp_matmul(t, label, values, tol);
    case TaskKind::network_gradient: return judge_network_gradient(t, label, values, tol);
    case TaskKind::network_step: return judge_network_step(t, label, values, tol);
  }
  return {};
}

}  // namespace

TaskVerdict judge_task(const Plan& plan, std::size_t task, const TaskOutcome& outcome) {
  const Task& t = plan.tasks[task];
  const std::string& label = plan.labels[task];
  TaskVerdict v;
  if (outcome.state != TaskOutcome::State::replied) {
    v.message = label + ": " + outcome.failure;
    return v;
  }
  const protocol::Reply& r = outcome.reply;
  if (!r.ok) {
    v.not_implemented = r.category == "not_implemented";
    v.message = label + ": " + describe_error(r);
    return v;
  }
  const std::size_t want_count = expected_count(t);
  if (r.values.size() != want_count) {
    v.message = label + ": the probe returned " + std::to_string(r.values.size()) + " numbers, expected " +
                std::to_string(want_count);
    return v;
  }
  const Tolerance& tol = plan.problem->tolerance;
  v = judge_values(t, label, r.values, tol);
  v.oracle_note = check_oracles(t, plan.seed ^ (0x9E3779B97F4A7C15ULL * (task + 1)));
  return v;
}

std::vector<CaseResult> judge_plan(const Plan& plan, const std::vector<TaskOutcome>& outcomes) {
  std::vector<CaseResult> results;
  for (const PlannedCase& pc : plan.cases) {
    const CaseSpec& spec = plan.problem->cases[pc.spec_index];
    CaseResult cr;
    cr.name = spec.name;
    cr.max_score = pc.max_score;
    cr.passed = true;
    std::size_t failed = 0, not_implemented = 0;
    for (std::size_t ti : pc.tasks) {
      const TaskVerdict v = judge_task(plan, ti, outcomes.at(ti));
      if (!v.oracle_note.empty() && cr.oracle_note.empty()) cr.oracle_note = plan.labels[ti] + ": " + v.oracle_note;
      if (v.passed) continue;
      ++failed;
      not_implemented += v.not_implemented ? 1 : 0;
      if (cr.passed) {  // report the first failing task in full
        cr.message = v.message;
        cr.diagnosis = v.diagnosis;
      }
      cr.passed = false;
    }
    cr.not_implemented = failed > 0 && not_implemented == failed;
    if (!cr.passed && pc.tasks.size() > 1 && !cr.not_implemented)
      cr.message += " (" + std::to_string(failed) + " of " + std::to_string(pc.tasks.size()) + " checks failed)";
    cr.score = cr.passed ? cr.max_score : 0.0;
    results.push_back(std::move(cr));
  }
  return results;
}

}  // namespace grader
