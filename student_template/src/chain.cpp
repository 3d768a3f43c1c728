// The chain-graph generator: deterministic weights and the tensor-node form.
#include "ad/chain.hpp"

#include <cmath>
#include <utility>

namespace ad {

double splitmix_uniform(std::uint64_t& state) {
  // splitmix64 (Steele, Lea, Flood 2014): fully specified, unlike the
  // distributions of <random>, so every platform draws the same weights.
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  // The top 53 bits give a double in [0, 1); map it to [-1, 1).
  return static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;
}

Chain::Chain(ChainSpec spec) : spec_(std::move(spec)) {
  if (spec_.widths.size() < 2)
    throw std::invalid_argument("Chain: needs at least two widths (inputs and outputs), got " +
                                std::to_string(spec_.widths.size()));
  for (std::size_t l = 0; l < spec_.widths.size(); ++l)
    if (spec_.widths[l] == 0) throw std::invalid_argument("Chain: width " + std::to_string(l) + " is 0");
  std::uint64_t state = spec_.seed;
  for (std::size_t l = 0; l + 1 < spec_.widths.size(); ++l) {
    const std::size_t in = spec_.widths[l], out = spec_.widths[l + 1];
    const double s = 1.0 / std::sqrt(static_cast<double>(in));
    Matrix w(out, in);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = s * splitmix_uniform(state);
    Matrix b(out, 1);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] = 0.1 * splitmix_uniform(state);
    weights_.push_back(std::move(w));
    biases_.push_back(std::move(b));
  }
}

std::size_t Chain::multiply_adds() const {
  std::size_t n = 0;
  for (const Matrix& w : weights_) n += w.size();
  return n;
}

TensorVar Chain::operator()(Tape& tape, const TensorVar& x) const {
  if (x.tape() != &tape) throw std::invalid_argument("Chain: the input is not recorded on this tape");
  if (x.shape() != Shape{inputs(), 1})
    throw ShapeError("Chain: input must be " + to_string(Shape{inputs(), 1}) + ", got " + to_string(x.shape()));
  if (spec_.activation == Activation::sin)
    throw std::invalid_argument("Chain: the tensor form has no sin activation; use tanh or relu");
  TensorVar cur = x;
  for (std::size_t l = 0; l < layers(); ++l) {
    // One node per layer; weights and biases are constants the tape points to, not copies on it.
    cur = spec_.activation == Activation::tanh ? dense_tanh(weights_[l], cur, biases_[l])
                                               : dense_relu(weights_[l], cur, biases_[l]);
  }
  return cur;
}

}  // namespace ad
