// Finite differences chosen per input: Ridders' extrapolation with an error
// estimate, and steps that keep clear of kinks and domain boundaries.
#include "grader/numdiff.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace grader {

namespace {

using Vec = std::vector<double>;

constexpr double eps = std::numeric_limits<double>::epsilon();

/// One critical quantity met during a spy evaluation: its value and its
/// derivative along the pass's seeded direction.
struct SpyRecord {
  Critical::Kind kind;
  ExprOp op;
  double value;
  double tangent;
};

/// Where a spy evaluation records what it meets (one evaluation at a time per thread).
std::vector<SpyRecord>& spy_log() {
  static thread_local std::vector<SpyRecord> log;
  return log;
}

/// A forward-mode number that records every critical quantity it meets.
struct Spy {
  double v = 0.0;
  double t = 0.0;
  Spy() = default;
  Spy(double value, double tangent = 0.0) : v(value), t(tangent) {}  // NOLINT: implicit, as ad::Dual
};

void note(Critical::Kind kind, ExprOp op, double value, double tangent) {
  spy_log().push_back({kind, op, value, tangent});
}

Spy operator+(const Spy& a, const Spy& b) { return {a.v + b.v, a.t + b.t}; }
Spy operator-(const Spy& a, const Spy& b) { return {a.v - b.v, a.t - b.t}; }
Spy operator*(const Spy& a, const Spy& b) { return {a.v * b.v, a.t * b.v + a.v * b.t}; }
Spy operator/(const Spy& a, const Spy& b) {
  note(Critical::Kind::boundary, ExprOp::div, b.v, b.t);
  const double q = a.v / b.v;
  return {q, (a.t - q * b.t) / b.v};
}
Spy operator-(const Spy& a) { return {-a.v, -a.t}; }
Spy sin(const Spy& a) { return {std::sin(a.v), std::cos(a.v) * a.t}; }
Spy cos(const Spy& a) { return {std::cos(a.v), -std::sin(a.v) * a.t}; }
Spy tan(const Spy& a) {
  // The pole of tan is where cos(u) = 0: that is the quantity to keep away from 0.
  note(Critical::Kind::boundary, ExprOp::tan, std::cos(a.v), -std::sin(a.v) * a.t);
  const double v = std::tan(a.v);
  return {v, (1.0 + v * v) * a.t};
}
Spy exp(const Spy& a) { return {std::exp(a.v), std::exp(a.v) * a.t}; }
Spy log(const Spy& a) {
  note(Critical::Kind::boundary, ExprOp::log, a.v, a.t);
  return {std::log(a.v), a.t / a.v};
}
Spy sqrt(const Spy& a) {
  note(Critical::Kind::boundary, ExprOp::sqrt, a.v, a.t);
  const double s = std::sqrt(a.v);
  return {s, a.t / (2.0 * s)};
}
Spy tanh(const Spy& a) {
  const double v = std::tanh(a.v);
  return {v, (1.0 - v * v) * a.t};
}
Spy abs(const Spy& a) {
  note(Critical::Kind::kink, ExprOp::abs, a.v, a.t);
  return {std::fabs(a.v), a.v > 0 ? a.t : (a.v < 0 ? -a.t : 0.0)};
}
Spy relu(const Spy& a) {
  note(Critical::Kind::kink, ExprOp::relu, a.v, a.t);
  return a.v > 0 ? a : Spy(0.0, 0.0);
}
Spy pow(const Spy& a, double p) {
  // A whole non-negative exponent is a polynomial: smooth through a = 0.
  if (!(p >= 0.0 && p == std::floor(p))) note(Critical::Kind::boundary, ExprOp::pow, a.v, a.t);
  return {std::pow(a.v, p), p == 0.0 ? 0.0 : p * std::pow(a.v, p - 1.0) * a.t};
}
Spy pow(const Spy& a, const Spy& b) {
  note(Critical::Kind::boundary, ExprOp::pow, a.v, a.t);
  const double v = std::pow(a.v, b.v);
  double t = b.v * std::pow(a.v, b.v - 1.0) * a.t;
  if (b.t != 0.0) t += v * std::log(a.v) * b.t;
  return {v, t};
}

}  // namespace

FdEstimate ridders_derivative(const std::function<double(double)>& g, double initial_step, double position) {
  constexpr int rows = 30;
  constexpr double shrink = 2.0, shrink2 = shrink * shrink;
  FdEstimate best;
  double h = initial_step;
  if (!(h > 0.0) || !std::isfinite(h)) return best;
  double gp = g(h), gm = g(-h);
  for (int tries = 0; !(std::isfinite(gp) && std::isfinite(gm)); ++tries) {
    if (tries >= 40) return best;  // nothing finite within reach: no estimate
    h /= 10.0;
    gp = g(h);
    gm = g(-h);
  }
  // a[j][i]: column j (j extrapolations) of row i (step h / 2^i). The rounding
  // error of a row's difference is about eps·|g| / h; extrapolation mixes rows
  // with weights that amplify it by less than 2, hence the factor 2 below.
  std::array<std::array<double, rows>, rows> a{};
  std::array<double, rows> rounding{};
  // Rounding: of the function values (eps·|g| / h), and of the point x ± h
  // itself (an error of eps·|x| in the step, times the slope, over h).
  const auto row_rounding = [&](double d) {
    return (eps * (std::fabs(gp) + std::fabs(gm)) + eps * position * std::fabs(d)) / h;
  };
  a[0][0] = (gp - gm) / (2.0 * h);
  rounding[0] = row_rounding(a[0][0]);
  int filled = 1;
  double err = std::numeric_limits<double>::infinity();
  for (int i = 1; i < rows; ++i) {
    h /= shrink;
    gp = g(h);
    gm = g(-h);
    if (!std::isfinite(gp) || !std::isfinite(gm)) break;
    a[0][i] = (gp - gm) / (2.0 * h);
    rounding[i] = row_rounding(a[0][i]);
    double fac = shrink2;
    for (int j = 1; j <= i; ++j) {
      a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1.0);
      fac *= shrink2;
      err = std::min(err, std::max(std::fabs(a[j][i] - a[j - 1][i]), std::fabs(a[j][i] - a[j - 1][i - 1])));
    }
    filled = i + 1;
    // Smaller steps only add rounding once it exceeds the best extrapolation.
    if (i >= 2 && 2.0 * rounding[i] > 4.0 * err) break;
  }
  if (filled < 3) return best;  // too few rows for a confirmed estimate
  // The entry with the smallest error, where an entry's error is its change
  // against its two parents and against the same column one row further: the
  // look ahead confirms it, so two large steps that agree by chance (before
  // the differences settle into their h² behaviour) are not taken for accuracy.
  double best_err = std::numeric_limits<double>::infinity();
  for (int i = 1; i + 1 < filled; ++i)
    for (int j = 1; j <= i; ++j) {
      const double e = std::max({std::fabs(a[j][i] - a[j - 1][i]), std::fabs(a[j][i] - a[j - 1][i - 1]),
                                 std::fabs(a[j][i + 1] - a[j][i]), 2.0 * rounding[i + 1]});
      if (e < best_err) {
        best_err = e;
        best.value = a[j][i];
      }
    }
  if (!std::isfinite(best_err)) return best;
  best.error = best_err + eps * std::fabs(best.value);
  best.ok = std::isfinite(best.value) && std::isfinite(best.error);
  return best;
}

FdEstimate fd_directional(const std::function<double(const Vec&)>& f, const Vec& p, const Vec& v) {
  // The step is scaled to the point itself, not floored at 1: along a
  // direction every coordinate moves, and a step far larger than a tiny
  // coordinate would round it away (its share of the derivative with it).
  double scale = 0.0, vmax = 0.0;
  for (double x : p) scale = std::max(scale, std::fabs(x));
  if (scale == 0.0) scale = 1.0;
  for (double x : v) vmax = std::max(vmax, std::fabs(x));
  if (vmax == 0.0) return {0.0, 0.0, true};
  Vec x(p.size());
  const auto g = [&](double t) {
    for (std::size_t i = 0; i < p.size(); ++i) x[i] = p[i] + t * v[i];
    return f(x);
  };
  return ridders_derivative(g, 0.1 * scale / vmax, scale / vmax);
}

std::vector<Critical> critical_points(const Expression& f, const Vec& p) {
  std::vector<Critical> out;
  const std::size_t n = p.size();
  std::vector<Spy> x(n);
  // One pass per direction; every pass meets the same critical quantities in the same order.
  for (std::size_t j = 0; j < std::max<std::size_t>(n, 1); ++j) {
    for (std::size_t i = 0; i < n; ++i) x[i] = Spy(p[i], i == j ? 1.0 : 0.0);
    spy_log().clear();
    (void)f.evaluate(x);
    const auto& log = spy_log();
    if (j == 0) {
      for (const SpyRecord& r : log) out.push_back({r.kind, r.op, r.value, Vec(n, 0.0)});
    }
    for (std::size_t k = 0; k < log.size() && k < out.size() && j < n; ++k) out[k].gradient[j] = log[k].tangent;
  }
  spy_log().clear();
  return out;
}

std::string kink_at(const Expression& f, const Vec& p) {
  std::vector<Spy> x(p.begin(), p.end());
  spy_log().clear();
  (void)f.evaluate(x);
  std::string found;
  for (const SpyRecord& r : spy_log())
    if (r.kind == Critical::Kind::kink && r.value == 0.0) {
      found = "the argument of " + to_string(r.op) + " is 0";
      break;
    }
  spy_log().clear();
  return found;
}

std::vector<FdEstimate> fd_gradient(const Expression& f, const Vec& p) {
  // The step analysis costs one pass per variable: skip it for very wide functions.
  constexpr std::size_t analysed_arity = 64;
  const std::vector<Critical> critical = p.size() <= analysed_arity ? critical_points(f, p) : std::vector<Critical>{};
  std::vector<FdEstimate> out(p.size());
  Vec x = p;
  for (std::size_t j = 0; j < p.size(); ++j) {
    double h = 0.1 * std::max(std::fabs(p[j]), 1.0);
    bool blocked = false;
    for (const Critical& c : critical) {
      const double d = std::fabs(c.gradient[j]);
      if (d == 0.0) continue;
      if (c.value == 0.0) blocked = true;  // on the kink or boundary itself along x_j
      else h = std::min(h, 0.5 * std::fabs(c.value) / d);
    }
    if (blocked) continue;  // not ok: a two-sided difference means nothing here
    const auto g = [&](double t) {
      x[j] = p[j] + t;
      const double v = f.evaluate(x);
      x[j] = p[j];
      return v;
    };
    out[j] = ridders_derivative(g, h, std::fabs(p[j]));
  }
  return out;
}

}  // namespace grader
