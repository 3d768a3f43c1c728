#pragma once
/// \file What the benchmark's parts share: registering a timed workload, and
/// the network of the peer table.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grader/workload.hpp"

namespace adbench {

/// Makes a workload (outside the timed loop).
using Factory = std::function<std::unique_ptr<grader::timing::Workload>()>;

/// Registers the benchmark `name`: it makes the workload, runs it once untimed
/// (so that tapes have grown to size), checks its result against `expected`
/// when given (relative 1e-9; a mismatch skips the benchmark with an error),
/// then times run() per iteration. `counters` describe the configuration
/// (n, m, h, w) and are copied into Google Benchmark's JSON.
void add(const std::string& name, const std::map<std::string, double>& counters, Factory make,
         std::function<std::vector<double>()> expected = {});

/// The network of the peer table: `layers` tanh layers, w inputs, w-wide
/// interior, one output (so the last weight matrix is 1 × w, the others w × w).
std::vector<std::size_t> peer_widths(std::size_t w, std::size_t layers);

/// The gradient of the peer network's output by the reference (the expected result of every tool).
std::vector<double> reference_gradient(std::size_t w, std::size_t layers);

/// The point every tool differentiates at (the same for all, entries in [-1, 1]).
std::vector<double> peer_point(std::size_t n);

/// Seed of the weights of every benchmarked chain.
constexpr std::uint64_t chain_seed = 2024;

#ifdef ADC_HAVE_ADOLC
/// ADOL-C: tape with trace_on/trace_off and one reverse sweep, every iteration.
void register_adolc(const std::vector<std::size_t>& widths, std::size_t layers);
#endif
#ifdef ADC_HAVE_SACADO
/// Sacado: Rad (reverse, tape rebuilt every iteration) and SFad<N> (vector forward).
void register_sacado(const std::vector<std::size_t>& widths, std::size_t layers);
#endif
#ifdef ADC_HAVE_EIGEN
/// Eigen: AutoDiffScalar with a fixed-size derivative vector (vector forward).
void register_eigen(const std::vector<std::size_t>& widths, std::size_t layers);
#endif

}  // namespace adbench
