#pragma once
/// \file The two-layer network of the course notes, trained by gradient descent.
///
/// f(x) = w2ᵀ relu(W1 x + b1) + b2 for x ∈ Rᵈ, with W1 h×d, b1 and w2 h×1 and a
/// scalar b2. The loss on a data set (X with one sample per row, y one target
/// per row) is the mean squared error mean_i (f(x_i) - y_i)².

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ad/tensor.hpp"

namespace ad {

/// Parameters of the two-layer network.
struct TwoLayerNet {
  Matrix w1;        ///< h × d
  Matrix b1;        ///< h × 1
  Matrix w2;        ///< h × 1
  double b2 = 0.0;  ///< output bias

  /// Small deterministic random weights from a seed, zero biases.
  static TwoLayerNet init(std::size_t inputs, std::size_t hidden, std::uint64_t seed);
};

/// Samples X (n × d) and targets y (n × 1).
struct Dataset {
  Matrix x;  ///< one sample per row
  Matrix y;  ///< one target per row

  /// n samples of a smooth target y = sin(x1) + x2²/2 + … on [-1, 1]ᵈ, from a seed.
  static Dataset synthetic(std::size_t samples, std::size_t inputs, std::uint64_t seed);
};

/// Gradient of the loss with respect to every parameter (same shapes as the net).
struct NetGradient {
  Matrix w1;        ///< ∂loss/∂W1
  Matrix b1;        ///< ∂loss/∂b1
  Matrix w2;        ///< ∂loss/∂w2
  double b2 = 0.0;  ///< ∂loss/∂b2
};

/// f(x_i) for every row of x, as an n × 1 matrix.
Matrix predict(const TwoLayerNet& net, const Matrix& x);
/// Mean squared error of the net on the data.
double loss(const TwoLayerNet& net, const Dataset& data);
/// ∂loss/∂parameters by backpropagation (the VJPs of tensor.hpp, in reverse order of the forward pass).
NetGradient gradient(const TwoLayerNet& net, const Dataset& data);
/// One gradient-descent step: every parameter p ← p - learning_rate·∂loss/∂p.
void sgd_step(TwoLayerNet& net, const NetGradient& grad, double learning_rate);
/// `steps` steps of gradient descent; returns the loss before each step and after the last.
std::vector<double> train(TwoLayerNet& net, const Dataset& data, double learning_rate, int steps);

}  // namespace ad
