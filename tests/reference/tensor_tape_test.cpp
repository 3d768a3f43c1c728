// Tests of tensor nodes on the tape (TensorVar in tape.hpp): gradients of
// every tensor operation against central differences of the same loss
// computed with plain matrices (kFdTolerance), one node per operation,
// constants left without adjoint, and graphs mixing scalar Var operations on
// tensor entries with tensor nodes.
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ad/tape.hpp"
#include "ad/tensor.hpp"
#include "test_support.hpp"

namespace {

using ad::Matrix;
using ad::Shape;
using ad::TensorVar;
using ad::Var;
using adtest::inner;
using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;
using adtest::random_matrix;

const std::vector<Shape> kShapes = {{3, 3}, {2, 5}, {1, 4}, {4, 1}};

/// The loss recorded on a tape from variables holding the inputs.
using TapeLoss = std::function<Var(ad::Tape&, const std::vector<TensorVar>&)>;
/// The same loss on plain matrices (the oracle's function).
using PlainLoss = std::function<double(const std::vector<Matrix>&)>;

/// Records the loss with every input a variable; checks its value and the adjoint of every input.
void check_gradients(const std::vector<Matrix>& inputs, const TapeLoss& on_tape, const PlainLoss& plain,
                     const std::string& what) {
  ad::Tape tape;
  std::vector<TensorVar> vars;
  for (const Matrix& m : inputs) vars.push_back(tape.variable(m));
  const Var loss = on_tape(tape, vars);
  EXPECT_TRUE(near_rel(loss.value(), plain(inputs), kAdTolerance)) << what << ": value";
  tape.backward(loss);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Matrix fd = adtest::fd_gradient(
        [&](const Matrix& v) {
          std::vector<Matrix> in = inputs;
          in[i] = v;
          return plain(in);
        },
        inputs[i]);
    EXPECT_TRUE(near_rel(tape.adjoint(vars[i]), fd, kFdTolerance)) << what << ": input " << i;
  }
}

Matrix away_from_zero(std::mt19937_64& rng, Shape s) {
  Matrix m(s.rows, s.cols);
  for (std::size_t k = 0; k < m.size(); ++k) m[k] = adtest::away_from_zero(rng, 0.1, 1.0);
  return m;
}

/// Entrywise map of a plain matrix.
template <class F>
Matrix map(const Matrix& x, F f) {
  Matrix z = x;
  for (std::size_t k = 0; k < z.size(); ++k) z[k] = f(x[k]);
  return z;
}

TEST(TensorNodeGradient, AddMatchesFiniteDifferences) {
  std::mt19937_64 rng(301);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    check_gradients(
        {random_matrix(rng, s.rows, s.cols), random_matrix(rng, s.rows, s.cols)},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), v[0] + v[1]); },
        [&](const std::vector<Matrix>& m) { return inner(dz, ad::add(m[0], m[1])); }, ad::to_string(s));
  }
}

TEST(TensorNodeGradient, ScaleMatchesFiniteDifferences) {
  std::mt19937_64 rng(302);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    check_gradients(
        {random_matrix(rng, s.rows, s.cols), random_matrix(rng, 1, 1)},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), scale(v[1][0], v[0])); },
        [&](const std::vector<Matrix>& m) { return inner(dz, ad::scale(m[1][0], m[0])); }, ad::to_string(s));
  }
}

TEST(TensorNodeGradient, MatmulMatchesFiniteDifferences) {
  std::mt19937_64 rng(303);
  const std::vector<std::vector<std::size_t>> cases = {{3, 3, 3}, {2, 5, 3}, {1, 4, 2}, {4, 1, 3}, {3, 2, 1}};
  for (const auto& c : cases) {
    const Matrix dz = random_matrix(rng, c[0], c[2]);
    check_gradients(
        {random_matrix(rng, c[0], c[1]), random_matrix(rng, c[1], c[2])},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), matmul(v[0], v[1])); },
        [&](const std::vector<Matrix>& m) { return inner(dz, ad::matmul(m[0], m[1])); },
        std::to_string(c[0]) + "x" + std::to_string(c[1]) + " times " + std::to_string(c[1]) + "x" +
            std::to_string(c[2]));
  }
}

TEST(TensorNodeGradient, TanhMatchesFiniteDifferences) {
  std::mt19937_64 rng(304);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    check_gradients(
        {random_matrix(rng, s.rows, s.cols, -2.0, 2.0)},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), tanh(v[0])); },
        [&](const std::vector<Matrix>& m) { return inner(dz, map(m[0], [](double x) { return std::tanh(x); })); },
        ad::to_string(s));
  }
}

TEST(TensorNodeGradient, ReluMatchesFiniteDifferences) {
  std::mt19937_64 rng(305);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    check_gradients(
        {away_from_zero(rng, s)},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), relu(v[0])); },
        [&](const std::vector<Matrix>& m) { return inner(dz, map(m[0], [](double x) { return x > 0 ? x : 0.0; })); },
        ad::to_string(s));
  }
}

TEST(TensorNodeGradient, ExpMatchesFiniteDifferences) {
  std::mt19937_64 rng(306);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    check_gradients(
        {random_matrix(rng, s.rows, s.cols, -2.0, 2.0)},
        [&](ad::Tape& t, const std::vector<TensorVar>& v) { return dot(t.constant(dz), exp(v[0])); },
        [&](const std::vector<Matrix>& m) { return inner(dz, map(m[0], [](double x) { return std::exp(x); })); },
        ad::to_string(s));
  }
}

TEST(TensorNodeGradient, SumMatchesFiniteDifferences) {
  std::mt19937_64 rng(307);
  for (Shape s : kShapes) {
    check_gradients(
        {random_matrix(rng, s.rows, s.cols)},
        [&](ad::Tape&, const std::vector<TensorVar>& v) { return 0.7 * sum(v[0]); },
        [&](const std::vector<Matrix>& m) { return 0.7 * ad::sum(m[0]); }, ad::to_string(s));
  }
}

TEST(TensorNodeGradient, DotMatchesFiniteDifferencesForBothOperands) {
  std::mt19937_64 rng(308);
  for (Shape s : kShapes) {
    check_gradients(
        {random_matrix(rng, s.rows, s.cols), random_matrix(rng, s.rows, s.cols)},
        [&](ad::Tape&, const std::vector<TensorVar>& v) { return dot(v[0], v[1]); },
        [&](const std::vector<Matrix>& m) { return ad::dot(m[0], m[1]); }, ad::to_string(s));
  }
}

TEST(TensorNodeGradient, ScaleFactorUsedElsewhereGetsEveryContribution) {
  // a feeds a scalar node recorded after the scale node, so its adjoint already
  // holds that contribution when the scale node's VJP adds its own.
  std::mt19937_64 rng(315);
  const Matrix dz = random_matrix(rng, 2, 3);
  check_gradients(
      {random_matrix(rng, 2, 3), random_matrix(rng, 1, 1)},
      [&](ad::Tape& t, const std::vector<TensorVar>& v) {
        const Var a = v[1][0];
        const TensorVar z = scale(a, v[0]);
        const Var square = a * a;  // recorded after the scale node, so swept before it
        return dot(t.constant(dz), z) + square;
      },
      [&](const std::vector<Matrix>& m) { return inner(dz, ad::scale(m[1][0], m[0])) + m[1][0] * m[1][0]; },
      "scale and a²");
}

TEST(TensorNodeGradient, DotOfTensorWithItselfCountsBothUses) {
  std::mt19937_64 rng(309);
  check_gradients(
      {random_matrix(rng, 3, 2)}, [&](ad::Tape&, const std::vector<TensorVar>& v) { return dot(v[0], v[0]); },
      [&](const std::vector<Matrix>& m) { return ad::dot(m[0], m[0]); }, "x·x");
}

TEST(TensorNodeGradient, MseMatchesFiniteDifferencesForPredictionAndTarget) {
  std::mt19937_64 rng(310);
  for (Shape s : kShapes) {
    check_gradients(
        {random_matrix(rng, s.rows, s.cols), random_matrix(rng, s.rows, s.cols)},
        [&](ad::Tape&, const std::vector<TensorVar>& v) { return mse(v[0], v[1]); },
        [&](const std::vector<Matrix>& m) { return ad::mse(m[0], m[1]); }, ad::to_string(s));
  }
}

TEST(TensorNodeGradient, LayerChainMatchesFiniteDifferences) {
  // loss = mse(W2 tanh(W1 x + b1) + b2, y) with every matrix a variable.
  std::mt19937_64 rng(311);
  const Matrix y = random_matrix(rng, 2, 1);
  check_gradients(
      {random_matrix(rng, 4, 3), random_matrix(rng, 3, 1), random_matrix(rng, 4, 1), random_matrix(rng, 2, 4),
       random_matrix(rng, 2, 1)},
      [&](ad::Tape& t, const std::vector<TensorVar>& v) {
        const TensorVar h = tanh(matmul(v[0], v[1]) + v[2]);
        return mse(matmul(v[3], h) + v[4], t.constant(y));
      },
      [&](const std::vector<Matrix>& m) {
        const Matrix h = map(ad::add(ad::matmul(m[0], m[1]), m[2]), [](double x) { return std::tanh(x); });
        return ad::mse(ad::add(ad::matmul(m[3], h), m[4]), y);
      },
      "two layers");
}

TEST(TensorNodeGradient, MixedScalarAndTensorGraphMatchesFiniteDifferences) {
  // Scalar Var operations on entries of tensors feed tensor nodes and back:
  // s = X(0,1)·sin(X[2]) + W(1,0), Z = scale(s, X W), loss = sum(exp(Z)) + Z[1]·X(1,1).
  std::mt19937_64 rng(312);
  check_gradients(
      {random_matrix(rng, 2, 3), random_matrix(rng, 3, 2)},
      [&](ad::Tape&, const std::vector<TensorVar>& v) {
        const TensorVar& x = v[0];
        const TensorVar& w = v[1];
        const Var s = x(0, 1) * sin(x[2]) + w(1, 0);
        const TensorVar z = scale(s, matmul(x, w));
        return sum(exp(z)) + z[1] * x(1, 1);
      },
      [&](const std::vector<Matrix>& m) {
        const Matrix& x = m[0];
        const Matrix& w = m[1];
        const double s = x(0, 1) * std::sin(x[2]) + w(1, 0);
        const Matrix z = ad::scale(s, ad::matmul(x, w));
        return ad::sum(map(z, [](double e) { return std::exp(e); })) + z[1] * x(1, 1);
      },
      "mixed graph");
}

TEST(TensorNode, OneNodePerOperation) {
  ad::Tape tape;
  const TensorVar w = tape.variable(Matrix(2, 3, 0.5));
  const TensorVar x = tape.variable(Matrix::column({1.0, 2.0, 3.0}));
  const TensorVar b = tape.constant(Matrix::column({0.1, -0.1}));
  const Var loss = sum(tanh(matmul(w, x) + b));
  const auto& ops = tape.tensor_ops();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].kind, ad::TensorOpKind::matmul);
  EXPECT_EQ(ops[1].kind, ad::TensorOpKind::add);
  EXPECT_EQ(ops[2].kind, ad::TensorOpKind::tanh);
  EXPECT_EQ(ops[3].kind, ad::TensorOpKind::sum);
  // Slots: W 6, x 3, b 2, then 2 + 2 + 2 results and 1 for the sum.
  EXPECT_EQ(tape.size(), 18u);
  EXPECT_EQ(loss.index(), 17u);
}

// A dense node is act(C x + c) in one node: its values and its gradient
// must be those of matmul, + and the activation recorded as three.
void expect_dense_node_matches_three_nodes(bool use_tanh) {
  std::mt19937_64 rng(use_tanh ? 91 : 92);
  const Matrix c = random_matrix(rng, 3, 4);
  const Matrix bias = random_matrix(rng, 3, 1);
  const Matrix xm = random_matrix(rng, 4, 1);
  const Matrix weights = random_matrix(rng, 3, 1);  // a loss that weighs the outputs differently

  ad::Tape fused;
  const TensorVar xf = fused.variable(xm);
  const TensorVar zf = use_tanh ? ad::dense_tanh(c, xf, bias) : ad::dense_relu(c, xf, bias);
  ASSERT_EQ(fused.tensor_ops().size(), 1u);
  EXPECT_EQ(fused.tensor_ops()[0].kind, use_tanh ? ad::TensorOpKind::dense_tanh : ad::TensorOpKind::dense_relu);
  EXPECT_EQ(fused.size(), 4u + 3u) << "x, then one slot per output";
  fused.backward(dot(zf, fused.constant(weights)));

  ad::Tape three;
  const TensorVar xt = three.variable(xm);
  const TensorVar pre = matmul(c, xt) + bias;
  const TensorVar zt = use_tanh ? tanh(pre) : relu(pre);
  three.backward(dot(zt, three.constant(weights)));

  EXPECT_TRUE(near_rel(zf.value().values(), zt.value().values(), 1e-15)) << "values";
  EXPECT_TRUE(near_rel(fused.adjoint(xf).values(), three.adjoint(xt).values(), 1e-14)) << "gradient";
  // The output adjoints are left as they were (the activation's VJP goes to a scratch column).
  EXPECT_TRUE(near_rel(fused.adjoint(zf).values(), weights.values(), 0.0)) << "output adjoints";
}

TEST(TensorNode, DenseTanhMatchesMatmulAddTanh) { expect_dense_node_matches_three_nodes(true); }
TEST(TensorNode, DenseReluMatchesMatmulAddRelu) { expect_dense_node_matches_three_nodes(false); }

TEST(TensorNode, DenseChecksShapesAndTapes) {
  ad::Tape tape;
  const TensorVar x = tape.variable(Matrix::column({1.0, 2.0}));
  EXPECT_THROW(ad::dense_tanh(Matrix(3, 3), x, Matrix(3, 1)), ad::ShapeError);   // C has 3 columns, x 2 rows
  EXPECT_THROW(ad::dense_tanh(Matrix(3, 2), x, Matrix(2, 1)), ad::ShapeError);   // bias 2 x 1 for 3 outputs
  EXPECT_THROW(ad::dense_relu(Matrix(3, 2), tape.variable(Matrix(2, 2)), Matrix(3, 1)), ad::ShapeError);  // x not a column
  EXPECT_THROW(ad::dense_tanh(Matrix(3, 2), TensorVar(), Matrix(3, 1)), std::invalid_argument);
  EXPECT_THROW(tape.record_dense(ad::TensorOpKind::tanh, Matrix(3, 2), x, Matrix(3, 1)), std::invalid_argument);
}

TEST(TensorNode, DenseOnAConstantInputPassesNoGradient) {
  ad::Tape tape;
  const TensorVar x = tape.constant(Matrix::column({1.0, -2.0}));
  const TensorVar z = ad::dense_tanh(Matrix(2, 2, 0.5), x, Matrix(2, 1, 0.1));
  EXPECT_FALSE(z.requires_grad());
  tape.backward(sum(z));
  EXPECT_EQ(tape.adjoint(x).values(), (std::vector<double>{0.0, 0.0}));
}

TEST(TensorNode, ValuesMatchMatrixFunctions) {
  std::mt19937_64 rng(313);
  const Matrix xm = random_matrix(rng, 2, 3);
  const Matrix wm = random_matrix(rng, 3, 4);
  ad::Tape tape;
  const TensorVar z = matmul(tape.variable(xm), tape.constant(wm));
  EXPECT_EQ(z.shape(), (Shape{2, 4}));
  EXPECT_EQ(z.value().values(), ad::matmul(xm, wm).values());
}

TEST(TensorNode, ConstantGetsNoAdjoint) {
  ad::Tape tape;
  const TensorVar c = tape.constant(Matrix::rows_of({{1.0, 2.0}, {3.0, 4.0}}));
  const TensorVar x = tape.variable(Matrix::column({0.5, -1.0}));
  const Var loss = sum(matmul(c, x)) + dot(c, c);
  tape.backward(loss);
  EXPECT_EQ(tape.adjoint(c).values(), (std::vector<double>{0.0, 0.0, 0.0, 0.0}));
  // ∂/∂x Σ_i (C x)_i = column sums of C.
  EXPECT_EQ(tape.adjoint(x).values(), (std::vector<double>{4.0, 6.0}));
}

TEST(TensorNode, ResultOfConstantsDoesNotRequireGrad) {
  ad::Tape tape;
  const TensorVar c1 = tape.constant(Matrix(2, 2, 1.0));
  const TensorVar c2 = tape.constant(Matrix(2, 2, 2.0));
  const TensorVar x = tape.variable(Matrix(2, 2, 3.0));
  EXPECT_FALSE(c1.requires_grad());
  EXPECT_FALSE(matmul(c1, c2).requires_grad());
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE((c1 + x).requires_grad());
}

TEST(TensorNode, RepeatedBackwardGivesSameAdjoints) {
  // The VJPs add into the adjoints; backward must reset them first.
  std::mt19937_64 rng(314);
  ad::Tape tape;
  const TensorVar x = tape.variable(random_matrix(rng, 3, 2));
  const TensorVar w = tape.variable(random_matrix(rng, 2, 2));
  const Var loss = sum(tanh(matmul(x, w)));
  tape.backward(loss);
  const Matrix gx = tape.adjoint(x);
  const Matrix gw = tape.adjoint(w);
  tape.backward(loss);
  EXPECT_EQ(tape.adjoint(x).values(), gx.values());
  EXPECT_EQ(tape.adjoint(w).values(), gw.values());
}

TEST(TensorNode, BackwardFromOneEntryOfATensor) {
  // loss = (X W)(1, 0): its gradient is row 1 of X for column 0 of W.
  ad::Tape tape;
  const TensorVar x = tape.variable(Matrix::rows_of({{1.0, 2.0}, {3.0, 4.0}}));
  const TensorVar w = tape.variable(Matrix::rows_of({{5.0, 6.0}, {7.0, 8.0}}));
  const TensorVar z = matmul(x, w);
  tape.backward(z(1, 0));
  EXPECT_EQ(tape.adjoint(w).values(), (std::vector<double>{3.0, 0.0, 4.0, 0.0}));
  EXPECT_EQ(tape.adjoint(x).values(), (std::vector<double>{0.0, 0.0, 5.0, 7.0}));
}

TEST(TensorNode, ShapeMismatchThrowsShapeError) {
  ad::Tape tape;
  const TensorVar a = tape.variable(Matrix(2, 3));
  const TensorVar b = tape.variable(Matrix(4, 5));
  EXPECT_THROW(a + b, ad::ShapeError);
  EXPECT_THROW(matmul(a, b), ad::ShapeError);
  EXPECT_THROW(dot(a, b), ad::ShapeError);
  EXPECT_THROW(mse(a, b), ad::ShapeError);
}

TEST(TensorNode, MixingTapesThrowsInvalidArgument) {
  ad::Tape t1;
  ad::Tape t2;
  const TensorVar a = t1.variable(Matrix(2, 2));
  const TensorVar b = t2.variable(Matrix(2, 2));
  EXPECT_THROW(a + b, std::invalid_argument);
  EXPECT_THROW(matmul(a, b), std::invalid_argument);
  EXPECT_THROW(scale(t2.variable(1.0), a), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(t2.adjoint(a)), std::invalid_argument);
}

TEST(TensorNode, EntryOutOfRangeThrows) {
  ad::Tape tape;
  const TensorVar a = tape.variable(Matrix(2, 2));
  EXPECT_THROW(a[4], std::out_of_range);
}

}  // namespace
