// Tests of the tensor operations and their VJPs (tensor.hpp). Each VJP is
// checked against central differences of the scalar L = ⟨dz, f(x)⟩ for a
// random cotangent dz, on square, non-square, 1×n and n×1 shapes
// (kFdTolerance); each VJP adds into its output; shape mismatches throw
// ShapeError naming both shapes.
#include <cmath>
#include <cstddef>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ad/tensor.hpp"
#include "test_support.hpp"

namespace {

using ad::ConstMatRef;
using ad::Matrix;
using ad::MatRef;
using ad::Shape;
using adtest::fd_gradient;
using adtest::inner;
using adtest::kAdTolerance;
using adtest::kFdTolerance;
using adtest::near_rel;
using adtest::random_matrix;

/// Square, non-square, row and column shapes.
const std::vector<Shape> kShapes = {{3, 3}, {2, 5}, {5, 2}, {1, 4}, {4, 1}, {1, 1}};

/// (m, k, n) for matmul of an m×k by a k×n matrix.
struct MatmulCase {
  std::size_t m, k, n;
};
const std::vector<MatmulCase> kMatmulCases = {{3, 3, 3}, {2, 5, 3}, {4, 1, 3}, {1, 4, 2}, {3, 2, 1}, {1, 3, 1}, {2, 2, 5}};

std::string describe(Shape s) { return "shape " + ad::to_string(s); }

/// A matrix whose entries have magnitude in [0.1, 1) and a random sign: away from relu's kink.
Matrix away_from_zero(std::mt19937_64& rng, Shape s) {
  Matrix m(s.rows, s.cols);
  for (std::size_t k = 0; k < m.size(); ++k) m[k] = adtest::away_from_zero(rng, 0.1, 1.0);
  return m;
}

/// Checks that `vjp(dx)` adds into dx: the result from a prefilled dx is prefill + result from zeros.
void expect_adds_into_output(Shape s, const std::function<void(MatRef)>& vjp, std::mt19937_64& rng) {
  Matrix from_zero(s.rows, s.cols);
  vjp(from_zero);
  const Matrix prefill = random_matrix(rng, s.rows, s.cols, 1.0, 2.0);  // nonzero
  Matrix dx = prefill;
  vjp(dx);
  EXPECT_TRUE(near_rel(dx, ad::add(prefill, from_zero), kAdTolerance)) << describe(s);
}

// ---------------------------------------------------------------- primal values

TEST(TensorValue, MatmulMatchesHandComputedProduct) {
  const Matrix x = Matrix::rows_of({{1, 2, 3}, {4, 5, 6}});
  const Matrix w = Matrix::rows_of({{1, 0}, {0, 1}, {2, -1}});
  const Matrix z = ad::matmul(x, w);
  EXPECT_EQ(z.shape(), (Shape{2, 2}));
  EXPECT_EQ(z.values(), (std::vector<double>{7, -1, 16, -1}));
}

TEST(TensorValue, MatmulOverwritesItsResult) {
  const Matrix x = Matrix::rows_of({{1, 2}});
  const Matrix w = Matrix::rows_of({{3}, {4}});
  Matrix z(1, 1, 100.0);
  ad::matmul(ConstMatRef(x), ConstMatRef(w), MatRef(z));
  EXPECT_EQ(z[0], 11.0);
}

TEST(TensorValue, AddAndScaleAreEntrywise) {
  const Matrix x = Matrix::rows_of({{1, -2}, {3, 0.5}});
  const Matrix y = Matrix::rows_of({{10, 20}, {30, 40}});
  EXPECT_EQ(ad::add(x, y).values(), (std::vector<double>{11, 18, 33, 40.5}));
  EXPECT_EQ(ad::scale(-2.0, x).values(), (std::vector<double>{-2, 4, -6, -1}));
}

TEST(TensorValue, ElementwiseFunctionsMatchStd) {
  const Matrix x = Matrix::rows_of({{-1.5, 0.0, 0.7}});
  Matrix t(1, 3), r(1, 3), e(1, 3);
  ad::tanh(x, t);
  ad::relu(x, r);
  ad::exp(x, e);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(t[k], std::tanh(x[k]));
    EXPECT_EQ(r[k], x[k] > 0.0 ? x[k] : 0.0);
    EXPECT_EQ(e[k], std::exp(x[k]));
  }
}

TEST(TensorValue, ReductionsMatchHandComputedValues) {
  const Matrix x = Matrix::column({1.0, 2.0, 3.0});
  const Matrix y = Matrix::column({0.5, -1.0, 2.0});
  EXPECT_EQ(ad::sum(x), 6.0);
  EXPECT_EQ(ad::dot(x, y), 4.5);
  EXPECT_DOUBLE_EQ(ad::mse(x, y), (0.25 + 9.0 + 1.0) / 3.0);
}

TEST(TensorValue, TransposedSwapsRowsAndColumns) {
  const Matrix x = Matrix::rows_of({{1, 2, 3}, {4, 5, 6}});
  const Matrix t = x.transposed();
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.values(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
}

// ------------------------------------------------------- VJPs against differences

TEST(TensorVjp, AddMatchesFiniteDifferences) {
  std::mt19937_64 rng(101);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const Matrix y = random_matrix(rng, s.rows, s.cols);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    const auto loss_x = [&](const Matrix& v) { return inner(dz, ad::add(v, y)); };
    const auto loss_y = [&](const Matrix& v) { return inner(dz, ad::add(x, v)); };
    Matrix dx(s.rows, s.cols);
    ad::vjp_add(dz, dx);  // the same VJP serves both operands
    EXPECT_TRUE(near_rel(dx, fd_gradient(loss_x, x), kFdTolerance)) << describe(s);
    EXPECT_TRUE(near_rel(dx, fd_gradient(loss_y, y), kFdTolerance)) << describe(s);
  }
}

TEST(TensorVjp, ScaleScalarMatchesFiniteDifferences) {
  std::mt19937_64 rng(102);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    const double a = adtest::uniform(rng, -2.0, 2.0);
    const double fd = adtest::central_difference([&](double v) { return inner(dz, ad::scale(v, x)); }, a);
    EXPECT_TRUE(near_rel(ad::vjp_scale_a(x, dz), fd, kFdTolerance)) << describe(s);
  }
}

TEST(TensorVjp, ScaleVectorMatchesFiniteDifferences) {
  std::mt19937_64 rng(103);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    const double a = adtest::uniform(rng, -2.0, 2.0);
    Matrix dx(s.rows, s.cols);
    ad::vjp_scale_x(a, dz, dx);
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return inner(dz, ad::scale(a, v)); }, x),
                         kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, MatmulXMatchesFiniteDifferences) {
  std::mt19937_64 rng(104);
  for (const MatmulCase& c : kMatmulCases) {
    const Matrix x = random_matrix(rng, c.m, c.k);
    const Matrix w = random_matrix(rng, c.k, c.n);
    const Matrix dz = random_matrix(rng, c.m, c.n);
    Matrix dx(c.m, c.k);
    ad::vjp_matmul_x(w, dz, dx);
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return inner(dz, ad::matmul(v, w)); }, x),
                         kFdTolerance))
        << c.m << "x" << c.k << " times " << c.k << "x" << c.n;
  }
}

TEST(TensorVjp, MatmulWMatchesFiniteDifferences) {
  std::mt19937_64 rng(105);
  for (const MatmulCase& c : kMatmulCases) {
    const Matrix x = random_matrix(rng, c.m, c.k);
    const Matrix w = random_matrix(rng, c.k, c.n);
    const Matrix dz = random_matrix(rng, c.m, c.n);
    Matrix dw(c.k, c.n);
    ad::vjp_matmul_w(x, dz, dw);
    EXPECT_TRUE(near_rel(dw, fd_gradient([&](const Matrix& v) { return inner(dz, ad::matmul(x, v)); }, w),
                         kFdTolerance))
        << c.m << "x" << c.k << " times " << c.k << "x" << c.n;
  }
}

/// L = ⟨dz, f(x)⟩ for an elementwise f written into a result matrix.
template <class F>
double elementwise_loss(F f, const Matrix& dz, const Matrix& x) {
  Matrix z(x.rows(), x.cols());
  f(ConstMatRef(x), MatRef(z));
  return inner(dz, z);
}

TEST(TensorVjp, TanhMatchesFiniteDifferences) {
  std::mt19937_64 rng(106);
  const auto f = [](ConstMatRef x, MatRef z) { ad::tanh(x, z); };
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols, -2.0, 2.0);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    Matrix z(s.rows, s.cols);
    ad::tanh(x, z);
    Matrix dx(s.rows, s.cols);
    ad::vjp_tanh(z, dz, dx);  // from the output, as documented
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return elementwise_loss(f, dz, v); }, x),
                         kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, ReluMatchesFiniteDifferences) {
  std::mt19937_64 rng(107);
  const auto f = [](ConstMatRef x, MatRef z) { ad::relu(x, z); };
  for (Shape s : kShapes) {
    const Matrix x = away_from_zero(rng, s);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    Matrix dx(s.rows, s.cols);
    ad::vjp_relu(x, dz, dx);
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return elementwise_loss(f, dz, v); }, x),
                         kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, ReluHasZeroGradientAtZero) {
  const Matrix x = Matrix::rows_of({{0.0, 1.0, -1.0}});
  const Matrix dz = Matrix::rows_of({{5.0, 5.0, 5.0}});
  Matrix dx(1, 3);
  ad::vjp_relu(x, dz, dx);
  EXPECT_EQ(dx.values(), (std::vector<double>{0.0, 5.0, 0.0}));
}

TEST(TensorVjp, ExpMatchesFiniteDifferences) {
  std::mt19937_64 rng(108);
  const auto f = [](ConstMatRef x, MatRef z) { ad::exp(x, z); };
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols, -2.0, 2.0);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    Matrix z(s.rows, s.cols);
    ad::exp(x, z);
    Matrix dx(s.rows, s.cols);
    ad::vjp_exp(z, dz, dx);
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return elementwise_loss(f, dz, v); }, x),
                         kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, SumMatchesFiniteDifferences) {
  std::mt19937_64 rng(109);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const double dy = adtest::uniform(rng, -2.0, 2.0);
    Matrix dx(s.rows, s.cols);
    ad::vjp_sum(dy, dx);
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return dy * ad::sum(v); }, x), kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, DotMatchesFiniteDifferencesForBothOperands) {
  std::mt19937_64 rng(110);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const Matrix y = random_matrix(rng, s.rows, s.cols);
    const double dy = adtest::uniform(rng, -2.0, 2.0);
    Matrix dx(s.rows, s.cols);
    Matrix dyy(s.rows, s.cols);
    ad::vjp_dot(y, dy, dx);   // for x: pass the other operand
    ad::vjp_dot(x, dy, dyy);  // for y
    EXPECT_TRUE(near_rel(dx, fd_gradient([&](const Matrix& v) { return dy * ad::dot(v, y); }, x), kFdTolerance))
        << describe(s);
    EXPECT_TRUE(near_rel(dyy, fd_gradient([&](const Matrix& v) { return dy * ad::dot(x, v); }, y), kFdTolerance))
        << describe(s);
  }
}

TEST(TensorVjp, MseMatchesFiniteDifferences) {
  std::mt19937_64 rng(111);
  for (Shape s : kShapes) {
    const Matrix pred = random_matrix(rng, s.rows, s.cols);
    const Matrix target = random_matrix(rng, s.rows, s.cols);
    const double dy = adtest::uniform(rng, -2.0, 2.0);
    Matrix dpred(s.rows, s.cols);
    ad::vjp_mse(pred, target, dy, dpred);
    EXPECT_TRUE(near_rel(dpred, fd_gradient([&](const Matrix& v) { return dy * ad::mse(v, target); }, pred),
                         kFdTolerance))
        << describe(s);
  }
}

// ------------------------------------------------------ VJPs add into their output

TEST(TensorVjpAccumulates, Add) {
  std::mt19937_64 rng(201);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_add(dz, dx); }, rng);
  }
}

TEST(TensorVjpAccumulates, ScaleVector) {
  std::mt19937_64 rng(202);
  for (Shape s : kShapes) {
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_scale_x(-1.7, dz, dx); }, rng);
  }
}

TEST(TensorVjpAccumulates, MatmulX) {
  std::mt19937_64 rng(203);
  for (const MatmulCase& c : kMatmulCases) {
    const Matrix w = random_matrix(rng, c.k, c.n);
    const Matrix dz = random_matrix(rng, c.m, c.n);
    expect_adds_into_output({c.m, c.k}, [&](MatRef dx) { ad::vjp_matmul_x(w, dz, dx); }, rng);
  }
}

TEST(TensorVjpAccumulates, MatmulW) {
  std::mt19937_64 rng(204);
  for (const MatmulCase& c : kMatmulCases) {
    const Matrix x = random_matrix(rng, c.m, c.k);
    const Matrix dz = random_matrix(rng, c.m, c.n);
    expect_adds_into_output({c.k, c.n}, [&](MatRef dw) { ad::vjp_matmul_w(x, dz, dw); }, rng);
  }
}

TEST(TensorVjpAccumulates, Elementwise) {
  std::mt19937_64 rng(205);
  for (Shape s : kShapes) {
    const Matrix x = away_from_zero(rng, s);
    const Matrix z = random_matrix(rng, s.rows, s.cols);
    const Matrix dz = random_matrix(rng, s.rows, s.cols);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_tanh(z, dz, dx); }, rng);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_relu(x, dz, dx); }, rng);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_exp(z, dz, dx); }, rng);
  }
}

TEST(TensorVjpAccumulates, Reductions) {
  std::mt19937_64 rng(206);
  for (Shape s : kShapes) {
    const Matrix x = random_matrix(rng, s.rows, s.cols);
    const Matrix y = random_matrix(rng, s.rows, s.cols);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_sum(0.6, dx); }, rng);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_dot(y, -1.3, dx); }, rng);
    expect_adds_into_output(s, [&](MatRef dx) { ad::vjp_mse(x, y, 0.9, dx); }, rng);
  }
}

// ------------------------------------------------------------------ shape errors

/// Runs `f`, which must throw ShapeError whose message contains both shapes.
void expect_shape_error(const std::function<void()>& f, const std::string& a, const std::string& b,
                        const char* what) {
  try {
    f();
    ADD_FAILURE() << what << ": no ShapeError";
  } catch (const ad::ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(a), std::string::npos) << what << ": \"" << msg << "\" does not name " << a;
    EXPECT_NE(msg.find(b), std::string::npos) << what << ": \"" << msg << "\" does not name " << b;
  }
}

TEST(TensorShapeError, IsAnInvalidArgument) {
  EXPECT_THROW(ad::add(Matrix(2, 3), Matrix(4, 5)), std::invalid_argument);
}

TEST(TensorShapeError, OperationsNameBothShapes) {
  const Matrix a(2, 3);
  const Matrix b(4, 5);
  Matrix out(4, 5);
  expect_shape_error([&] { ad::add(a, b); }, "2x3", "4x5", "add");
  expect_shape_error([&] { ad::matmul(a, b); }, "2x3", "4x5", "matmul");
  expect_shape_error([&] { ad::scale(2.0, a, out); }, "2x3", "4x5", "scale");
  expect_shape_error([&] { ad::tanh(a, out); }, "2x3", "4x5", "tanh");
  expect_shape_error([&] { ad::relu(a, out); }, "2x3", "4x5", "relu");
  expect_shape_error([&] { ad::exp(a, out); }, "2x3", "4x5", "exp");
  expect_shape_error([&] { static_cast<void>(ad::dot(a, b)); }, "2x3", "4x5", "dot");
  expect_shape_error([&] { static_cast<void>(ad::mse(a, b)); }, "2x3", "4x5", "mse");
}

TEST(TensorShapeError, MatmulResultNamesExpectedAndActualShapes) {
  const Matrix x(2, 3);
  const Matrix w(3, 5);
  Matrix z(4, 4);
  expect_shape_error([&] { ad::matmul(x, w, z); }, "2x5", "4x4", "matmul result");
}

TEST(TensorShapeError, VjpsNameBothShapes) {
  const Matrix a(2, 3);
  Matrix b(4, 5);
  expect_shape_error([&] { ad::vjp_add(a, b); }, "2x3", "4x5", "vjp_add");
  expect_shape_error([&] { static_cast<void>(ad::vjp_scale_a(a, b)); }, "2x3", "4x5", "vjp_scale_a");
  expect_shape_error([&] { ad::vjp_scale_x(1.0, a, b); }, "2x3", "4x5", "vjp_scale_x");
  expect_shape_error([&] { ad::vjp_matmul_x(b, a, b); }, "2x3", "4x5", "vjp_matmul_x");
  expect_shape_error([&] { ad::vjp_matmul_w(a, b, b); }, "2x3", "4x5", "vjp_matmul_w");
  expect_shape_error([&] { ad::vjp_tanh(a, b, b); }, "2x3", "4x5", "vjp_tanh");
  expect_shape_error([&] { ad::vjp_relu(a, b, b); }, "2x3", "4x5", "vjp_relu");
  expect_shape_error([&] { ad::vjp_exp(a, b, b); }, "2x3", "4x5", "vjp_exp");
  expect_shape_error([&] { ad::vjp_dot(a, 1.0, b); }, "2x3", "4x5", "vjp_dot");
  expect_shape_error([&] { ad::vjp_mse(a, b, 1.0, b); }, "2x3", "4x5", "vjp_mse");
}

TEST(TensorShapeError, VjpOutputOfWrongShapeIsNamed) {
  // Operands fit each other but the output does not: the message names the shape dX should have.
  const Matrix w(3, 5);
  const Matrix dz(2, 5);
  Matrix dx(4, 4);
  expect_shape_error([&] { ad::vjp_matmul_x(w, dz, dx); }, "2x3", "4x4", "vjp_matmul_x output");
  const Matrix x(2, 3);
  Matrix dw(4, 4);
  expect_shape_error([&] { ad::vjp_matmul_w(x, dz, dw); }, "3x5", "4x4", "vjp_matmul_w output");
}

TEST(TensorShapeError, MatrixFromWrongNumberOfValuesNamesShape) {
  expect_shape_error([] { Matrix m(2, 3, std::vector<double>(5, 1.0)); }, "2x3", "5 values", "Matrix");
}

}  // namespace
