// Rounding-error bounds of the two-layer network's gradient and steps: the
// reference's backpropagation (ad/network.cpp) run on Bounded numbers.
#include "error_bounds.hpp"

namespace grader::bounds {

namespace {

/// The network's parameters as Bounded numbers, row-major as in ad::TwoLayerNet.
struct BNet {
  std::size_t hidden = 0, inputs = 0;
  std::vector<Bounded> w1, b1, w2;  // h×in, h, h
  Bounded b2;
};

BNet exact(const ad::TwoLayerNet& net) {
  BNet b;
  b.hidden = net.w1.rows();
  b.inputs = net.w1.cols();
  for (double v : net.w1.values()) b.w1.emplace_back(v);
  for (double v : net.b1.values()) b.b1.emplace_back(v);
  for (double v : net.w2.values()) b.w2.emplace_back(v);
  b.b2 = Bounded(net.b2);
  return b;
}

/// The gradient in the same layout as BNet.
BNet gradient(const BNet& net, const ad::Dataset& data) {
  const std::size_t n = data.x.rows(), h = net.hidden, in = net.inputs;
  std::vector<Bounded> z1(n * h), act(n * h), pred(n), dpred(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < h; ++j) {
      Bounded z(0.0);
      for (std::size_t k = 0; k < in; ++k) z += Bounded(data.x(i, k)) * net.w1[j * in + k];
      z1[i * h + j] = z + net.b1[j];
      act[i * h + j] = relu(z1[i * h + j]);
    }
    Bounded p(0.0);
    for (std::size_t j = 0; j < h; ++j) p += act[i * h + j] * net.w2[j];
    pred[i] = p + net.b2;
  }
  BNet g;
  g.hidden = h;
  g.inputs = in;
  g.w1.assign(h * in, Bounded(0.0));
  g.b1.assign(h, Bounded(0.0));
  g.w2.assign(h, Bounded(0.0));
  const Bounded c = Bounded(2.0) / Bounded(static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i) {
    dpred[i] = c * (pred[i] - Bounded(data.y[i]));
    g.b2 += dpred[i];
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < h; ++j) {
      g.w2[j] += act[i * h + j] * dpred[i];
      const Bounded dh = dpred[i] * net.w2[j];
      Bounded dz = z1[i * h + j].v > 0.0 ? dh : Bounded(0.0);
      // A pre-activation within rounding of 0: either side of relu is correct.
      if (straddles_zero(z1[i * h + j])) dz.e += std::fabs(dh.v) + dh.e;
      g.b1[j] += dz;
      for (std::size_t k = 0; k < in; ++k) g.w1[j * in + k] += Bounded(data.x(i, k)) * dz;
    }
  }
  return g;
}

std::vector<double> errors(const BNet& b) {
  std::vector<double> out;
  for (const auto* block : {&b.w1, &b.b1, &b.w2})
    for (const Bounded& x : *block) out.push_back(x.e);
  out.push_back(b.b2.e);
  return out;
}

}  // namespace

std::vector<double> network_gradient_bounds(const ad::TwoLayerNet& net, const ad::Dataset& data) {
  return errors(gradient(exact(net), data));
}

std::vector<double> network_step_bounds(const ad::TwoLayerNet& net, const ad::Dataset& data, double lr, int steps) {
  BNet b = exact(net);
  const Bounded rate(lr);
  for (int s = 0; s < steps; ++s) {
    const BNet g = gradient(b, data);
    for (std::size_t k = 0; k < b.w1.size(); ++k) b.w1[k] = b.w1[k] - rate * g.w1[k];
    for (std::size_t k = 0; k < b.b1.size(); ++k) b.b1[k] = b.b1[k] - rate * g.b1[k];
    for (std::size_t k = 0; k < b.w2.size(); ++k) b.w2[k] = b.w2[k] - rate * g.w2[k];
    b.b2 = b.b2 - rate * g.b2;
  }
  return errors(b);
}

}  // namespace grader::bounds
