#pragma once
/// \file The probe's timing task (complexity problems, `grader bench
/// --submission`): the submission's workloads, timed beside the reference's
/// in the same process.
///
/// Included by probe_main.cpp, so it is compiled with the submission's own
/// headers: ad_workloads.hpp here runs the submission's code, and
/// grader::timing::reference_workload (in the probe support library, the
/// reference compiled under a hidden name) runs the reference's. The
/// measurement itself (a forked child stopped at a budget) is in
/// grader/src/timing.cpp.

#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

// The probe needs the workloads the complexity problems and `grader bench`
// time, not vector mode: DualVec<N> for nine N would only slow every build.
#define ADC_WORKLOADS_NO_VECTOR_MODE 1
#include "ad/error.hpp"
#include "ad_workloads.hpp"
#include "grader/protocol.hpp"
#include "grader/timing.hpp"
#include "grader/workload.hpp"

namespace {

/// The category of an exception the submission threw while measured, as the probe reports it.
grader::timing::MeasureError classify_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const ad::NotImplemented& x) {
    return {"not_implemented", x.what()};
  } catch (const ad::ShapeError& x) {
    return {"shape_error", x.what()};
  } catch (const std::bad_alloc&) {
    return {"out_of_memory", "ran out of memory (std::bad_alloc)"};
  } catch (const std::exception& x) {
    return {"exception", x.what()};
  } catch (...) {
    return {"unknown_exception", "threw something that is not a std::exception"};
  }
}

/// Throws what the measured code threw, as far as the probe's categories go,
/// so that the probe reports it as it reports every other task's.
[[noreturn]] void rethrow_measured(const grader::timing::MeasureError& e) {
  if (e.category == "not_implemented") throw ad::NotImplemented(e.message);
  if (e.category == "shape_error") throw ad::ShapeError(e.message);
  if (e.category == "out_of_memory") throw std::bad_alloc();
  if (e.category == "unknown_exception") throw 0;  // reported as "not a std::exception", as it was
  throw std::runtime_error(e.message);
}

/// The submission's workload of a spec.
std::unique_ptr<grader::timing::Workload> submission_workload(const grader::timing::WorkloadSpec& spec) {
  return ad_workloads::make_workload(spec);
}

/// TaskKind::timing: the reply layout is grader::timing::encode_growth's.
std::vector<double> timing_task(const grader::protocol::Task& t) {
  grader::timing::GrowthMeasurement m;
  grader::timing::MeasureError error;
  if (!grader::timing::measure_growth(t, &submission_workload, &grader::timing::reference_workload,
                                      &classify_exception, m, error))
    rethrow_measured(error);
  return grader::timing::encode_growth(m);
}

}  // namespace
