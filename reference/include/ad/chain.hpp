#pragma once
/// \file The one chain-graph generator: dense layers of any widths w0 → w1 → … → wL.
///
/// Layer l maps x (w_l entries) to act(W_l x + b_l) (w_{l+1} entries). Weights
/// and biases come from a seed alone (splitmix64, so every platform and
/// compiler draws the same numbers), scaled by 1/sqrt(fan-in) so that tanh does
/// not saturate on deep chains. The same Chain evaluates on double, Dual,
/// DualVec<N> and Var (scalar operations), and on a Tape as one dense node per
/// layer, act(W x + b) (dense_tanh, dense_relu; the weights stay in the Chain:
/// the tape points to them, so the Chain must outlive the tape's sweeps). The reference tests, the benchmark and
/// the complexity problems all build their graphs here.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ad/tape.hpp"
#include "ad/tensor.hpp"

namespace ad {

/// The elementwise nonlinearity after each dense layer.
enum class Activation { tanh, relu, sin };

/// What a chain looks like.
struct ChainSpec {
  std::vector<std::size_t> widths;  ///< w0 (inputs), w1, …, wL (outputs); at least two entries, none 0
  std::uint64_t seed = 1;           ///< the weights follow from it
  Activation activation = Activation::tanh;
};

/// Uniform double in [-1, 1) from a splitmix64 state (advances the state).
double splitmix_uniform(std::uint64_t& state);

/// b + Σ_j x_j·w_j: one output of a dense layer before its activation (w is
/// a row of W, as long as x). Number types with a faster fused form overload
/// it: DualVec (one pass over its tangents per term, no temporaries) and Var
/// (one node per term instead of a product node and a sum node).
template <class T>
T dense_row(const std::vector<T>& x, const double* w, double b) {
  T acc = x[0] * w[0] + b;
  for (std::size_t j = 1; j < x.size(); ++j) acc += x[j] * w[j];
  return acc;
}

/// A chain of dense layers with deterministic weights.
class Chain {
 public:
  /// Draws the weights; throws std::invalid_argument on fewer than two widths or a zero width.
  explicit Chain(ChainSpec spec);

  const ChainSpec& spec() const { return spec_; }                   ///< the spec it was built from
  std::size_t inputs() const { return spec_.widths.front(); }       ///< w0
  std::size_t outputs() const { return spec_.widths.back(); }       ///< wL
  std::size_t layers() const { return weights_.size(); }            ///< L
  const Matrix& weight(std::size_t l) const { return weights_[l]; } ///< W_l, w_{l+1} × w_l
  const Matrix& bias(std::size_t l) const { return biases_[l]; }    ///< b_l, w_{l+1} × 1
  /// Multiply-adds of one primal evaluation (Σ w_l·w_{l+1}).
  std::size_t multiply_adds() const;

  /// Evaluates the chain with scalar operations on any number type.
  template <class T>
  std::vector<T> operator()(const std::vector<T>& x) const {
    if (x.size() != inputs())
      throw std::invalid_argument("Chain: expected " + std::to_string(inputs()) + " inputs, got " +
                                  std::to_string(x.size()));
    std::vector<T> cur = x;
    std::vector<T> next;
    for (std::size_t l = 0; l < layers(); ++l) {
      const Matrix& w = weights_[l];
      const Matrix& b = biases_[l];
      if constexpr (std::is_same_v<T, Var>) {
        // On a tape: the layer's sums recorded in one call (Tape::record_dense_rows), then the activations.
        dense_rows(cur, w.data(), w.rows(), b.data(), next);
        for (Var& v : next) v = activate(v);
      } else if constexpr (sizeof(T) <= 32) {
        // Small number types (double, Dual, DualVec of a few tangents): made first, then assigned;
        // push_back's growth check is a call per output for them.
        next.resize(w.rows());
        for (std::size_t i = 0; i < w.rows(); ++i) next[i] = activate(dense_row(cur, w.data() + i * w.cols(), b[i]));
      } else {
        // Large ones (DualVec): not made first, zeroing their tangents would cost as much as the row.
        next.clear();
        next.reserve(w.rows());
        for (std::size_t i = 0; i < w.rows(); ++i) next.push_back(activate(dense_row(cur, w.data() + i * w.cols(), b[i])));
      }
      cur.swap(next);
    }
    return cur;
  }

  /// Records the chain on a tape, one dense node per layer: x must be w0 × 1 on `tape`.
  TensorVar operator()(Tape& tape, const TensorVar& x) const;

 private:
  template <class T>
  T activate(const T& v) const {
    using std::sin;
    using std::tanh;
    switch (spec_.activation) {
      case Activation::tanh: return tanh(v);
      case Activation::sin: return sin(v);
      case Activation::relu: break;
    }
    return relu_of(v);
  }
  static double relu_of(double v) { return v > 0 ? v : 0.0; }
  template <class T>
  static T relu_of(const T& v) { return relu(v); }

  ChainSpec spec_;
  std::vector<Matrix> weights_;
  std::vector<Matrix> biases_;
};

/// A chain of `depth` diamonds: x ← sin(x) + cos(x), repeated. Every step uses
/// x twice, so the number of paths from input to output is 2^depth while the
/// graph has 3·depth nodes: a backward sweep that walks paths instead of
/// nodes takes exponential time.
template <class T>
T diamond_chain(T x, int depth) {
  using std::cos;
  using std::sin;
  for (int k = 0; k < depth; ++k) x = sin(x) + cos(x);
  return x;
}

}  // namespace ad
