#pragma once
/// \file Jacobians of f: Rⁿ → Rᵐ by forward and by reverse mode.
///
/// `f` is any callable that takes a std::vector<T> and returns a std::vector<T>
/// for T = double, Dual, DualVec<N> and Var alike (a generic lambda, or a
/// function template such as Chain::operator()). The Jacobian is m × n:
/// row i is the gradient of output i.
///
/// Example:
///   auto f = [](const auto& x) { return std::vector{x[0] * x[1], sin(x[0])}; };
///   Matrix j = jacobian_reverse(f, {2.0, 3.0});  // {{3, 2}, {cos 2, 0}}

#include <algorithm>
#include <cstddef>
#include <vector>

#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"

namespace ad {

/// Forward mode, one pass per input: pass j seeds tangent 1 on x_j and yields column j.
template <class F>
Matrix jacobian_forward(F&& f, const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<Dual> xd(n);
  Matrix jac;
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i = 0; i < n; ++i) xd[i] = Dual(x[i], i == j ? 1.0 : 0.0);
    const std::vector<Dual> y = f(xd);
    if (j == 0) jac = Matrix(y.size(), n);
    for (std::size_t i = 0; i < y.size(); ++i) jac(i, j) = y[i].tangent;
  }
  return jac;
}

/// Vector-mode forward: N inputs per pass (ceil(n/N) passes; one when n <= N).
template <std::size_t N, class F>
Matrix jacobian_forward_vector(F&& f, const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<DualVec<N>> xd(n);
  Matrix jac;
  for (std::size_t first = 0; first < n || (n == 0 && first == 0); first += N) {
    for (std::size_t i = 0; i < n; ++i) {
      xd[i] = DualVec<N>(x[i]);
      if (i >= first && i < first + N) xd[i].tangent[i - first] = 1.0;
    }
    const std::vector<DualVec<N>> y = f(xd);
    if (first == 0) jac = Matrix(y.size(), n);
    for (std::size_t i = 0; i < y.size(); ++i)
      for (std::size_t j = first; j < std::min(n, first + N); ++j) jac(i, j) = y[i].tangent[j - first];
    if (n == 0) break;
  }
  return jac;
}

/// Reverse mode: records f once, then one backward sweep per output.
template <class F>
Matrix jacobian_reverse(F&& f, const std::vector<double>& x) {
  Tape tape;
  std::vector<Var> xv;
  xv.reserve(x.size());
  for (double xi : x) xv.push_back(tape.variable(xi));
  const std::vector<Var> y = f(xv);
  Matrix jac(y.size(), x.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    tape.backward(y[i]);
    for (std::size_t j = 0; j < x.size(); ++j) jac(i, j) = tape.adjoint(xv[j]);
  }
  return jac;
}

/// Gradient of a scalar function (f returns one Var) by one reverse sweep.
template <class F>
std::vector<double> gradient(F&& f, const std::vector<double>& x) {
  Tape tape;
  std::vector<Var> xv;
  xv.reserve(x.size());
  for (double xi : x) xv.push_back(tape.variable(xi));
  const Var y = f(xv);
  tape.backward(y);
  std::vector<double> g(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) g[j] = tape.adjoint(xv[j]);
  return g;
}

}  // namespace ad
