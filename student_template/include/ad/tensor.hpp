#pragma once
/// \file Tensor operations on row-major matrices, each beside its vector-Jacobian product.
///
/// A vector is a matrix with one column. For an operation z = f(x, …) and a
/// cotangent dz (the gradient of some scalar loss with respect to z), the VJP of
/// argument x is dz·∂f/∂x, the gradient of that loss with respect to x.
///
/// Every VJP *adds* into its output (dx += …) instead of overwriting it: a value
/// used by several operations receives the sum of their contributions, as in
/// the backward sweep. Every function checks shapes and throws ShapeError
/// naming both shapes when they do not fit.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "ad/error.hpp"

namespace ad {

/// The shape of a matrix: rows × cols.
struct Shape {
  std::size_t rows = 0;  ///< number of rows
  std::size_t cols = 0;  ///< number of columns
  std::size_t size() const { return rows * cols; }  ///< number of entries
};
inline bool operator==(Shape a, Shape b) { return a.rows == b.rows && a.cols == b.cols; }
inline bool operator!=(Shape a, Shape b) { return !(a == b); }
/// "3x2".
inline std::string to_string(Shape s) { return std::to_string(s.rows) + "x" + std::to_string(s.cols); }

/// A read-only view of row-major matrix data owned elsewhere.
class ConstMatRef {
 public:
  ConstMatRef(const double* data, Shape shape) : data_(data), shape_(shape) {}
  Shape shape() const { return shape_; }                        ///< rows × cols
  std::size_t rows() const { return shape_.rows; }              ///< number of rows
  std::size_t cols() const { return shape_.cols; }              ///< number of columns
  std::size_t size() const { return shape_.size(); }            ///< number of entries
  const double* data() const { return data_; }                  ///< first entry
  double operator()(std::size_t i, std::size_t j) const { return data_[i * shape_.cols + j]; }  ///< entry (i, j)
  double operator[](std::size_t k) const { return data_[k]; }   ///< entry k in row-major order

 private:
  const double* data_;
  Shape shape_;
};

/// A writable view of row-major matrix data owned elsewhere.
class MatRef {
 public:
  MatRef(double* data, Shape shape) : data_(data), shape_(shape) {}
  operator ConstMatRef() const { return {data_, shape_}; }  // NOLINT: a writable view reads too
  Shape shape() const { return shape_; }                        ///< rows × cols
  std::size_t rows() const { return shape_.rows; }              ///< number of rows
  std::size_t cols() const { return shape_.cols; }              ///< number of columns
  std::size_t size() const { return shape_.size(); }            ///< number of entries
  double* data() const { return data_; }                        ///< first entry
  double& operator()(std::size_t i, std::size_t j) const { return data_[i * shape_.cols + j]; }  ///< entry (i, j)
  double& operator[](std::size_t k) const { return data_[k]; }  ///< entry k in row-major order

 private:
  double* data_;
  Shape shape_;
};

/// An owning row-major matrix; a vector is a matrix with one column.
class Matrix {
 public:
  Matrix() = default;
  /// rows × cols, every entry `fill`.
  Matrix(std::size_t rows, std::size_t cols, double fill = 0.0);
  /// rows × cols from row-major `data`; throws ShapeError if the sizes differ.
  Matrix(std::size_t rows, std::size_t cols, std::vector<double> data);
  /// A column vector.
  static Matrix column(std::vector<double> values);
  /// Rows given as nested lists: Matrix::rows_of({{1, 2}, {3, 4}}).
  static Matrix rows_of(std::initializer_list<std::initializer_list<double>> rows);

  Shape shape() const { return shape_; }                        ///< rows × cols
  std::size_t rows() const { return shape_.rows; }              ///< number of rows
  std::size_t cols() const { return shape_.cols; }              ///< number of columns
  std::size_t size() const { return data_.size(); }             ///< number of entries
  double* data() { return data_.data(); }                       ///< first entry
  const double* data() const { return data_.data(); }           ///< first entry
  const std::vector<double>& values() const { return data_; }   ///< all entries, row-major
  double& operator()(std::size_t i, std::size_t j) { return data_[i * shape_.cols + j]; }  ///< entry (i, j)
  double operator()(std::size_t i, std::size_t j) const { return data_[i * shape_.cols + j]; }  ///< entry (i, j)
  double& operator[](std::size_t k) { return data_[k]; }        ///< entry k, row-major
  double operator[](std::size_t k) const { return data_[k]; }   ///< entry k, row-major
  operator MatRef() { return {data_.data(), shape_}; }          // NOLINT: views convert implicitly
  operator ConstMatRef() const { return {data_.data(), shape_}; }  // NOLINT
  /// The transpose, as a new matrix.
  Matrix transposed() const;

 private:
  Shape shape_;
  std::vector<double> data_;
};

/// Throws ShapeError "<what>: shapes 3x2 and 4x1 do not fit" unless `ok`.
void check_shapes(bool ok, const char* what, Shape a, Shape b);

// ---- vector add: z = x + y (same shapes) ----
/// z = x + y.
void add(ConstMatRef x, ConstMatRef y, MatRef z);
/// VJP of add for either operand: dx += dz.
void vjp_add(ConstMatRef dz, MatRef dx);

// ---- scalar-vector multiply: z = a·x ----
/// z = a·x.
void scale(double a, ConstMatRef x, MatRef z);
/// VJP of scale for the scalar: returns ⟨x, dz⟩ (to add into da).
double vjp_scale_a(ConstMatRef x, ConstMatRef dz);
/// VJP of scale for the vector: dx += a·dz.
void vjp_scale_x(double a, ConstMatRef dz, MatRef dx);

// ---- matmul: Z = X W, X m×k, W k×n, Z m×n ----
/// Z = X W.
void matmul(ConstMatRef x, ConstMatRef w, MatRef z);
/// VJP of matmul for X: dX += dZ Wᵀ.
void vjp_matmul_x(ConstMatRef w, ConstMatRef dz, MatRef dx);
/// VJP of matmul for W: dW += Xᵀ dZ.
void vjp_matmul_w(ConstMatRef x, ConstMatRef dz, MatRef dw);

// ---- elementwise functions (z has the shape of x) ----
/// z = tanh(x) entrywise.
void tanh(ConstMatRef x, MatRef z);
/// VJP of tanh from its output z: dx += dz ⊙ (1 - z²).
void vjp_tanh(ConstMatRef z, ConstMatRef dz, MatRef dx);
/// z = max(x, 0) entrywise.
void relu(ConstMatRef x, MatRef z);
/// VJP of relu: dx += dz where x > 0.
void vjp_relu(ConstMatRef x, ConstMatRef dz, MatRef dx);
/// z = exp(x) entrywise.
void exp(ConstMatRef x, MatRef z);
/// VJP of exp from its output z: dx += dz ⊙ z.
void vjp_exp(ConstMatRef z, ConstMatRef dz, MatRef dx);

// ---- reductions to a scalar ----
/// Σ x.
double sum(ConstMatRef x);
/// VJP of sum: dx += dy (every entry).
void vjp_sum(double dy, MatRef dx);
/// ⟨x, y⟩ (same shapes).
double dot(ConstMatRef x, ConstMatRef y);
/// VJP of dot for x (pass the other operand as y): dx += dy·y.
void vjp_dot(ConstMatRef y, double dy, MatRef dx);
/// Mean squared error: mean((pred - target)²).
double mse(ConstMatRef pred, ConstMatRef target);
/// VJP of mse for pred: dpred += dy·2(pred - target)/n.
void vjp_mse(ConstMatRef pred, ConstMatRef target, double dy, MatRef dpred);

// ---- value-returning forms, for convenience ----
Matrix add(const Matrix& x, const Matrix& y);      ///< x + y
Matrix scale(double a, const Matrix& x);           ///< a·x
Matrix matmul(const Matrix& x, const Matrix& w);   ///< X W

}  // namespace ad
