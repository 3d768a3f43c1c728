// Tensor operations and their vector-Jacobian products.
#include "ad/tensor.hpp"

#include <cmath>
#include <utility>

namespace ad {

Matrix::Matrix(std::size_t rows, std::size_t cols, double fill) : shape_{rows, cols}, data_(rows * cols, fill) {}

Matrix::Matrix(std::size_t rows, std::size_t cols, std::vector<double> data) : shape_{rows, cols}, data_(std::move(data)) {
  if (data_.size() != rows * cols)
    throw ShapeError("Matrix: " + std::to_string(data_.size()) + " values do not fill a " + to_string(shape_) +
                     " matrix");
}

Matrix Matrix::column(std::vector<double> values) {
  const std::size_t n = values.size();
  return Matrix(n, 1, std::move(values));
}

Matrix Matrix::rows_of(std::initializer_list<std::initializer_list<double>> rows) {
  const std::size_t r = rows.size();
  const std::size_t c = r == 0 ? 0 : rows.begin()->size();
  std::vector<double> data;
  data.reserve(r * c);
  for (const auto& row : rows) {
    if (row.size() != c) throw ShapeError("Matrix::rows_of: rows of different lengths");
    data.insert(data.end(), row.begin(), row.end());
  }
  return Matrix(r, c, std::move(data));
}

Matrix Matrix::transposed() const {
  Matrix t(cols(), rows());
  for (std::size_t i = 0; i < rows(); ++i)
    for (std::size_t j = 0; j < cols(); ++j) t(j, i) = (*this)(i, j);
  return t;
}

void check_shapes(bool ok, const char* what, Shape a, Shape b) {
  if (!ok) throw ShapeError(std::string(what) + ": shapes " + to_string(a) + " and " + to_string(b) + " do not fit");
}

// ---- vector add

void add(ConstMatRef x, ConstMatRef y, MatRef z) {
  check_shapes(x.shape() == y.shape(), "add", x.shape(), y.shape());
  check_shapes(x.shape() == z.shape(), "add (result)", x.shape(), z.shape());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = x[k] + y[k];
}

void vjp_add(ConstMatRef dz, MatRef dx) {
  check_shapes(dz.shape() == dx.shape(), "vjp_add", dz.shape(), dx.shape());
  // BEGIN SOLUTION "VJP of vector add"
  for (std::size_t k = 0; k < dz.size(); ++k) dx[k] += dz[k];
  // END SOLUTION
}

// ---- scalar-vector multiply

void scale(double a, ConstMatRef x, MatRef z) {
  check_shapes(x.shape() == z.shape(), "scale (result)", x.shape(), z.shape());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = a * x[k];
}

double vjp_scale_a(ConstMatRef x, ConstMatRef dz) {
  check_shapes(x.shape() == dz.shape(), "vjp_scale_a", x.shape(), dz.shape());
  // BEGIN SOLUTION "VJP of scalar-vector multiply for the scalar"
  double da = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) da += x[k] * dz[k];
  return da;
  // END SOLUTION
}

void vjp_scale_x(double a, ConstMatRef dz, MatRef dx) {
  check_shapes(dz.shape() == dx.shape(), "vjp_scale_x", dz.shape(), dx.shape());
  // BEGIN SOLUTION "VJP of scalar-vector multiply for the vector"
  for (std::size_t k = 0; k < dz.size(); ++k) dx[k] += a * dz[k];
  // END SOLUTION
}

// ---- matmul

void matmul(ConstMatRef x, ConstMatRef w, MatRef z) {
  check_shapes(x.cols() == w.rows(), "matmul", x.shape(), w.shape());
  check_shapes(z.rows() == x.rows() && z.cols() == w.cols(), "matmul (result)", Shape{x.rows(), w.cols()}, z.shape());
  const std::size_t m = x.rows(), k = x.cols(), n = w.cols();
  if (n == 1) {
    // Matrix times vector: one dot product per row, summed in a register.
    for (std::size_t i = 0; i < m; ++i) {
      const double* xi = x.data() + i * k;
      double acc = 0.0;
      for (std::size_t p = 0; p < k; ++p) acc += xi[p] * w[p];
      z[i] = acc;
    }
    return;
  }
  // i-p-j order: the inner loop runs along rows of W and Z, contiguous in memory.
  for (std::size_t i = 0; i < m; ++i) {
    double* zi = z.data() + i * n;
    for (std::size_t j = 0; j < n; ++j) zi[j] = 0.0;
    for (std::size_t p = 0; p < k; ++p) {
      const double xip = x(i, p);
      const double* wp = w.data() + p * n;
      for (std::size_t j = 0; j < n; ++j) zi[j] += xip * wp[j];
    }
  }
}

void vjp_matmul_x(ConstMatRef w, ConstMatRef dz, MatRef dx) {
  check_shapes(dz.cols() == w.cols(), "vjp_matmul_x (dZ and W)", dz.shape(), w.shape());
  check_shapes(dx.rows() == dz.rows() && dx.cols() == w.rows(), "vjp_matmul_x (dX)", Shape{dz.rows(), w.rows()},
               dx.shape());
  // BEGIN SOLUTION "VJP of matmul for X (dX += dZ Wᵀ)"
  const std::size_t m = dz.rows(), k = w.rows(), n = w.cols();
  for (std::size_t i = 0; i < m; ++i) {
    const double* dzi = dz.data() + i * n;
    for (std::size_t p = 0; p < k; ++p) {
      const double* wp = w.data() + p * n;
      double acc = 0.0;
      for (std::size_t j = 0; j < n; ++j) acc += dzi[j] * wp[j];
      dx(i, p) += acc;
    }
  }
  // END SOLUTION
}

void vjp_matmul_w(ConstMatRef x, ConstMatRef dz, MatRef dw) {
  check_shapes(x.rows() == dz.rows(), "vjp_matmul_w (X and dZ)", x.shape(), dz.shape());
  check_shapes(dw.rows() == x.cols() && dw.cols() == dz.cols(), "vjp_matmul_w (dW)", Shape{x.cols(), dz.cols()},
               dw.shape());
  // BEGIN SOLUTION "VJP of matmul for W (dW += Xᵀ dZ)"
  const std::size_t m = x.rows(), k = x.cols(), n = dz.cols();
  if (n == 1) {
    // dZ is a column: dW += dZ(i)·(row i of X)ᵀ for each i, a contiguous
    // update; four rows at a time, so that dW is read and written once per
    // four rows instead of once per row.
    double* out = dw.data();
    std::size_t i = 0;
    for (; i + 4 <= m; i += 4) {
      const double d0 = dz[i], d1 = dz[i + 1], d2 = dz[i + 2], d3 = dz[i + 3];
      const double* x0 = x.data() + i * k;
      const double* x1 = x0 + k;
      const double* x2 = x1 + k;
      const double* x3 = x2 + k;
      for (std::size_t p = 0; p < k; ++p) out[p] += (x0[p] * d0 + x1[p] * d1) + (x2[p] * d2 + x3[p] * d3);
    }
    for (; i < m; ++i) {
      const double d = dz[i];
      const double* xi = x.data() + i * k;
      for (std::size_t p = 0; p < k; ++p) out[p] += xi[p] * d;
    }
    return;
  }
  for (std::size_t i = 0; i < m; ++i) {
    const double* dzi = dz.data() + i * n;
    for (std::size_t p = 0; p < k; ++p) {
      const double xip = x(i, p);
      double* dwp = dw.data() + p * n;
      for (std::size_t j = 0; j < n; ++j) dwp[j] += xip * dzi[j];
    }
  }
  // END SOLUTION
}

// ---- elementwise

void tanh(ConstMatRef x, MatRef z) {
  check_shapes(x.shape() == z.shape(), "tanh (result)", x.shape(), z.shape());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = std::tanh(x[k]);
}

void vjp_tanh(ConstMatRef z, ConstMatRef dz, MatRef dx) {
  check_shapes(z.shape() == dz.shape(), "vjp_tanh", z.shape(), dz.shape());
  check_shapes(z.shape() == dx.shape(), "vjp_tanh (dx)", z.shape(), dx.shape());
  for (std::size_t k = 0; k < z.size(); ++k) dx[k] += dz[k] * (1.0 - z[k] * z[k]);
}

void relu(ConstMatRef x, MatRef z) {
  check_shapes(x.shape() == z.shape(), "relu (result)", x.shape(), z.shape());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = x[k] > 0.0 ? x[k] : 0.0;
}

void vjp_relu(ConstMatRef x, ConstMatRef dz, MatRef dx) {
  check_shapes(x.shape() == dz.shape(), "vjp_relu", x.shape(), dz.shape());
  check_shapes(x.shape() == dx.shape(), "vjp_relu (dx)", x.shape(), dx.shape());
  for (std::size_t k = 0; k < x.size(); ++k)
    if (x[k] > 0.0) dx[k] += dz[k];
}

void exp(ConstMatRef x, MatRef z) {
  check_shapes(x.shape() == z.shape(), "exp (result)", x.shape(), z.shape());
  for (std::size_t k = 0; k < x.size(); ++k) z[k] = std::exp(x[k]);
}

void vjp_exp(ConstMatRef z, ConstMatRef dz, MatRef dx) {
  check_shapes(z.shape() == dz.shape(), "vjp_exp", z.shape(), dz.shape());
  check_shapes(z.shape() == dx.shape(), "vjp_exp (dx)", z.shape(), dx.shape());
  for (std::size_t k = 0; k < z.size(); ++k) dx[k] += dz[k] * z[k];
}

// ---- reductions

double sum(ConstMatRef x) {
  double s = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) s += x[k];
  return s;
}

void vjp_sum(double dy, MatRef dx) {
  for (std::size_t k = 0; k < dx.size(); ++k) dx[k] += dy;
}

double dot(ConstMatRef x, ConstMatRef y) {
  check_shapes(x.shape() == y.shape(), "dot", x.shape(), y.shape());
  double s = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) s += x[k] * y[k];
  return s;
}

void vjp_dot(ConstMatRef y, double dy, MatRef dx) {
  check_shapes(y.shape() == dx.shape(), "vjp_dot", y.shape(), dx.shape());
  for (std::size_t k = 0; k < y.size(); ++k) dx[k] += dy * y[k];
}

double mse(ConstMatRef pred, ConstMatRef target) {
  check_shapes(pred.shape() == target.shape(), "mse", pred.shape(), target.shape());
  if (pred.size() == 0) return 0.0;
  double s = 0.0;
  for (std::size_t k = 0; k < pred.size(); ++k) {
    const double e = pred[k] - target[k];
    s += e * e;
  }
  return s / static_cast<double>(pred.size());
}

void vjp_mse(ConstMatRef pred, ConstMatRef target, double dy, MatRef dpred) {
  check_shapes(pred.shape() == target.shape(), "vjp_mse", pred.shape(), target.shape());
  check_shapes(pred.shape() == dpred.shape(), "vjp_mse (dpred)", pred.shape(), dpred.shape());
  if (pred.size() == 0) return;
  const double c = 2.0 * dy / static_cast<double>(pred.size());
  for (std::size_t k = 0; k < pred.size(); ++k) dpred[k] += c * (pred[k] - target[k]);
}

// ---- value-returning forms

Matrix add(const Matrix& x, const Matrix& y) {
  Matrix z(x.rows(), x.cols());
  add(ConstMatRef(x), ConstMatRef(y), MatRef(z));
  return z;
}

Matrix scale(double a, const Matrix& x) {
  Matrix z(x.rows(), x.cols());
  scale(a, ConstMatRef(x), MatRef(z));
  return z;
}

Matrix matmul(const Matrix& x, const Matrix& w) {
  Matrix z(x.rows(), w.cols());
  matmul(ConstMatRef(x), ConstMatRef(w), MatRef(z));
  return z;
}

}  // namespace ad
