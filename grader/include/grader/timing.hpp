#pragma once
/// \file Timing a submission beside the reference, in one process, on graphs
/// of growing size: what the complexity problems and `grader bench
/// --submission` measure.
///
/// The probe calls measure_growth() with two workload factories: the
/// submission's (grader/probe/ad_workloads.hpp compiled with its headers) and
/// the reference's (reference_workload). For every size in turn it times both,
/// and the reference's primal, in the same child process, alternating them,
/// in batches of CPU time (CLOCK_THREAD_CPUTIME_ID), and keeps the median of
/// each; noise from a busy machine then hits both alike and cancels in their
/// ratio. The child is forked so that the measurement can be stopped at a
/// budget: a submission whose time explodes (a sweep that walks every path)
/// is stopped after the budget, not at the sandbox's limit, and what was
/// measured until then is kept.
///
/// Compiled into the probe support library: no ad/ header is included here.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "grader/protocol.hpp"
#include "grader/workload.hpp"

namespace grader::timing {

/// One size measured: per-call CPU seconds (medians of the batches).
struct SizeTiming {
  double size = 0.0;        ///< n (chain inputs) or depth (diamonds)
  double submission = 0.0;  ///< the submission's method
  double reference = 0.0;   ///< the reference's method
  double primal = 0.0;      ///< the reference's primal (ratios to it)
};

/// How a measurement ended.
enum class Stop {
  completed = 0,  ///< every size was measured
  budget = 1,     ///< the budget ran out while measuring `stopped_at`
  crashed = 2,    ///< the measuring process died (signal `signal`) while measuring `stopped_at`
  first_call = 3, ///< the submission's first call (at the first size) did not end within first_call_seconds
};

/// What measure_growth found.
struct GrowthMeasurement {
  Stop stop = Stop::completed;
  double stopped_at = 0.0;       ///< the size being measured when it stopped (budget, crashed)
  double signal = 0.0;           ///< crashed: the signal that ended the measuring process
  double seconds = 0.0;          ///< wall time of the whole measurement
  std::vector<SizeTiming> sizes; ///< the sizes measured, in order
  std::vector<double> result;    ///< the submission's result at the first size (gradient or Jacobian)
};

/// The numbers of a reply, in a fixed layout: stop, stopped_at, signal,
/// seconds, count, then count × (size, submission, reference, primal), then
/// the result.
std::vector<double> encode_growth(const GrowthMeasurement& m);
/// The inverse of encode_growth; throws std::invalid_argument on a malformed layout.
GrowthMeasurement decode_growth(const std::vector<double>& values);

/// The workload spec of a timing request at one size (the submission's
/// method, or `method` when given, e.g. primal).
WorkloadSpec spec_at(const protocol::Task& task, std::size_t size, const std::string& method = "");

/// An error the submission raised while measured (an exception's category and message).
struct MeasureError {
  std::string category;  ///< as in protocol replies: not_implemented, exception, …
  std::string message;   ///< what() of the exception
};

/// Names the exception the submission threw (the probe knows its exception types; this file does not).
using ErrorClassifier = MeasureError (*)(std::exception_ptr);

/// Measures a timing task in a forked child, stopped after
/// task.timing.budget_seconds of wall time. Returns false and fills `error`
/// when the submission threw (nothing is measured past that point); throws
/// std::runtime_error when the child cannot be started.
bool measure_growth(const protocol::Task& task, WorkloadFactory submission, WorkloadFactory reference,
                    ErrorClassifier classify, GrowthMeasurement& out, MeasureError& error);

/// Per-call CPU seconds of a workload: median of `repeats` batches, each of
/// enough calls to last about `batch_seconds` (at least one call).
double time_per_call(Workload& w, int repeats, double batch_seconds);

// ---- fits, shared by the judge and the benchmark summary

/// Least-squares slope of log(y) against log(x) (the exponent k of y ∝ x^k);
/// needs two distinct positive x and positive y, else returns 0.
double fitted_exponent(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace grader::timing
