// The two-layer network: forward pass and training loop (given), gradient by
// backpropagation and the gradient-descent step.
#include "ad/network.hpp"

#include <cmath>
#include <utility>

#include "ad/chain.hpp"

namespace ad {

TwoLayerNet TwoLayerNet::init(std::size_t inputs, std::size_t hidden, std::uint64_t seed) {
  TwoLayerNet net;
  std::uint64_t state = seed;
  net.w1 = Matrix(hidden, inputs);
  const double s1 = 1.0 / std::sqrt(static_cast<double>(inputs));
  for (std::size_t k = 0; k < net.w1.size(); ++k) net.w1[k] = s1 * splitmix_uniform(state);
  net.b1 = Matrix(hidden, 1);
  net.w2 = Matrix(hidden, 1);
  const double s2 = 1.0 / std::sqrt(static_cast<double>(hidden));
  for (std::size_t k = 0; k < net.w2.size(); ++k) net.w2[k] = s2 * splitmix_uniform(state);
  net.b2 = 0.0;
  return net;
}

Dataset Dataset::synthetic(std::size_t samples, std::size_t inputs, std::uint64_t seed) {
  Dataset d;
  std::uint64_t state = seed;
  d.x = Matrix(samples, inputs);
  d.y = Matrix(samples, 1);
  for (std::size_t i = 0; i < samples; ++i) {
    double target = 0.0;
    for (std::size_t j = 0; j < inputs; ++j) {
      const double v = splitmix_uniform(state);
      d.x(i, j) = v;
      target += (j % 2 == 0) ? std::sin(v) : 0.5 * v * v;
    }
    d.y(i, 0) = target;
  }
  return d;
}

namespace {

/// The hidden pre-activations Z1 = X W1ᵀ + 1 b1ᵀ (n × h).
Matrix hidden_preactivation(const TwoLayerNet& net, const Matrix& x) {
  check_shapes(x.cols() == net.w1.cols(), "TwoLayerNet (inputs vs W1)", x.shape(), net.w1.shape());
  Matrix z1 = matmul(x, net.w1.transposed());
  for (std::size_t i = 0; i < z1.rows(); ++i)
    for (std::size_t j = 0; j < z1.cols(); ++j) z1(i, j) += net.b1[j];
  return z1;
}

}  // namespace

Matrix predict(const TwoLayerNet& net, const Matrix& x) {
  Matrix h = hidden_preactivation(net, x);
  relu(ConstMatRef(h), MatRef(h));
  Matrix out = matmul(h, net.w2);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] += net.b2;
  return out;
}

double loss(const TwoLayerNet& net, const Dataset& data) { return mse(predict(net, data.x), data.y); }

NetGradient gradient(const TwoLayerNet& net, const Dataset& data) {
  NetGradient g{Matrix(net.w1.rows(), net.w1.cols()), Matrix(net.b1.rows(), 1), Matrix(net.w2.rows(), 1), 0.0};
  ADC_TODO("the two-layer network's gradient by backpropagation");
  return g;
}

void sgd_step(TwoLayerNet& net, const NetGradient& grad, double learning_rate) {
  check_shapes(net.w1.shape() == grad.w1.shape(), "sgd_step (W1)", net.w1.shape(), grad.w1.shape());
  check_shapes(net.b1.shape() == grad.b1.shape(), "sgd_step (b1)", net.b1.shape(), grad.b1.shape());
  check_shapes(net.w2.shape() == grad.w2.shape(), "sgd_step (w2)", net.w2.shape(), grad.w2.shape());
  ADC_TODO("one gradient-descent step");
}

std::vector<double> train(TwoLayerNet& net, const Dataset& data, double learning_rate, int steps) {
  std::vector<double> losses;
  losses.reserve(static_cast<std::size_t>(steps > 0 ? steps : 0) + 1);
  for (int s = 0; s < steps; ++s) {
    losses.push_back(loss(net, data));
    sgd_step(net, gradient(net, data), learning_rate);
  }
  losses.push_back(loss(net, data));
  return losses;
}

}  // namespace ad
