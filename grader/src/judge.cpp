// The judge: oracles (the reference AD, finite differences on the true
// function), tolerances derived from rounding-error bounds, diagnosis of
// known mistakes, points.
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
#include "error_bounds.hpp"
#include "grader/expr.hpp"
#include "grader/judge_complexity.hpp"
#include "grader/numdiff.hpp"
#include "mistakes.hpp"

namespace grader {

namespace {

using bounds::Bounded;
using mistakes::KinkRule;
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

// ---------------------------------------------------------------- tolerances

/// How many times its rounding-error bound a correct number may be off. The
/// bound is that of the reference's own formulas; a correct submission may
/// use others (another summation order, 1/cos² for 1 + tan², a reverse sweep
/// against the forward-mode reference), whose bounds are of the same size.
constexpr double rounding_safety = 8.0;

/// What every entry must be, and the bound on the rounding error of a correct computation of it.
struct Expected {
  Vec want;
  Vec bound;
};

/// The largest |got - want| that passes: the spec's floor plus the rounding a correct submission may have.
double allowed(const Tolerance& tol, double want, double bound) {
  return tol.absolute + tol.relative * std::fabs(want) + rounding_safety * bound;
}

bool close(double got, double want, double bound, const Tolerance& tol) {
  if (!std::isfinite(got)) return false;  // NaN and Infinity never pass
  return std::fabs(got - want) <= allowed(tol, want, bound);
}

/// The entry that is out of tolerance by the largest multiple of its tolerance.
struct Mismatch {
  std::size_t index = 0;
  double want = 0.0;
  double got = 0.0;
  double allowed = 0.0;
};

std::optional<Mismatch> worst_mismatch(const Vec& got, const Expected& e, const Tolerance& tol) {
  std::optional<Mismatch> worst;
  double worst_err = -1.0;
  for (std::size_t i = 0; i < e.want.size(); ++i) {
    const double b = i < e.bound.size() ? e.bound[i] : 0.0;
    if (close(got[i], e.want[i], b, tol)) continue;
    const double room = allowed(tol, e.want[i], b);
    const double err = std::isfinite(got[i]) ? std::fabs(got[i] - e.want[i]) / (room > 0.0 ? room : 1e-300)
                                             : std::numeric_limits<double>::infinity();
    if (err > worst_err) {
      worst_err = err;
      worst = Mismatch{i, e.want[i], got[i], room};
    }
  }
  return worst;
}

std::string mismatch_text(const std::string& entry, const Mismatch& m) {
  std::string s = entry + ": expected " + num(m.want) + ", got " + num(m.got);
  if (std::isfinite(m.got)) {
    const double abs_err = std::fabs(m.got - m.want);
    s += " (absolute error " + sci(abs_err);
    if (m.want != 0.0) s += ", relative error " + sci(abs_err / std::fabs(m.want));
    s += "; allowed " + sci(m.allowed) + ")";
  } else {
    s += " (NaN and Infinity never pass)";
  }
  return s;
}

/// Replaces bounds that are not finite (a case at a singularity) by 0: the spec's floor alone applies.
Vec finite_bounds(Vec b) {
  for (double& x : b)
    if (!std::isfinite(x)) x = 0.0;
  return b;
}

/// Whether a wrong answer is close to the exact one, as a finite-difference
/// approximation is: within 1e-4 of each entry (relative to the gradient's
/// size) while rounding cannot explain the difference.
bool approximately(const Vec& got, const Vec& want) {
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  if (scale == 0.0 || got.size() != want.size()) return false;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!std::isfinite(got[i]) || std::fabs(got[i] - want[i]) > 1e-4 * (std::fabs(want[i]) + 1e-2 * scale)) return false;
  return true;
}

/// "2", "1/2", … when a single wrong number is a recognisable multiple of the right one.
std::string nice_ratio(double r) {
  struct Nice {
    double value;
    const char* text;
  };
  static const Nice nice[] = {{2.0, "2"}, {0.5, "1/2"}, {3.0, "3"}, {1.0 / 3.0, "1/3"}, {4.0, "4"}, {0.25, "1/4"},
                              {-2.0, "-2"}, {-0.5, "-1/2"}};
  for (const Nice& n : nice)
    if (std::fabs(r - n.value) <= 1e-7 * std::fabs(n.value)) return n.text;
  return "";
}

/// Which of a few common wrong answers `got` is (empty when none).
std::string generic_diagnosis(const Vec& got, const Vec& want) {
  if (got.size() != want.size() || want.empty()) return "";
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  if (scale == 0.0) return "";
  Vec neg(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) neg[i] = -want[i];
  if (mistakes::matches(got, neg, want)) return "wrong sign: every entry is the negative of the right one";
  bool all_zero = true;
  for (double g : got) all_zero = all_zero && g == 0.0;
  if (all_zero) return "the result is all zeros: nothing was propagated (a rule that drops the tangent/adjoint?)";
  // A constant factor: got = c·want for one c != 1.
  std::size_t k = 0;
  while (k < want.size() && std::fabs(want[k]) <= 1e-12 * scale) ++k;
  if (k >= want.size() || !std::isfinite(got[k])) return "";
  const double c = got[k] / want[k];
  Vec scaled(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) scaled[i] = c * want[i];
  if (std::fabs(c - 1.0) <= 1e-6 || c == 0.0 || !mistakes::matches(got, scaled, want)) return "";
  std::size_t nonzero = 0;
  for (double w : want) nonzero += std::fabs(w) > 1e-12 * scale ? 1 : 0;
  // With one nonzero entry any wrong value is "a factor": say so only for a recognisable one.
  const std::string nice = nice_ratio(c);
  if (nonzero >= 2)
    return "every entry is off by the same factor " + (nice.empty() ? num(c) : nice) +
           ": a missing or extra factor (e.g. of 2, or a missing 1/n)";
  if (!nice.empty()) return "off by a factor of " + nice + ": a missing or extra factor";
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

/// The reference gradient by forward mode (ad::Dual): exact up to rounding. A
/// case that states another rule at kinks gets that rule's gradient.
Vec reference_gradient(const Expression& f, const Vec& p, KinkRule rule) {
  if (rule != KinkRule::zero) return mistakes::gradient(f, p, rule);
  Vec g(p.size());
  std::vector<ad::Dual> x(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (std::size_t i = 0; i < p.size(); ++i) x[i] = ad::Dual(p[i], i == j ? 1.0 : 0.0);
    g[j] = f.evaluate(x).tangent;
  }
  return g;
}

/// f's value and gradient at p as they must come back, each with its rounding bound.
struct ExpectedGradient {
  double value = 0.0;
  double value_bound = 0.0;
  Expected gradient;
};

ExpectedGradient expected_gradient(const Expression& f, const Vec& p, KinkRule rule) {
  ExpectedGradient e;
  e.value = f.evaluate(p);
  e.gradient.want = reference_gradient(f, p, rule);
  e.gradient.bound.resize(p.size());
  std::vector<bounds::BDual> x(p.size());
  for (std::size_t j = 0; j < p.size(); ++j) {
    for (std::size_t i = 0; i < p.size(); ++i) x[i] = bounds::BDual(p[i], i == j ? 1.0 : 0.0);
    const bounds::BDual y = f.evaluate(x);
    e.value_bound = y.value.e;
    e.gradient.bound[j] = y.tangent.e;
  }
  e.gradient.bound = finite_bounds(e.gradient.bound);
  if (!std::isfinite(e.value_bound)) e.value_bound = 0.0;
  return e;
}

std::string gradient_entry(const Task& t, std::size_t j) { return "∂f/∂" + variable_names(t)[j]; }

/// Names the mistake that turns `want` into `got`: an approximation, a
/// mistaken rule (forward mode allows the missing chain-rule factor), or a
/// generic pattern.
std::string diagnose_rules(const std::vector<Expression>& fs, const Vec& p, const Vec& got, const Vec& want,
                           bool forward, KinkRule rule) {
  const mistakes::Explanation e = mistakes::explain_rule(fs, p, got, want, forward, rule);
  if (e.found) return e.text;
  return generic_diagnosis(got, want);
}

/// Judges a gradient against the reference; on failure, the message names the
/// worst entry, what finite differences give there, and whether the answer is
/// an approximation.
TaskVerdict judge_gradient(const Task& t, const std::string& label, const Vec& got, const Expected& e,
                           const Tolerance& tol, const std::string& what, const Expression* f) {
  TaskVerdict v;
  const auto m = worst_mismatch(got, e, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": " + what + mismatch_text(gradient_entry(t, m->index), *m);
  if (f != nullptr) {
    const std::vector<FdEstimate> fd = fd_gradient(*f, t.point);
    if (fd[m->index].ok)
      v.message += "; finite differences give " + num(fd[m->index].value) + " ± " + sci(fd[m->index].error);
  }
  if (approximately(got, e.want)) {
    double worst = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - e.want[i]));
    v.message += "; it matches finite differences only to about " + sci(worst) + ", not to the precision of AD";
    v.diagnosis = "an approximation (finite differences?) instead of the exact derivative rule";
  }
  return v;
}

TaskVerdict judge_forward_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol,
                                   KinkRule rule) {
  const Expression f = parse_functions(t).at(0);
  const ExpectedGradient e = expected_gradient(f, t.point, rule);
  TaskVerdict v;
  if (!close(got[0], e.value, e.value_bound, tol)) {
    v.message = label + ": the value f = " + num(got[0]) + " is wrong, expected " + num(e.value) +
                " (the primal part of a rule is off)";
    return v;
  }
  const Vec grad(got.begin() + 1, got.end());
  v = judge_gradient(t, label, grad, e.gradient, tol, "", &f);
  if (!v.passed && v.diagnosis.empty()) v.diagnosis = diagnose_rules({f}, t.point, grad, e.gradient.want, true, rule);
  return v;
}

/// The sweep mistake that explains a reverse-mode gradient, or "".
std::string diagnose_sweep(const std::vector<Expression>& fs, const Vec& p, const Vec& got, const Vec& want) {
  using mistakes::Sweep;
  struct Model {
    Sweep sweep;
    const char* text;
  };
  // The overwriting sweep first: it predicts every entry exactly where a value is used twice.
  static const Model models[] = {
      {Sweep::overwrite,
       "missing accumulation: a value used more than once keeps only one contribution; add into adjoints with += "
       "instead of ="},
      {Sweep::no_adjoint,
       "missing chain-rule factor in the sweep: add the local partial times the node's adjoint "
       "(adjoint[a] += da * adjoint[node]), not the partial alone"},
      {Sweep::forward_order,
       "the backward sweep visits the nodes in the wrong order: walk the tape from the output down to the inputs "
       "(reverse order), so that a node's adjoint is complete before it is passed on"},
      {Sweep::once_per_path,
       "a node passes its adjoint on once per path that reaches it (a depth-first sweep from the output): sweep "
       "each node once, in reverse tape order, after all its uses have added to its adjoint"},
  };
  for (const Model& m : models) {
    Vec model;
    bool ok = true;
    for (const Expression& f : fs) {
      const auto g = mistakes::sweep_gradient(f, p, m.sweep);
      if (!g) {
        ok = false;
        break;
      }
      model.insert(model.end(), g->begin(), g->end());
    }
    if (ok && mistakes::matches(got, model, want)) return m.text;
  }
  return "";
}

/// A reverse-mode gradient can be wrong in the sweep or in a rule. On one
/// task both may explain the numbers (with partials of ±1, a sweep that
/// forgets the adjoint looks like a rule with a flipped sign): then both are named.
std::string diagnose_reverse(const std::vector<Expression>& fs, const Vec& p, const Vec& got, const Vec& want,
                             KinkRule rule) {
  const std::string sweep = diagnose_sweep(fs, p, got, want);
  const mistakes::Explanation r = mistakes::explain_rule(fs, p, got, want, false, rule);
  if (!sweep.empty() && r.found) return sweep + "; or else " + r.text;
  if (!sweep.empty()) return sweep;
  if (r.found) return r.text;
  return generic_diagnosis(got, want);
}

TaskVerdict judge_reverse_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol,
                                   KinkRule rule) {
  const Expression f = parse_functions(t).at(0);
  const std::size_t n = t.point.size();
  const ExpectedGradient e = expected_gradient(f, t.point, rule);
  TaskVerdict v;
  if (!close(got[0], e.value, e.value_bound, tol)) {
    v.message = label + ": the value f = " + num(got[0]) + " is wrong, expected " + num(e.value) +
                " (the primal part of a recorded operation is off)";
    return v;
  }
  const auto part = [&](std::size_t k) {
    return Vec(got.begin() + 1 + static_cast<std::ptrdiff_t>(k * n), got.begin() + 1 + static_cast<std::ptrdiff_t>((k + 1) * n));
  };
  const Vec first = part(0), second = part(1), third = part(2);
  v = judge_gradient(t, label, first, e.gradient, tol, "", &f);
  if (!v.passed) {
    if (v.diagnosis.empty()) v.diagnosis = diagnose_reverse({f}, t.point, first, e.gradient.want, rule);
    return v;
  }
  v = judge_gradient(t, label, second, e.gradient, tol, "calling backward() a second time on the same tape gives ",
                     nullptr);
  if (!v.passed) {
    v.diagnosis = "gradient not reset: backward() must set every adjoint to 0 before the sweep (the second sweep "
                  "added to what the first left behind)";
    return v;
  }
  v = judge_gradient(t, label, third, e.gradient, tol, "after Tape::clear() and recording again, ", nullptr);
  if (!v.passed) v.diagnosis = "state left over from an earlier recording; reset the adjoints at the start of backward()";
  return v;
}

TaskVerdict judge_jacobian(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol,
                           KinkRule rule) {
  const std::vector<Expression> fs = parse_functions(t);
  const std::size_t n = t.point.size(), m = fs.size();
  Expected e;
  for (const Expression& f : fs) {
    const ExpectedGradient g = expected_gradient(f, t.point, rule);
    e.want.insert(e.want.end(), g.gradient.want.begin(), g.gradient.want.end());
    e.bound.insert(e.bound.end(), g.gradient.bound.begin(), g.gradient.bound.end());
  }
  TaskVerdict v;
  const auto mm = worst_mismatch(got, e, tol);
  if (!mm) {
    v.passed = true;
    return v;
  }
  const auto names = variable_names(t);
  v.message = label + ": " + mismatch_text("∂f" + std::to_string(mm->index / n + 1) + "/∂" + names[mm->index % n], *mm);
  const std::vector<FdEstimate> fd = fd_gradient(fs[mm->index / n], t.point);
  if (fd[mm->index % n].ok)
    v.message += "; finite differences give " + num(fd[mm->index % n].value) + " ± " + sci(fd[mm->index % n].error);
  const bool forward = t.kind == TaskKind::jacobian_forward;
  if (approximately(got, e.want)) {
    v.diagnosis = "an approximation (finite differences?) instead of the exact derivative rule";
    return v;
  }
  if (m == n) {
    Vec transposed(e.want.size());
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) transposed[j * m + i] = e.want[i * n + j];
    if (mistakes::matches(got, transposed, e.want)) {
      v.diagnosis = "rows and columns swapped: row i must be the gradient of output i";
      return v;
    }
  }
  v.diagnosis = forward ? diagnose_rules(fs, t.point, got, e.want, true, rule)
                        : diagnose_reverse(fs, t.point, got, e.want, rule);
  return v;
}

// ---------------------------------------------------------------- tensors

ad::Matrix to_matrix(const protocol::MatrixData& m) { return ad::Matrix(m.rows, m.cols, m.values); }

/// A wrong formula a student may have written, and its name.
struct WrongFormula {
  std::string what;    ///< the likely mistake, in words
  Vec value;           ///< what the output holds after the call with that mistake
};

/// m transposed in memory: entry (i, j) of the result is m's entry k = i·cols + j read as if m were cols × rows.
Vec read_transposed(const ad::Matrix& m) {
  Vec out(m.size());
  for (std::size_t i = 0; i < m.rows(); ++i)
    for (std::size_t j = 0; j < m.cols(); ++j) out[i * m.cols() + j] = m.values()[j * m.rows() + i];
  return out;
}

Vec plus(const ad::Matrix& before, const Vec& added) {
  Vec out = before.values();
  for (std::size_t i = 0; i < out.size() && i < added.size(); ++i) out[i] += added[i];
  return out;
}

/// Judges one output block of a VJP (its value after the call, which started at `before`).
TaskVerdict judge_block(const std::string& label, const std::string& name, const ad::Matrix& before,
                        const Expected& want_after, std::size_t cols, const Vec& got_after, const Tolerance& tol,
                        const std::vector<WrongFormula>& wrong) {
  TaskVerdict v;
  const auto m = worst_mismatch(got_after, want_after, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": " +
              mismatch_text(name + "(" + std::to_string(m->index / cols) + ", " + std::to_string(m->index % cols) + ")",
                            *m);
  // Compare what the call added (got - before) with the right and the wrong contributions.
  Vec added(got_after.size()), want_added(got_after.size());
  for (std::size_t i = 0; i < got_after.size(); ++i) {
    added[i] = got_after[i] - before.values()[i];
    want_added[i] = want_after.want[i] - before.values()[i];
  }
  if (mistakes::matches(got_after, want_added, want_after.want)) {  // "=" instead of "+=": the prefill is gone
    v.diagnosis = "missing accumulation: " + name + " was overwritten; a VJP must add into its output (+=)";
    return v;
  }
  for (const WrongFormula& w : wrong) {
    if (w.value.size() != got_after.size()) continue;
    if (mistakes::matches(got_after, w.value, want_after.want)) {
      v.diagnosis = w.what;
      return v;
    }
  }
  v.diagnosis = generic_diagnosis(added, want_added);
  return v;
}

/// The bound of `before + Σ terms`, summed in any order.
double sum_bound(double before, const Vec& terms) {
  Bounded s(before);
  for (double x : terms) s += Bounded(x, bounds::unit * std::fabs(x));  // each term one rounded product
  return s.e;
}

TaskVerdict judge_vjp_add(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::Matrix dz = to_matrix(t.matrices[0]);
  const ad::Matrix before = to_matrix(t.matrices[1]);
  Expected e{before.values(), Vec(before.size())};
  for (std::size_t i = 0; i < dz.size(); ++i) {
    e.want[i] += dz[i];
    e.bound[i] = bounds::unit * (std::fabs(before[i]) + std::fabs(dz[i]));
  }
  std::vector<WrongFormula> wrong;
  if (dz.rows() > 1 && dz.cols() > 1)
    wrong.push_back({"an extra transpose: dx += dz reads dz transposed (dz(j, i) for dx(i, j))",
                     plus(before, read_transposed(dz))});
  return judge_block(label, "dx", before, e, before.cols(), got, tol, wrong);
}

TaskVerdict judge_vjp_scale(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::Matrix x = to_matrix(t.matrices[0]);
  const ad::Matrix dz = to_matrix(t.matrices[1]);
  const ad::Matrix before = to_matrix(t.matrices[2]);
  const double a = t.scalars[0];
  Vec terms;
  double da = 0.0, sum_dz = 0.0, sum_x = 0.0, transposed = 0.0;
  const Vec dz_t = read_transposed(dz);
  for (std::size_t i = 0; i < x.size(); ++i) {
    da += x[i] * dz[i];
    terms.push_back(x[i] * dz[i]);
    sum_dz += dz[i];
    sum_x += x[i];
    transposed += x[i] * dz_t[i];
  }
  const double da_bound = sum_bound(0.0, terms);
  TaskVerdict v;
  if (!close(got[0], da, da_bound, tol)) {
    v.message = label + ": " + mismatch_text("da = vjp_scale_a(x, dz)", Mismatch{0, da, got[0], allowed(tol, da, da_bound)});
    const std::size_t last = x.size() - 1;
    const auto is = [&](double model) { return mistakes::matches({got[0]}, {model}, {da}); };
    if (is(sum_dz)) v.diagnosis = "da must be ⟨x, dz⟩ = Σ x_i dz_i, not Σ dz_i (a missing factor x_i)";
    else if (is(sum_x)) v.diagnosis = "da must be ⟨x, dz⟩ = Σ x_i dz_i, not Σ x_i (a missing factor dz_i)";
    else if (is(a * da)) v.diagnosis = "an extra factor a: da = ⟨x, dz⟩ does not involve a";
    else if (x.size() > 1 && is(x[last] * dz[last]))
      v.diagnosis = "missing accumulation: da keeps only the last term of Σ x_i dz_i (= instead of +=)";
    else if (dz.rows() > 1 && dz.cols() > 1 && is(transposed))
      v.diagnosis = "an extra transpose: da = Σ x_i dz_i pairs each x_i with dz transposed";
    else v.diagnosis = generic_diagnosis({got[0]}, {da});
    return v;
  }
  Expected e{before.values(), Vec(before.size())};
  Vec times_x(x.size()), only_dz(x.size()), only_a(x.size()), dz_read_t(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    e.want[i] += a * dz[i];
    e.bound[i] = sum_bound(before[i], {a * dz[i]});
    times_x[i] = x[i] * dz[i];
    only_dz[i] = dz[i];
    only_a[i] = a;
    dz_read_t[i] = a * dz_t[i];
  }
  std::vector<WrongFormula> wrong = {{"dx must be a·dz; it looks like x⊙dz (the operands swapped)", plus(before, times_x)},
                                     {"dx must be a·dz; the factor a is missing", plus(before, only_dz)},
                                     {"dx must be a·dz; the factor dz is missing (dx += a)", plus(before, only_a)}};
  if (dz.rows() > 1 && dz.cols() > 1)
    wrong.push_back({"an extra transpose: dx += a·dz reads dz transposed", plus(before, dz_read_t)});
  return judge_block(label, "dx", before, e, before.cols(), Vec(got.begin() + 1, got.end()), tol, wrong);
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
  Expected ex{dx.values(), Vec(dx.size())}, ew{dw.values(), Vec(dw.size())};
  // Wrong sums students write, entry by entry: the last term only, or a factor left out.
  Vec dx_last(m * k), dx_no_dz(m * k), dx_no_w(m * k), dw_last(k * n), dw_no_x(k * n), dw_no_dz(k * n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t p = 0; p < k; ++p) {
      Vec terms;
      double sum_w = 0.0, sum_dz = 0.0;
      for (std::size_t j = 0; j < n; ++j) {
        terms.push_back(dz(i, j) * w(p, j));
        sum_w += w(p, j);
        sum_dz += dz(i, j);
      }
      ex.bound[i * k + p] = sum_bound(dx_before(i, p), terms);
      dx_last[i * k + p] = dx_before(i, p) + terms.back();
      dx_no_dz[i * k + p] = dx_before(i, p) + sum_w;
      dx_no_w[i * k + p] = dx_before(i, p) + sum_dz;
    }
  Vec dw_overwrite_last(k * n);
  for (std::size_t p = 0; p < k; ++p)
    for (std::size_t j = 0; j < n; ++j) {
      Vec terms;
      double sum_x = 0.0, sum_dz = 0.0;
      for (std::size_t i = 0; i < m; ++i) {
        terms.push_back(x(i, p) * dz(i, j));
        sum_x += x(i, p);
        sum_dz += dz(i, j);
      }
      ew.bound[p * n + j] = sum_bound(dw_before(p, j), terms);
      dw_last[p * n + j] = dw_before(p, j) + terms.back();
      dw_overwrite_last[p * n + j] = terms.back();
      dw_no_x[p * n + j] = dw_before(p, j) + sum_dz;
      dw_no_dz[p * n + j] = dw_before(p, j) + sum_x;
    }
  // Wrong formulas that students write, where their shapes fit.
  std::vector<WrongFormula> dx_wrong, dw_wrong;
  if (n == k) dx_wrong.push_back({"missing transpose: dX = dZ Wᵀ, not dZ W", plus(dx_before, ad::matmul(dz, w).values())});
  if (m == k && n == m)
    dx_wrong.push_back({"swapped operands: dX = dZ Wᵀ, not Wᵀ dZ", plus(dx_before, ad::matmul(w.transposed(), dz).values())});
  if (m == k)
    dx_wrong.push_back({"an extra transpose: dX = dZ Wᵀ, not (dZ Wᵀ)ᵀ = W dZᵀ",
                        plus(dx_before, ad::matmul(w, dz.transposed()).values())});
  if (m == n) dx_wrong.push_back({"wrong operand: dX = dZ Wᵀ uses W, not X", plus(dx_before, ad::matmul(dz, x.transposed()).values())});
  if (n > 1) {
    dx_wrong.push_back({"missing accumulation: the sum over j in dX(i, p) = Σ_j dZ(i, j) W(p, j) keeps only its last "
                        "term (= instead of +=)",
                        dx_last});
    dx_wrong.push_back({"a missing factor: dX(i, p) = Σ_j dZ(i, j) W(p, j) lost its factor dZ(i, j)", dx_no_dz});
    dx_wrong.push_back({"a missing factor: dX(i, p) = Σ_j dZ(i, j) W(p, j) lost its factor W(p, j)", dx_no_w});
  }
  if (m == k) dw_wrong.push_back({"missing transpose: dW = Xᵀ dZ, not X dZ", plus(dw_before, ad::matmul(x, dz).values())});
  if (n == k) dw_wrong.push_back({"swapped operands: dW = Xᵀ dZ, not dZᵀ X", plus(dw_before, ad::matmul(dz.transposed(), x).values())});
  if (m == k && k == n)
    dw_wrong.push_back({"wrong operand: dW = Xᵀ dZ uses X, not W", plus(dw_before, ad::matmul(w.transposed(), dz).values())});
  if (m > 1) {
    dw_wrong.push_back({"missing accumulation: the sum over i in dW(p, j) = Σ_i X(i, p) dZ(i, j) keeps only its last "
                        "term (= instead of +=)",
                        dw_last});
    dw_wrong.push_back({"missing accumulation: dW keeps only the last term of Σ_i X(i, p) dZ(i, j) (= instead of +=, "
                        "which also lost what dW held)",
                        dw_overwrite_last});
    dw_wrong.push_back({"a missing factor: dW(p, j) = Σ_i X(i, p) dZ(i, j) lost its factor X(i, p)", dw_no_x});
    dw_wrong.push_back({"a missing factor: dW(p, j) = Σ_i X(i, p) dZ(i, j) lost its factor dZ(i, j)", dw_no_dz});
  }
  const Vec got_dx(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(m * k));
  const Vec got_dw(got.begin() + static_cast<std::ptrdiff_t>(m * k), got.end());
  TaskVerdict v = judge_block(label, "dX", dx_before, ex, k, got_dx, tol, dx_wrong);
  if (!v.passed) return v;
  return judge_block(label, "dW", dw_before, ew, n, got_dw, tol, dw_wrong);
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

/// Mistakes of backpropagation through the two-layer network.
struct NetMistake {
  bool no_relu_mask = false;  ///< dZ1 = dH: the relu derivative left out
  bool b2_last = false;       ///< db2 keeps the last sample's term only
  bool b1_last = false;       ///< db1 keeps the last sample's term only
  bool w2_last = false;       ///< dw2 keeps the last sample's term only
  double b2_in_prediction = 1.0;  ///< the forward pass adds this times b2 to each prediction (-1: subtracted)
  bool prediction_is_b2 = false;  ///< the forward pass overwrote each prediction with b2
};

/// The network's gradient computed in double with `mistake` (none: the reference's).
Vec net_gradient_with(const ad::TwoLayerNet& net, const ad::Dataset& data, const NetMistake& mistake) {
  const std::size_t n = data.x.rows(), h = net.w1.rows(), in = net.w1.cols();
  ad::NetGradient g{ad::Matrix(h, in), ad::Matrix(h, 1), ad::Matrix(h, 1), 0.0};
  std::vector<double> z1(n * h), act(n * h), dpred(n);
  for (std::size_t i = 0; i < n; ++i) {
    double pred = 0.0;
    for (std::size_t j = 0; j < h; ++j) {
      double z = net.b1[j];
      for (std::size_t k = 0; k < in; ++k) z += data.x(i, k) * net.w1(j, k);
      z1[i * h + j] = z;
      act[i * h + j] = z > 0.0 ? z : 0.0;
      pred += act[i * h + j] * net.w2[j];
    }
    pred = mistake.prediction_is_b2 ? net.b2 : pred + mistake.b2_in_prediction * net.b2;
    dpred[i] = 2.0 * (pred - data.y[i]) / static_cast<double>(n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    g.b2 = mistake.b2_last ? dpred[i] : g.b2 + dpred[i];
    for (std::size_t j = 0; j < h; ++j) {
      g.w2[j] = mistake.w2_last ? act[i * h + j] * dpred[i] : g.w2[j] + act[i * h + j] * dpred[i];
      const double dh = dpred[i] * net.w2[j];
      const double dz = mistake.no_relu_mask || z1[i * h + j] > 0.0 ? dh : 0.0;
      g.b1[j] = mistake.b1_last ? dz : g.b1[j] + dz;
      for (std::size_t k = 0; k < in; ++k) g.w1(j, k) += dz * data.x(i, k);
    }
  }
  return flatten(g);
}

/// The parameter blocks of the network, in flattened order.
struct Block {
  const char* name;
  std::size_t begin, size;
};
std::vector<Block> blocks_of(const ad::TwoLayerNet& net) {
  const std::size_t a = net.w1.size(), b = net.b1.size(), c = net.w2.size();
  return {{"W1", 0, a}, {"b1", a, b}, {"w2", a + b, c}, {"b2", a + b + c, 1}};
}

Vec slice(const Vec& v, const Block& b) {
  return Vec(v.begin() + static_cast<std::ptrdiff_t>(b.begin), v.begin() + static_cast<std::ptrdiff_t>(b.begin + b.size));
}

/// The blocks that are wrong, and a generic diagnosis of each.
std::string diagnose_blocks(const ad::TwoLayerNet& net, const Vec& got, const Expected& e, const Tolerance& tol,
                            const char* what) {
  std::string wrong, named;
  for (const Block& b : blocks_of(net)) {
    const Expected eb{slice(e.want, b), slice(e.bound, b)};
    if (!worst_mismatch(slice(got, b), eb, tol)) continue;
    wrong += std::string(wrong.empty() ? "" : ", ") + b.name;
    const std::string d = generic_diagnosis(slice(got, b), eb.want);
    if (!d.empty() && named.empty()) named = std::string(what) + b.name + ": " + d;
  }
  if (wrong.empty()) return "";
  const std::string which = std::string(what) + wrong + " " + (wrong.find(',') == std::string::npos ? "is" : "are") +
                            " wrong (the others are right)";
  return named.empty() ? which : named + " (" + which + ")";
}

TaskVerdict judge_network_gradient(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::TwoLayerNet net = net_of(t);
  const ad::Dataset data = data_of(t);
  const Expected e{flatten(ad::gradient(net, data)), finite_bounds(bounds::network_gradient_bounds(net, data))};
  TaskVerdict v;
  const auto m = worst_mismatch(got, e, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": " + mismatch_text(parameter_name(net, m->index, "∂loss/∂"), *m);
  struct Model {
    NetMistake mistake;
    const char* text;
  };
  static const Model models[] = {
      {{true, false, false, false, 1.0, false},
       "a missing factor: the relu derivative is left out; dZ1 must be dH where Z1 > 0 and 0 elsewhere (vjp_relu)"},
      {{false, true, false, false, 1.0, false},
       "missing accumulation: the gradient of b2 keeps only the last sample's term; b2 was added to every prediction, "
       "so sum over the samples (+=)"},
      {{false, false, true, false, 1.0, false},
       "missing accumulation: the gradient of b1 keeps only the last sample's term; sum over the samples (+=)"},
      {{false, false, false, true, 1.0, false},
       "missing accumulation: the gradient of w2 keeps only the last sample's term; sum over the samples (+=)"},
      {{false, false, false, false, -1.0, false},
       "wrong sign in the forward pass: the predictions subtract b2 instead of adding it (so every gradient is off)"},
      {{false, false, false, false, 2.0, false},
       "an extra factor 2 in the forward pass: the predictions add 2·b2 (so every gradient is off)"},
      {{false, false, false, false, 1.0, true},
       "missing accumulation in the forward pass: each prediction was overwritten by b2 (= instead of +=)"},
  };
  for (const Model& model : models)
    if (mistakes::matches(got, net_gradient_with(net, data, model.mistake), e.want)) {
      v.diagnosis = model.text;
      return v;
    }
  v.diagnosis = generic_diagnosis(got, e.want);
  if (v.diagnosis.empty()) v.diagnosis = diagnose_blocks(net, got, e, tol, "the gradient of ");
  return v;
}

/// How one parameter block is updated by a mistaken step.
enum class StepMistake { none, uphill, no_rate, overwrite, twice, no_gradient };

/// The parameters after `steps` steps where block `block` (or every block when
/// block < 0) is updated with `mistake`.
Vec steps_with(ad::TwoLayerNet net, const ad::Dataset& data, double lr, int steps, int block, StepMistake mistake) {
  for (int s = 0; s < steps; ++s) {
    const ad::NetGradient g = ad::gradient(net, data);
    int b = 0;
    const auto update = [&](double& p, double grad) {
      const StepMistake m = (block < 0 || block == b) ? mistake : StepMistake::none;
      switch (m) {
        case StepMistake::none: p -= lr * grad; break;
        case StepMistake::uphill: p += lr * grad; break;
        case StepMistake::no_rate: p -= grad; break;
        case StepMistake::overwrite: p = lr * grad; break;
        case StepMistake::twice: p -= 2.0 * lr * grad; break;
        case StepMistake::no_gradient: p -= lr; break;
      }
    };
    for (std::size_t k = 0; k < net.w1.size(); ++k) update(net.w1[k], g.w1[k]);
    b = 1;
    for (std::size_t k = 0; k < net.b1.size(); ++k) update(net.b1[k], g.b1[k]);
    b = 2;
    for (std::size_t k = 0; k < net.w2.size(); ++k) update(net.w2[k], g.w2[k]);
    b = 3;
    update(net.b2, g.b2);
  }
  return flatten(net);
}

TaskVerdict judge_network_step(const Task& t, const std::string& label, const Vec& got, const Tolerance& tol) {
  const ad::TwoLayerNet net0 = net_of(t);
  const ad::Dataset data = data_of(t);
  const double lr = t.scalars[1];
  ad::TwoLayerNet net = net0;
  for (int s = 0; s < t.steps; ++s) ad::sgd_step(net, ad::gradient(net, data), lr);
  const Expected e{flatten(net), finite_bounds(bounds::network_step_bounds(net0, data, lr, t.steps))};
  TaskVerdict v;
  const auto m = worst_mismatch(got, e, tol);
  if (!m) {
    v.passed = true;
    return v;
  }
  v.message = label + ": after " + std::to_string(t.steps) + " step(s), " + mismatch_text(parameter_name(net, m->index, ""), *m);
  struct Model {
    StepMistake mistake;
    const char* text;  // "%" is where the parameters go
  };
  static const Model models[] = {
      {StepMistake::uphill, "wrong sign: the step of % went uphill (p + lr·g instead of p - lr·g)"},
      {StepMistake::no_rate, "a missing factor: the learning rate is missing from the step of % (p - g)"},
      {StepMistake::overwrite, "missing accumulation: % was overwritten by lr·g instead of updated (p -= lr·g)"},
      {StepMistake::twice, "an extra factor 2 in the step of % (p - 2·lr·g)"},
      {StepMistake::no_gradient, "a missing factor: the step of % lacks the gradient (p - lr instead of p - lr·g)"},
  };
  static const char* const names[] = {"W1", "b1", "w2", "b2"};
  for (int block = -1; block < 4 && v.diagnosis.empty(); ++block)
    for (const Model& model : models) {
      if (!mistakes::matches(got, steps_with(net0, data, lr, t.steps, block, model.mistake), e.want)) continue;
      std::string text = model.text;
      text.replace(text.find('%'), 1, block < 0 ? "every parameter" : names[block]);
      v.diagnosis = text;
      break;
    }
  if (v.diagnosis.empty())
    v.diagnosis = diagnose_blocks(net, got, e, tol, "after the step(s), ") +
                  "; the step or the gradient it uses is wrong (check the network_gradient problem first)";
  return v;
}

// ---------------------------------------------------------------- oracle agreement

/// How far finite differences may lie from the reference before staff are
/// told: four times the difference's own error estimate, plus the reference's
/// rounding bound.
bool oracles_agree(const FdEstimate& fd, double ad, double ad_bound) {
  if (!fd.ok) return true;  // no estimate here (a boundary within reach): nothing to compare
  return std::fabs(fd.value - ad) <= 4.0 * fd.error + rounding_safety * ad_bound + 1e-13 * std::fabs(ad);
}

std::string disagreement_note(double fd, double ad) {
  return "grader note: finite differences (" + num(fd) + ") and the reference AD (" + num(ad) +
         ") disagree on a derivative here; the case may sit on a kink or near a singularity. Please tell the course "
         "staff.";
}

/// Whether the reference gradient `want` of L at p agrees with finite
/// differences along three random directions (cost independent of p's size).
/// They always should: a disagreement means the case sits on a kink or near a
/// singularity, or that the reference is wrong, and staff should look.
std::string directional_disagreement(const std::function<double(const Vec&)>& L, const Vec& p, const Vec& want,
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
    const FdEstimate d = fd_directional(L, p, v);
    // The reference's dot product itself rounds: u·Σ|terms| per term.
    if (!oracles_agree(d, dot, bounds::unit * static_cast<double>(p.size()) * magnitude))
      return disagreement_note(d.value, dot);
  }
  return "";
}

Vec concat(std::initializer_list<const Vec*> parts) {
  Vec out;
  for (const Vec* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

/// Checks the two oracles against each other for one task; returns a note for staff, or "".
std::string check_oracles(const Task& t, std::uint64_t seed, KinkRule rule) {
  switch (t.kind) {
    case TaskKind::timing: return "";  // no oracle: judged by judge_complexity
    case TaskKind::forward_gradient:
    case TaskKind::reverse_gradient:
    case TaskKind::jacobian_forward:
    case TaskKind::jacobian_reverse: {
      for (const Expression& f : parse_functions(t)) {
        // At a kink (a case about the kink) a two-sided difference means nothing.
        if (!kink_at(f, t.point).empty()) continue;
        const ExpectedGradient e = expected_gradient(f, t.point, rule);
        const std::vector<FdEstimate> fd = fd_gradient(f, t.point);
        for (std::size_t j = 0; j < fd.size(); ++j)
          if (!oracles_agree(fd[j], e.gradient.want[j], e.gradient.bound[j]))
            return disagreement_note(fd[j].value, e.gradient.want[j]);
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
      return directional_disagreement(L, t.matrices[1].values, dz, seed);
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
      return directional_disagreement(L, concat({&p0, &x0}), want, seed);
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
      return directional_disagreement(L, concat({&x.values(), &w.values()}), concat({&dx.values(), &dw.values()}), seed);
    }
    case TaskKind::network_gradient:
    case TaskKind::network_step: {  // L(params) = loss(net(params), data)
      const ad::TwoLayerNet net = net_of(t);
      const ad::Dataset data = data_of(t);
      const auto unflatten = [&](const Vec& p) {
        ad::TwoLayerNet n = net;
        std::size_t k = 0;
        for (ad::Matrix* m : {&n.w1, &n.b1, &n.w2})
          for (std::size_t i = 0; i < m->size(); ++i) (*m)[i] = p[k++];
        n.b2 = p[k];
        return n;
      };
      const auto L = [&](const Vec& p) { return ad::loss(unflatten(p), data); };
      // The loss has a kink wherever a hidden pre-activation crosses 0: the
      // difference is taken along a line, so stay within the nearest one.
      std::uint64_t state = seed;
      const Vec p0 = flatten(net), want = flatten(ad::gradient(net, data));
      for (int k = 0; k < 3; ++k) {
        Vec v(p0.size());
        for (double& x : v) x = ad::splitmix_uniform(state);
        const ad::TwoLayerNet dir = unflatten(v);  // biases and weights of the direction, as a net
        double reach = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < data.x.rows(); ++i)
          for (std::size_t j = 0; j < net.w1.rows(); ++j) {
            double z = net.b1[j], dz = dir.b1[j];
            for (std::size_t c = 0; c < net.w1.cols(); ++c) {
              z += data.x(i, c) * net.w1(j, c);
              dz += data.x(i, c) * dir.w1(j, c);
            }
            if (dz != 0.0) reach = std::min(reach, std::fabs(z) / std::fabs(dz));
          }
        double dot = 0.0, magnitude = 0.0;
        for (std::size_t i = 0; i < p0.size(); ++i) {
          dot += want[i] * v[i];
          magnitude += std::fabs(want[i] * v[i]);
        }
        Vec x(p0.size());
        const auto g = [&](double s) {
          for (std::size_t i = 0; i < p0.size(); ++i) x[i] = p0[i] + s * v[i];
          return L(x);
        };
        double scale = 1.0;
        for (double q : p0) scale = std::max(scale, std::fabs(q));
        const FdEstimate d = ridders_derivative(g, std::min(0.1 * scale, 0.5 * reach), scale);
        if (!oracles_agree(d, dot, 64.0 * bounds::unit * magnitude)) return disagreement_note(d.value, dot);
      }
      return "";
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
    case TaskKind::timing: return 0;  // judged by judge_complexity
  }
  return 0;
}

/// "… has shape 3x2, expected 2x3": a result of the transposed shape.
bool transposed_shape(const std::string& message) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  const auto at = message.find("has shape ");
  if (at == std::string::npos) return false;
  return std::sscanf(message.c_str() + at, "has shape %ux%u, expected %ux%u", &a, &b, &c, &d) == 4 && a == d &&
         b == c && a != b;
}

std::string describe_error(const protocol::Reply& r) {
  if (r.category == "not_implemented") return r.message;
  if (r.category == "shape_error") return "your code threw ad::ShapeError: " + r.message;
  if (r.category == "bad_result") {
    std::string s = "your code returned a result of the wrong shape: " + r.message;
    if (transposed_shape(r.message)) s += " (the transpose of the right shape: a missing or extra transpose?)";
    return s;
  }
  if (r.category == "out_of_memory") return "your code ran out of memory (std::bad_alloc)";
  if (r.category == "exception") return "your code threw an exception: " + r.message;
  if (r.category == "unknown_exception") return "your code threw something that is not a std::exception";
  return "the probe reported an error (" + r.category + "): " + r.message;
}

/// The verdict on a well-formed reply, by kind.
TaskVerdict judge_values(const Task& t, const std::string& label, const Vec& values, const Tolerance& tol,
                         KinkRule rule) {
  switch (t.kind) {
    case TaskKind::forward_gradient: return judge_forward_gradient(t, label, values, tol, rule);
    case TaskKind::reverse_gradient: return judge_reverse_gradient(t, label, values, tol, rule);
    case TaskKind::jacobian_forward:
    case TaskKind::jacobian_reverse: return judge_jacobian(t, label, values, tol, rule);
    case TaskKind::vjp_add: return judge_vjp_add(t, label, values, tol);
    case TaskKind::vjp_scale: return judge_vjp_scale(t, label, values, tol);
    case TaskKind::vjp_matmul: return judge_vjp_matmul(t, label, values, tol);
    case TaskKind::network_gradient: return judge_network_gradient(t, label, values, tol);
    case TaskKind::network_step: return judge_network_step(t, label, values, tol);
    case TaskKind::timing: break;  // judged by judge_complexity
  }
  return {};
}

/// The kink rule of the case a task belongs to ("zero", the course's, unless the case states another).
KinkRule kink_rule_of(const Plan& plan, std::size_t task) {
  if (task >= plan.task_case.size() || plan.task_case[task] >= plan.cases.size()) return KinkRule::zero;
  const CaseSpec& c = plan.problem->cases[plan.cases[plan.task_case[task]].spec_index];
  return mistakes::parse_kink_rule(c.kink).value_or(KinkRule::zero);
}

}  // namespace

std::optional<TaskVerdict> verdict_without_numbers(const std::string& label, const TaskOutcome& outcome) {
  if (outcome.state == TaskOutcome::State::replied && outcome.reply.ok) return std::nullopt;
  TaskVerdict v;
  if (outcome.state != TaskOutcome::State::replied) {
    v.message = label + ": " + outcome.failure;
  } else {
    v.not_implemented = outcome.reply.category == "not_implemented";
    v.message = label + ": " + describe_error(outcome.reply);
  }
  return v;
}

TaskVerdict judge_task(const Plan& plan, std::size_t task, const TaskOutcome& outcome) {
  const Task& t = plan.tasks[task];
  if (t.kind == TaskKind::timing) return judge_complexity(plan, task, outcome);  // judge_complexity.cpp
  const std::string& label = plan.labels[task];
  if (auto failed = verdict_without_numbers(label, outcome)) return *failed;
  TaskVerdict v;
  const protocol::Reply& r = outcome.reply;
  const std::size_t want_count = expected_count(t);
  if (r.values.size() != want_count) {
    v.message = label + ": the probe returned " + std::to_string(r.values.size()) + " numbers, expected " +
                std::to_string(want_count);
    return v;
  }
  const Tolerance& tol = plan.problem->tolerance;
  const KinkRule rule = kink_rule_of(plan, task);
  v = judge_values(t, label, r.values, tol, rule);
  v.oracle_note = check_oracles(t, plan.seed ^ (0x9E3779B97F4A7C15ULL * (task + 1)), rule);
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
      } else if (cr.diagnosis.empty() && !v.diagnosis.empty()) {
        cr.diagnosis = v.diagnosis;  // a later task of the case may say what the first could not
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
