// The judge of complexity problems: growth of a submission's time beside the
// reference's, measured in one process, and its result at the first size.
#include "grader/judge_complexity.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/jacobian.hpp"
#include "grader/timing.hpp"

namespace grader {

namespace {

using protocol::Task;
using protocol::TimingData;
using Vec = std::vector<double>;

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// "3.2 µs", "41 ms", "1.5 s".
std::string duration(double seconds) {
  const auto two = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f" : "%.0f", v);
    return std::string(buf);
  };
  if (seconds < 1e-6) return two(seconds * 1e9) + " ns";
  if (seconds < 1e-3) return two(seconds * 1e6) + " µs";
  if (seconds < 1.0) return two(seconds * 1e3) + " ms";
  return two(seconds) + " s";
}

/// "1.1×", "63×", "4100×".
std::string times(double ratio) { return (ratio < 10 ? fixed(ratio, 1) : fixed(ratio, 0)) + "×"; }

bool chain(const TimingData& d) { return d.graph == "chain"; }

/// "n = 64" or "depth 64".
std::string size_text(const TimingData& d, double size) {
  return (chain(d) ? "n = " : "depth ") + fixed(size, 0);
}

/// "n" or "depth" (the variable of the fitted power).
std::string variable(const TimingData& d) { return chain(d) ? "n" : "depth"; }

std::string what(const TimingData& d) {
  return d.method == "gradient" ? "gradient (reverse mode)" : "Jacobian (forward mode)";
}

/// The result the submission must return at the first size, by the grader's own reference.
Vec expected_result(const Task& t) {
  const TimingData& d = t.timing;
  const timing::WorkloadSpec spec = timing::spec_at(t, d.sizes.front());
  const Vec x = timing::input_point(spec);
  if (!chain(d)) {
    const ad::Dual y = ad::diamond_chain(ad::Dual(x.at(0), 1.0), static_cast<int>(spec.depth));
    return {y.tangent};
  }
  const ad::Chain c(ad::ChainSpec{spec.widths, spec.seed, ad::Activation::tanh});
  if (d.method == "gradient") return ad::gradient([&](const auto& v) { return c(v)[0]; }, x);
  return ad::jacobian_forward(c, x).values();
}

/// Whether every entry of got is within rel·|want| (plus a hair of the largest entry) of want.
bool all_close(const Vec& got, const Vec& want, double rel, std::size_t* worst = nullptr) {
  double scale = 0.0;
  for (double w : want) scale = std::max(scale, std::fabs(w));
  bool ok = got.size() == want.size();
  double worst_err = -1.0;
  for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    const bool good = std::isfinite(got[i]) && err <= rel * (std::fabs(want[i]) + 1e-3 * scale);
    ok = ok && good;
    if (!good && (err > worst_err || !std::isfinite(got[i]))) {
      worst_err = std::isfinite(got[i]) ? err : HUGE_VAL;
      if (worst != nullptr) *worst = i;
    }
  }
  return ok;
}

/// Why the growth is wrong, in the terms of the course.
std::string growth_diagnosis(const TimingData& d, bool approximate) {
  if (d.method == "gradient" && chain(d)) {
    if (approximate)
      return "gradients by finite differences: 2n evaluations of f, and only approximate; one backward sweep gives "
             "the exact gradient for a fixed multiple of one evaluation, whatever n";
    return "the cost of the gradient grows with the number of inputs: one pass per input (a \"reverse mode\" that "
           "runs n forward passes, or finite differences) instead of one backward sweep over the tape";
  }
  if (d.method == "gradient")
    return "the backward sweep walks every path from the output (exponential in depth: each diamond doubles the "
           "paths); visit each node once, from the last recorded to the first, adding adjoint × partial into its "
           "operands";
  if (chain(d))
    return "forward mode needs one Dual pass per input, each costing about one evaluation: its time must grow "
           "linearly in n, not faster";
  return "forward mode costs a fixed multiple of one evaluation, so it must grow linearly in depth";
}

std::string signal_text(int sig) {
  const char* name = sig > 0 ? ::strsignal(sig) : nullptr;
  return name != nullptr ? std::string("signal ") + std::to_string(sig) + " (" + name + ")" : "an error";
}

/// The series "1.1× at n = 4, 4.2× at n = 16, …".
std::string ratio_series(const TimingData& d, const timing::GrowthMeasurement& m) {
  std::string s;
  for (const timing::SizeTiming& t : m.sizes)
    s += (s.empty() ? "" : ", ") + times(t.submission / t.reference) + " at " + size_text(d, t.size);
  return s;
}

}  // namespace

TaskVerdict judge_complexity(const Plan& plan, std::size_t task, const TaskOutcome& outcome) {
  const Task& t = plan.tasks[task];
  const TimingData& d = t.timing;
  const std::string& label = plan.labels[task];
  const CaseSpec& spec = plan.problem->cases[plan.cases[plan.task_case[task]].spec_index];
  if (auto failed = verdict_without_numbers(label, outcome)) return *failed;
  TaskVerdict v;
  const protocol::Reply& r = outcome.reply;
  timing::GrowthMeasurement m;
  try {
    m = timing::decode_growth(r.values);
  } catch (const std::invalid_argument& e) {
    v.message = label + ": the probe returned malformed timings (" + e.what() + ")";
    return v;
  }

  // The result first: timing a wrong computation says nothing.
  bool approximate = false;
  if (!m.result.empty() || m.stop == timing::Stop::completed) {
    const Vec want = expected_result(t);
    std::size_t worst = 0;
    if (m.result.size() != want.size()) {
      v.message = label + ": at " + size_text(d, static_cast<double>(d.sizes.front())) + " your " + what(d) +
                  " has " + std::to_string(m.result.size()) + " entries, expected " + std::to_string(want.size());
      return v;
    }
    if (!all_close(m.result, want, 1e-9, &worst)) {
      approximate = all_close(m.result, want, 1e-5);
      if (!approximate) {
        v.message = label + ": at " + size_text(d, static_cast<double>(d.sizes.front())) + " your " + what(d) +
                    " is wrong: entry " + std::to_string(worst) + " expected " + num(want[worst]) + ", got " +
                    num(m.result[worst]) + "; its cost is only judged once it is right";
        v.diagnosis = d.method == "gradient" ? "fix reverse mode first (see the reverse-mode problems)"
                                             : "fix forward mode first (see the forward-mode problems)";
        return v;
      }
    }
  }

  Vec sizes, ratio, mine, theirs;
  for (const timing::SizeTiming& s : m.sizes) {
    sizes.push_back(s.size);
    ratio.push_back(s.submission / s.reference);
    mine.push_back(s.submission);
    theirs.push_back(s.reference);
  }
  const std::string x = variable(d);
  const double growth = timing::fitted_exponent(sizes, ratio);
  std::string measured;
  if (m.sizes.size() >= 2)
    measured = "your time grew like " + x + "^" + fixed(timing::fitted_exponent(sizes, mine), 2) +
               ", the reference's like " + x + "^" + fixed(timing::fitted_exponent(sizes, theirs), 2) +
               " (your time / the reference's: " + ratio_series(d, m) + ")";
  else if (m.sizes.size() == 1)
    measured = "your time / the reference's: " + ratio_series(d, m);

  if (m.stop == timing::Stop::first_call) {
    // Not one call ended: nothing was measured, so no growth to name.
    v.message = label + ": your " + what(d) + " did not finish even one call at " + size_text(d, m.stopped_at) +
                " within " + duration(t.timing.first_call_seconds) + " (an endless loop?)";
    return v;
  }
  if (m.stop != timing::Stop::completed) {
    std::string stopped = m.stop == timing::Stop::budget
                              ? "your " + what(d) + " had not finished at " + size_text(d, m.stopped_at) + " when the " +
                                    duration(spec.budget_seconds) + " measuring budget ran out"
                              : "the measuring process ended with " + signal_text(static_cast<int>(m.signal)) +
                                    " at " + size_text(d, m.stopped_at);
    v.message = label + ": " + stopped + (measured.empty() ? "" : "; before that, " + measured);
    v.diagnosis = growth_diagnosis(d, approximate);
    return v;
  }
  if (m.sizes.size() != d.sizes.size()) {
    v.message = label + ": the probe measured " + std::to_string(m.sizes.size()) + " of " +
                std::to_string(d.sizes.size()) + " sizes";
    return v;
  }
  if (growth > spec.max_exponent) {
    v.message = label + ": " + measured + "; the ratio may grow at most like " + x + "^" +
                fixed(spec.max_exponent, 2) + ", it grew like " + x + "^" + fixed(growth, 2);
    v.diagnosis = growth_diagnosis(d, approximate);
    return v;
  }
  if (approximate) {
    v.message = label + ": your " + what(d) + " matches finite differences but not the exact derivative";
    v.diagnosis = growth_diagnosis(d, true);
    return v;
  }
  v.passed = true;
  return v;
}

}  // namespace grader
