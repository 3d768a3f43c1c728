#pragma once
/// \file The workloads of grader/workload.hpp written against the AD library's
/// public API (namespace `ad`).
///
/// Included once per AD implementation: by the benchmark (the reference), by
/// the probe (a submission, compiled with its own headers) and by
/// grader/src/reference_workloads.cpp (the reference with `ad` renamed). All
/// of it has internal linkage, so the copies never meet; each includer calls
/// ad_workloads::make_workload from its own named factory. With
/// ADC_WORKLOADS_NO_VECTOR_MODE defined to 1, vector mode (nine DualVec<N>
/// instantiations of the chain) is left out, to keep probe builds quick.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ad/chain.hpp"
#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/jacobian.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"
#include "grader/workload.hpp"

namespace {
namespace ad_workloads {

using grader::timing::Graph;
using grader::timing::Method;
using grader::timing::Workload;
using grader::timing::WorkloadSpec;

/// The parts every chain workload shares: the chain, the point and the result.
class ChainWorkload : public Workload {
 public:
  explicit ChainWorkload(const WorkloadSpec& spec)
      : chain_(ad::ChainSpec{spec.widths, spec.seed, ad::Activation::tanh}), x_(grader::timing::input_point(spec)) {}
  std::vector<double> result() const override { return result_; }

 protected:
  std::size_t n() const { return chain_.inputs(); }
  std::size_t m() const { return chain_.outputs(); }
  ad::Chain chain_;
  std::vector<double> x_;
  std::vector<double> result_;
};

class Primal final : public ChainWorkload {
 public:
  using ChainWorkload::ChainWorkload;
  void run() override { result_ = chain_(x_); }
};

/// One Dual pass per input, through the library's own driver.
class Forward final : public ChainWorkload {
 public:
  using ChainWorkload::ChainWorkload;
  void run() override { result_ = ad::jacobian_forward(chain_, x_).values(); }
};

/// N tangents per pass. With n <= N (the benchmark's case) one pass, written
/// out as the peers' workloads are (seed, evaluate, read the tangents into a
/// reused buffer); otherwise the library's driver, ceil(n/N) passes.
template <std::size_t N>
class ForwardVector final : public ChainWorkload {
 public:
  using ChainWorkload::ChainWorkload;
  void run() override {
    if (n() > N) {
      result_ = ad::jacobian_forward_vector<N>(chain_, x_).values();
      return;
    }
    std::vector<ad::DualVec<N>> x(n());
    for (std::size_t i = 0; i < n(); ++i) x[i] = ad::DualVec<N>::seed(x_[i], i);
    const std::vector<ad::DualVec<N>> y = chain_(x);
    result_.resize(m() * n());
    for (std::size_t i = 0; i < m(); ++i)
      for (std::size_t j = 0; j < n(); ++j) result_[i * n() + j] = y[i].tangent[j];
  }
};

/// Record the chain as scalar operations, then one sweep per output. The tape
/// keeps its memory between runs (Tape::clear), as the tapes of ADOL-C and
/// Sacado do; every run records afresh.
class Reverse final : public ChainWorkload {
 public:
  using ChainWorkload::ChainWorkload;
  void run() override {
    tape_.clear();
    xs_.clear();
    for (double v : x_) xs_.push_back(tape_.variable(v));
    const std::vector<ad::Var> y = chain_(xs_);
    result_.resize(y.size() * xs_.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      tape_.backward(y[i]);
      for (std::size_t j = 0; j < xs_.size(); ++j) result_[i * xs_.size() + j] = tape_.adjoint(xs_[j]);
    }
  }

 private:
  ad::Tape tape_;
  std::vector<ad::Var> xs_;
};

/// Record the chain as tensor nodes (one dense node, tanh(W x + b), per layer), then one sweep per output.
class ReverseTensor final : public ChainWorkload {
 public:
  explicit ReverseTensor(const WorkloadSpec& spec) : ChainWorkload(spec), input_(ad::Matrix::column(x_)) {}
  void run() override {
    tape_.clear();
    const ad::TensorVar x = tape_.variable(input_);
    const ad::TensorVar y = chain_(tape_, x);
    result_.resize(y.size() * x_.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
      tape_.backward(y[i]);
      for (std::size_t j = 0; j < x_.size(); ++j) result_[i * x_.size() + j] = tape_.adjoint(x[j]);
    }
  }

 private:
  ad::Matrix input_;
  ad::Tape tape_;
};

/// ad::gradient of output 0: what a submission's reverse mode costs, fresh tape included.
class Gradient final : public ChainWorkload {
 public:
  using ChainWorkload::ChainWorkload;
  void run() override {
    result_ = ad::gradient([this](const auto& x) { return chain_(x)[0]; }, x_);
  }
};

/// Backpropagation of output 0 written by hand for this network: the forward
/// pass keeps the activations, the backward pass multiplies by Wᵀ and (1 - a²).
class Backprop final : public ChainWorkload {
 public:
  explicit Backprop(const WorkloadSpec& spec) : ChainWorkload(spec) {
    activations_.resize(chain_.layers() + 1);
    for (std::size_t l = 0; l <= chain_.layers(); ++l) activations_[l].resize(chain_.spec().widths[l]);
    std::size_t widest = 0;
    for (std::size_t w : chain_.spec().widths) widest = std::max(widest, w);
    g_.resize(widest);
    g_next_.resize(widest);
  }
  void run() override {
    using std::tanh;
    activations_[0] = x_;
    for (std::size_t l = 0; l < chain_.layers(); ++l) {
      const ad::Matrix& w = chain_.weight(l);
      const ad::Matrix& b = chain_.bias(l);
      const double* a = activations_[l].data();
      double* out = activations_[l + 1].data();
      for (std::size_t i = 0; i < w.rows(); ++i) {
        const double* wi = w.data() + i * w.cols();
        double acc = a[0] * wi[0] + b[i];
        for (std::size_t j = 1; j < w.cols(); ++j) acc += a[j] * wi[j];
        out[i] = tanh(acc);
      }
    }
    // dy/da_L is e_0; dz = g ⊙ (1 - a²); g ← Wᵀ dz.
    std::fill(g_.begin(), g_.end(), 0.0);
    g_[0] = 1.0;
    for (std::size_t l = chain_.layers(); l-- > 0;) {
      const ad::Matrix& w = chain_.weight(l);
      const double* a = activations_[l + 1].data();
      std::fill(g_next_.begin(), g_next_.begin() + static_cast<std::ptrdiff_t>(w.cols()), 0.0);
      for (std::size_t i = 0; i < w.rows(); ++i) {
        const double dz = g_[i] * (1.0 - a[i] * a[i]);
        const double* wi = w.data() + i * w.cols();
        for (std::size_t j = 0; j < w.cols(); ++j) g_next_[j] += dz * wi[j];
      }
      std::swap(g_, g_next_);
    }
    result_.assign(g_.begin(), g_.begin() + static_cast<std::ptrdiff_t>(n()));
  }

 private:
  std::vector<std::vector<double>> activations_;
  std::vector<double> g_, g_next_;
};

/// ad::diamond_chain on one input: the gradient by ad::gradient or the derivative by ad::jacobian_forward.
class Diamonds final : public Workload {
 public:
  explicit Diamonds(const WorkloadSpec& spec)
      : method_(spec.method), depth_(static_cast<int>(spec.depth)), x_(grader::timing::input_point(spec)) {}
  void run() override {
    switch (method_) {
      case Method::primal: result_ = {ad::diamond_chain(x_[0], depth_)}; return;
      case Method::forward:
        result_ = ad::jacobian_forward([this](const auto& x) { return std::vector{ad::diamond_chain(x[0], depth_)}; },
                                       x_)
                      .values();
        return;
      default:
        result_ = ad::gradient([this](const auto& x) { return ad::diamond_chain(x[0], depth_); }, x_);
        return;
    }
  }
  std::vector<double> result() const override { return result_; }

 private:
  Method method_;
  int depth_;
  std::vector<double> x_;
  std::vector<double> result_;
};

/// Vector mode with N the next power of two >= n (at most 256; more inputs take several passes).
std::unique_ptr<Workload> make_forward_vector(const WorkloadSpec& spec) {
#if ADC_WORKLOADS_NO_VECTOR_MODE
  (void)spec;
  throw std::invalid_argument("forward_vector: not compiled in here (ADC_WORKLOADS_NO_VECTOR_MODE)");
#else
  const std::size_t n = spec.widths.front();
  if (n <= 1) return std::make_unique<ForwardVector<1>>(spec);
  if (n <= 2) return std::make_unique<ForwardVector<2>>(spec);
  if (n <= 4) return std::make_unique<ForwardVector<4>>(spec);
  if (n <= 8) return std::make_unique<ForwardVector<8>>(spec);
  if (n <= 16) return std::make_unique<ForwardVector<16>>(spec);
  if (n <= 32) return std::make_unique<ForwardVector<32>>(spec);
  if (n <= 64) return std::make_unique<ForwardVector<64>>(spec);
  if (n <= 128) return std::make_unique<ForwardVector<128>>(spec);
  return std::make_unique<ForwardVector<256>>(spec);
#endif
}

/// The workload of a spec; throws std::invalid_argument for one it cannot run.
[[maybe_unused]] std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec) {
  if (spec.graph == Graph::diamonds) {
    if (spec.depth == 0) throw std::invalid_argument("diamonds: the depth must be at least 1");
    if (spec.method != Method::primal && spec.method != Method::forward && spec.method != Method::gradient &&
        spec.method != Method::reverse)
      throw std::invalid_argument(std::string("diamonds: no workload for method ") +
                                  grader::timing::to_string(spec.method));
    return std::make_unique<Diamonds>(spec);
  }
  if (spec.widths.size() < 2) throw std::invalid_argument("chain: needs at least two widths");
  switch (spec.method) {
    case Method::primal: return std::make_unique<Primal>(spec);
    case Method::forward: return std::make_unique<Forward>(spec);
    case Method::forward_vector: return make_forward_vector(spec);
    case Method::reverse: return std::make_unique<Reverse>(spec);
    case Method::reverse_tensor: return std::make_unique<ReverseTensor>(spec);
    case Method::gradient: return std::make_unique<Gradient>(spec);
    case Method::backprop: return std::make_unique<Backprop>(spec);
  }
  throw std::invalid_argument("unknown method");
}

}  // namespace ad_workloads
}  // namespace
