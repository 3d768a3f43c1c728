// Tests of the two-layer network (network.hpp): the backpropagated gradient
// against central differences of loss() for every parameter (kFdTolerance)
// and against the same network recorded on the tape with tensor nodes
// (kAdTolerance); the gradient step; training lowers the loss.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "ad/network.hpp"
#include "ad/tape.hpp"
#include "test_support.hpp"

namespace {

using ad::Dataset;
using ad::Matrix;
using ad::NetGradient;
using ad::TwoLayerNet;
using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;

/// A small net with nonzero random biases (init leaves them 0) and its data.
struct SmallProblem {
  TwoLayerNet net;
  Dataset data;
};

SmallProblem small_problem() {
  SmallProblem p{TwoLayerNet::init(3, 5, 21), Dataset::synthetic(8, 3, 22)};
  std::mt19937_64 rng(23);
  for (std::size_t k = 0; k < p.net.b1.size(); ++k) p.net.b1[k] = adtest::uniform(rng, -0.5, 0.5);
  p.net.b2 = 0.3;
  return p;
}

/// The smallest |pre-activation| W1 x_i + b1 over all samples and hidden units.
double smallest_preactivation(const TwoLayerNet& net, const Dataset& data) {
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < data.x.rows(); ++i)
    for (std::size_t j = 0; j < net.w1.rows(); ++j) {
      double z = net.b1[j];
      for (std::size_t p = 0; p < net.w1.cols(); ++p) z += net.w1(j, p) * data.x(i, p);
      smallest = std::min(smallest, std::fabs(z));
    }
  return smallest;
}

TEST(NetworkGradient, MatchesFiniteDifferencesForEveryParameter) {
  const SmallProblem p = small_problem();
  // A step of h ≈ 6e-6 moves a pre-activation by less than 1e-5: with every
  // pre-activation at least 1e-3 from 0, no difference straddles relu's kink.
  ASSERT_GT(smallest_preactivation(p.net, p.data), 1e-3);
  const NetGradient g = ad::gradient(p.net, p.data);

  const auto loss_with = [&](auto set) {
    return [&p, set](const Matrix& v) {
      TwoLayerNet n = p.net;
      set(n, v);
      return ad::loss(n, p.data);
    };
  };
  EXPECT_TRUE(near_rel(g.w1, adtest::fd_gradient(loss_with([](TwoLayerNet& n, const Matrix& v) { n.w1 = v; }), p.net.w1),
                       kFdTolerance))
      << "W1";
  EXPECT_TRUE(near_rel(g.b1, adtest::fd_gradient(loss_with([](TwoLayerNet& n, const Matrix& v) { n.b1 = v; }), p.net.b1),
                       kFdTolerance))
      << "b1";
  EXPECT_TRUE(near_rel(g.w2, adtest::fd_gradient(loss_with([](TwoLayerNet& n, const Matrix& v) { n.w2 = v; }), p.net.w2),
                       kFdTolerance))
      << "w2";
  const double fd_b2 = adtest::central_difference(
      [&](double v) {
        TwoLayerNet n = p.net;
        n.b2 = v;
        return ad::loss(n, p.data);
      },
      p.net.b2);
  EXPECT_TRUE(near_rel(g.b2, fd_b2, kFdTolerance)) << "b2";
}

TEST(NetworkGradient, HasTheShapesOfTheParameters) {
  const SmallProblem p = small_problem();
  const NetGradient g = ad::gradient(p.net, p.data);
  EXPECT_EQ(g.w1.shape(), p.net.w1.shape());
  EXPECT_EQ(g.b1.shape(), p.net.b1.shape());
  EXPECT_EQ(g.w2.shape(), p.net.w2.shape());
}

TEST(NetworkGradient, MatchesTensorNodesOnTape) {
  // The same loss recorded per sample: h = relu(W1 x_i + b1), pred = ⟨w2, h⟩ + b2,
  // loss = Σ (pred - y_i)² / n. An independent check of the hand-written backprop.
  const TwoLayerNet net = TwoLayerNet::init(3, 16, 7);
  const Dataset data = Dataset::synthetic(32, 3, 11);
  ad::Tape tape;
  const ad::TensorVar w1 = tape.variable(net.w1);
  const ad::TensorVar b1 = tape.variable(net.b1);
  const ad::TensorVar w2 = tape.variable(net.w2);
  const ad::Var b2 = tape.variable(net.b2);
  ad::Var total = tape.variable(0.0);
  for (std::size_t i = 0; i < data.x.rows(); ++i) {
    Matrix xi(data.x.cols(), 1);
    for (std::size_t p = 0; p < data.x.cols(); ++p) xi[p] = data.x(i, p);
    const ad::TensorVar h = relu(matmul(w1, tape.constant(xi)) + b1);
    const ad::Var err = dot(w2, h) + b2 - data.y[i];
    total = total + err * err;
  }
  const ad::Var loss = total / static_cast<double>(data.x.rows());
  EXPECT_TRUE(near_rel(loss.value(), ad::loss(net, data), kAdTolerance));
  tape.backward(loss);

  const NetGradient g = ad::gradient(net, data);
  EXPECT_TRUE(near_rel(g.w1, tape.adjoint(w1), kAdTolerance)) << "W1";
  EXPECT_TRUE(near_rel(g.b1, tape.adjoint(b1), kAdTolerance)) << "b1";
  EXPECT_TRUE(near_rel(g.w2, tape.adjoint(w2), kAdTolerance)) << "w2";
  EXPECT_TRUE(near_rel(g.b2, tape.adjoint(b2), kAdTolerance)) << "b2";
}

TEST(NetworkPredict, MatchesPerSampleFormula) {
  const SmallProblem p = small_problem();
  const Matrix pred = ad::predict(p.net, p.data.x);
  ASSERT_EQ(pred.shape(), (ad::Shape{p.data.x.rows(), 1}));
  for (std::size_t i = 0; i < p.data.x.rows(); ++i) {
    double f = p.net.b2;
    for (std::size_t j = 0; j < p.net.w1.rows(); ++j) {
      double z = p.net.b1[j];
      for (std::size_t q = 0; q < p.net.w1.cols(); ++q) z += p.net.w1(j, q) * p.data.x(i, q);
      f += p.net.w2[j] * (z > 0.0 ? z : 0.0);
    }
    EXPECT_TRUE(near_rel(pred[i], f, kAdTolerance)) << "sample " << i;
  }
}

TEST(NetworkPredict, WrongInputWidthThrowsShapeError) {
  const SmallProblem p = small_problem();
  EXPECT_THROW(ad::predict(p.net, Matrix(4, 2)), ad::ShapeError);
}

TEST(NetworkStep, MovesEachParameterByMinusLearningRateTimesGradient) {
  const SmallProblem p = small_problem();
  std::mt19937_64 rng(31);
  const NetGradient g{adtest::random_matrix(rng, 5, 3), adtest::random_matrix(rng, 5, 1),
                      adtest::random_matrix(rng, 5, 1), 0.8};
  constexpr double kRate = 0.125;
  TwoLayerNet n = p.net;
  ad::sgd_step(n, g, kRate);
  for (std::size_t k = 0; k < n.w1.size(); ++k) EXPECT_DOUBLE_EQ(n.w1[k], p.net.w1[k] - kRate * g.w1[k]);
  for (std::size_t k = 0; k < n.b1.size(); ++k) EXPECT_DOUBLE_EQ(n.b1[k], p.net.b1[k] - kRate * g.b1[k]);
  for (std::size_t k = 0; k < n.w2.size(); ++k) EXPECT_DOUBLE_EQ(n.w2[k], p.net.w2[k] - kRate * g.w2[k]);
  EXPECT_DOUBLE_EQ(n.b2, p.net.b2 - kRate * 0.8);
}

TEST(NetworkStep, GradientOfWrongShapeThrowsShapeError) {
  SmallProblem p = small_problem();
  const NetGradient g{Matrix(4, 3), Matrix(5, 1), Matrix(5, 1), 0.0};
  EXPECT_THROW(ad::sgd_step(p.net, g, 0.1), ad::ShapeError);
}

TEST(NetworkTraining, HalvesTheLossInTwoHundredSteps) {
  TwoLayerNet net = TwoLayerNet::init(3, 16, 7);
  const Dataset data = Dataset::synthetic(64, 3, 11);
  const double initial = ad::loss(net, data);
  const std::vector<double> losses = ad::train(net, data, 0.05, 200);
  ASSERT_EQ(losses.size(), 201u);
  EXPECT_EQ(losses.front(), initial);
  EXPECT_EQ(losses.back(), ad::loss(net, data));
  EXPECT_LT(losses.back(), 0.5 * initial);
}

TEST(NetworkTraining, SmallStepNeverRaisesTheLoss) {
  // Gradient descent with a small enough rate decreases the loss at every step.
  TwoLayerNet net = TwoLayerNet::init(3, 8, 3);
  const Dataset data = Dataset::synthetic(32, 3, 4);
  const std::vector<double> losses = ad::train(net, data, 0.01, 50);
  for (std::size_t s = 1; s < losses.size(); ++s) EXPECT_LE(losses[s], losses[s - 1]) << "step " << s;
}

}  // namespace
