// Reverse mode: recording on the tape (given), the local partials of every
// operation and the backward sweep.
#include "ad/tape.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ad {

namespace {

Tape& tape_of(Var a) {
  if (a.tape() == nullptr) throw std::invalid_argument("ad::Var used before it was recorded on a tape");
  return *a.tape();
}

Tape& tape_of(Var a, Var b) {
  if (a.tape() != b.tape() || a.tape() == nullptr)
    throw std::invalid_argument("ad::Var operands belong to different tapes (or to none)");
  return *a.tape();
}

Tape& tape_of(const TensorVar& x) {
  if (x.tape() == nullptr) throw std::invalid_argument("ad::TensorVar used before it was recorded on a tape");
  return *x.tape();
}

}  // namespace

// ---------------------------------------------------------------- recording

void Tape::throw_full() { throw std::length_error("ad::Tape is full (2^32 - 2 slots)"); }

void Tape::grow(std::size_t n) {
  const std::size_t need = values_.size() + n;
  nodes_.reserve(std::max(2 * nodes_.capacity(), need));
  values_.reserve(std::max(2 * values_.capacity(), need));
}

std::uint32_t Tape::append_slots(std::size_t n, const Node& fill) {
  const std::size_t first = values_.size();
  if (first + n >= tensor_result) throw_full();
  nodes_.resize(first + n, fill);  // resize() grows geometrically, as push_back does
  values_.resize(first + n);
  return static_cast<std::uint32_t>(first);
}

// Not inlined into the caller's loops on purpose: here the running sums are
// plain locals that stay in registers; inlined, the compiler keeps them in
// memory (they are live across the caller's calls), a store and reload per
// term. Flattened: the vectors' appends are inlined here whatever the
// compiler decides for their other callers (a call per term would double the
// cost).
[[gnu::noinline, gnu::flatten]] void Tape::record_dense_rows(const Var* x, std::size_t n, const double* w,
                                                             std::size_t rows, const double* b, Var* out) {
  if (n == 0) throw std::invalid_argument("ad::Tape::record_dense_rows: a row needs at least one term");
  for (std::size_t j = 0; j < n; ++j)
    if (x[j].tape() != this) throw std::invalid_argument("ad::Var operands belong to different tapes (or to none)");
  const std::size_t first = values_.size();
  if (first + rows * n >= tensor_result) throw_full();
  // The nodes are made room for at once and written through a pointer (Node()
  // writes nothing, so resize() only moves the end); the values are appended
  // one by one (resize() would zero them first, out of line).
  nodes_.resize(first + rows * n);
  Node* node = nodes_.data() + first;
  auto slot = static_cast<std::uint32_t>(first);
  for (std::size_t i = 0; i < rows; ++i, node += n, slot += static_cast<std::uint32_t>(n)) {
    const double* wi = w + i * n;
    double acc = x[0].value() * wi[0] + b[i];
    node[0] = Node(x[0].index(), no_operand, wi[0], 0.0);
    values_.push_back(acc);
    for (std::size_t j = 1; j < n; ++j) {
      acc += x[j].value() * wi[j];
      node[j] = Node(static_cast<std::uint32_t>(slot + j - 1), x[j].index(), 1.0, wi[j]);
      values_.push_back(acc);
    }
    out[i] = Var(this, static_cast<std::uint32_t>(slot + n - 1), acc);
  }
}

Var Tape::record_dense_row(const Var* x, const double* w, std::size_t n, double b) {
  Var sum;
  record_dense_rows(x, n, w, 1, &b, &sum);
  return sum;
}

TensorVar Tape::push_matrix(const Matrix& value, bool requires_grad) {
  const auto begin = static_cast<std::uint32_t>(nodes_.size());
  for (std::size_t k = 0; k < value.size(); ++k) push(value[k], no_operand, 0.0, no_operand, 0.0);
  return TensorVar(this, begin, value.shape(), requires_grad);
}

TensorVar Tape::variable(const Matrix& value) { return push_matrix(value, true); }
TensorVar Tape::constant(const Matrix& value) { return push_matrix(value, false); }

void Tape::reserve(std::size_t nodes) {
  nodes_.reserve(nodes);
  values_.reserve(nodes);
  adjoints_.reserve(nodes);
}

void Tape::clear() {
  nodes_.clear();
  values_.clear();
  adjoints_.clear();
  tensor_ops_.clear();
}

double Tape::adjoint(Var v) const {
  if (v.tape() != this) throw std::invalid_argument("ad::Tape::adjoint: the Var belongs to another tape");
  return v.index() < adjoints_.size() ? adjoints_[v.index()] : 0.0;
}

Matrix Tape::adjoint(TensorVar v) const {
  if (v.tape() != this) throw std::invalid_argument("ad::Tape::adjoint: the TensorVar belongs to another tape");
  Matrix g(v.shape().rows, v.shape().cols);
  for (std::size_t k = 0; k < v.size(); ++k) {
    const std::size_t slot = v.begin() + k;
    g[k] = slot < adjoints_.size() ? adjoints_[slot] : 0.0;
  }
  return g;
}

Var TensorVar::operator[](std::size_t k) const {
  if (k >= size())
    throw std::out_of_range("ad::TensorVar: entry " + std::to_string(k) + " of a " + to_string(shape_) + " tensor");
  const auto slot = static_cast<std::uint32_t>(begin_ + k);
  return Var(tape_, slot, tape_->values_[slot]);
}

Matrix TensorVar::value() const {
  Matrix m(shape_.rows, shape_.cols);
  for (std::size_t k = 0; k < size(); ++k) m[k] = tape_->values_[begin_ + k];
  return m;
}

// ------------------------------------------------------- the backward sweep

void Tape::backward(Var output) {
  if (output.tape() != this) throw std::invalid_argument("ad::Tape::backward: the output belongs to another tape");
  ADC_TODO("reverse mode: the backward sweep");
}

// ------------------------------------------------ scalar operations (partials)

Var operator+(Var a, Var b) {
  Tape& t = tape_of(a, b);
  ADC_TODO("reverse mode: local partials of a + b");
}

Var operator+(Var a, double b) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of a + constant");
}

Var operator+(double a, Var b) {
  Tape& t = tape_of(b);
  ADC_TODO("reverse mode: local partial of constant + b");
}

Var operator-(Var a, Var b) {
  Tape& t = tape_of(a, b);
  ADC_TODO("reverse mode: local partials of a - b");
}

Var operator-(Var a, double b) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of a - constant");
}

Var operator-(double a, Var b) {
  Tape& t = tape_of(b);
  ADC_TODO("reverse mode: local partial of constant - b");
}

Var operator*(Var a, Var b) {
  Tape& t = tape_of(a, b);
  ADC_TODO("reverse mode: local partials of a * b");
}

Var operator*(Var a, double b) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of a * constant");
}

Var operator*(double a, Var b) {
  Tape& t = tape_of(b);
  ADC_TODO("reverse mode: local partial of constant * b");
}

Var operator/(Var a, Var b) {
  Tape& t = tape_of(a, b);
  ADC_TODO("reverse mode: local partials of a / b");
}

Var operator/(Var a, double b) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of a / constant");
}

Var operator/(double a, Var b) {
  Tape& t = tape_of(b);
  ADC_TODO("reverse mode: local partial of constant / b");
}

Var operator-(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of -a");
}

Var sin(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of sin");
}

Var cos(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of cos");
}

Var tan(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of tan");
}

Var exp(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of exp");
}

Var log(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of log");
}

Var sqrt(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of sqrt");
}

Var pow(Var a, double p) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of pow with a constant exponent");
}

Var pow(Var a, Var b) {
  Tape& t = tape_of(a, b);
  ADC_TODO("reverse mode: local partials of pow with a varying exponent");
}

Var abs(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of abs");
}

Var tanh(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of tanh");
}

Var relu(Var a) {
  Tape& t = tape_of(a);
  ADC_TODO("reverse mode: local partial of relu");
}

// ------------------------------------------------ tensor nodes (given)

TensorVar Tape::record_tensor(TensorOpKind kind, Shape out_shape, const TensorVar& x, const TensorVar* y, const Var* a,
                              const Matrix* constant) {
  if (x.tape() != this || (y != nullptr && y->tape() != this) || (a != nullptr && a->tape() != this))
    throw std::invalid_argument("ad::Tape: tensor operands belong to different tapes (or to none)");
  if (nodes_.size() + out_shape.size() >= tensor_result) throw std::length_error("ad::Tape is full (2^32 - 2 slots)");
  const auto op = static_cast<std::uint32_t>(tensor_ops_.size());
  const auto out = static_cast<std::uint32_t>(nodes_.size());
  // Filled in place: a TensorOp built on the stack and copied in is written
  // in parts and read whole, which stalls store forwarding on every node.
  TensorOp& rec = tensor_ops_.emplace_back();
  rec.kind = kind;
  rec.out = out;
  rec.x = x.begin();
  rec.y = no_operand;
  rec.x_shape = x.shape();
  rec.x_grad = x.requires_grad();
  if (constant != nullptr) {
    rec.y_shape = constant->shape();
    rec.constant = constant->data();
  } else if (y != nullptr) {
    rec.y = y->begin();
    rec.y_shape = y->shape();
    rec.y_grad = y->requires_grad();
  } else if (a != nullptr) {
    rec.y = a->index();
    rec.y_shape = Shape{1, 1};
    rec.y_grad = true;
  }
  // Primal values: computed by the tensor functions straight into the value array.
  append_slots(out_shape.size(), Node(tensor_result, op, 0.0, 0.0));
  const ConstMatRef xv(values_.data() + rec.x, rec.x_shape);
  const MatRef zv(values_.data() + out, out_shape);
  switch (kind) {
    case TensorOpKind::matmul_constant: matmul(ConstMatRef(rec.constant, rec.y_shape), xv, zv); break;
    case TensorOpKind::add_constant: add(xv, ConstMatRef(rec.constant, rec.y_shape), zv); break;
    case TensorOpKind::add: add(xv, ConstMatRef(values_.data() + rec.y, rec.y_shape), zv); break;
    case TensorOpKind::scale: ad::scale(values_[rec.y], xv, zv); break;
    case TensorOpKind::matmul: matmul(xv, ConstMatRef(values_.data() + rec.y, rec.y_shape), zv); break;
    case TensorOpKind::tanh: ad::tanh(xv, zv); break;
    case TensorOpKind::relu: ad::relu(xv, zv); break;
    case TensorOpKind::exp: ad::exp(xv, zv); break;
    case TensorOpKind::sum: zv[0] = sum(xv); break;
    case TensorOpKind::dot: zv[0] = dot(xv, ConstMatRef(values_.data() + rec.y, rec.y_shape)); break;
    case TensorOpKind::mse: zv[0] = mse(xv, ConstMatRef(values_.data() + rec.y, rec.y_shape)); break;
    case TensorOpKind::dense_tanh:
    case TensorOpKind::dense_relu: throw std::invalid_argument("ad::Tape::record_tensor: use record_dense for a dense node");
  }
  return TensorVar(this, out, out_shape, rec.x_grad || rec.y_grad);
}

// The messages of record_dense's checks, out of the recording's way.
[[noreturn, gnu::cold, gnu::noinline]] static void dense_operand_error(TensorOpKind kind, const Tape* tape,
                                                                     const Matrix& w, const TensorVar& x,
                                                                     const Matrix& b) {
  if (kind != TensorOpKind::dense_tanh && kind != TensorOpKind::dense_relu)
    throw std::invalid_argument("ad::Tape::record_dense: the kind must be dense_tanh or dense_relu");
  if (x.tape() != tape) throw std::invalid_argument("ad::Tape: tensor operands belong to different tapes (or to none)");
  check_shapes(x.shape().cols == 1 && w.cols() == x.shape().rows, "dense (weight and input)", w.shape(), x.shape());
  check_shapes(b.shape() == Shape{w.rows(), 1}, "dense (bias)", Shape{w.rows(), 1}, b.shape());
  throw std::logic_error("ad::Tape::record_dense: the operand checks disagree (a bug in the tape)");
}

TensorVar Tape::record_dense(TensorOpKind kind, const Matrix& w, const TensorVar& x, const Matrix& b) {
  const std::size_t rows = w.rows(), cols = w.cols();
  // All checks in one branch; the message is worked out only when one fails.
  if ((kind != TensorOpKind::dense_tanh && kind != TensorOpKind::dense_relu) || x.tape() != this ||
      x.shape().cols != 1 || x.shape().rows != cols || b.rows() != rows || b.cols() != 1)
    dense_operand_error(kind, this, w, x, b);
  const std::size_t first = values_.size();
  if (first + rows >= tensor_result) throw_full();
  const auto op = static_cast<std::uint32_t>(tensor_ops_.size());
  const auto out = static_cast<std::uint32_t>(first);
  tensor_ops_.push_back(TensorOp{kind, out, x.begin(), no_operand, x.shape(), w.shape(), x.requires_grad(), false,
                                 w.data(), b.data()});
  // Room first, so that the appends below never move the values the rows read.
  if (first + rows > values_.capacity()) grow(rows);
  const double* xv = values_.data() + x.begin();
  const double* bias = b.data();
  // Each output in the order of the primal's dense row (Chain on doubles), so
  // that the values agree with it to the bit.
  for (std::size_t i = 0; i < rows; ++i) {
    const double* wi = w.data() + i * cols;
    double acc = xv[0] * wi[0] + bias[i];
    for (std::size_t j = 1; j < cols; ++j) acc += xv[j] * wi[j];
    nodes_.push_back(Node(tensor_result, op, 0.0, 0.0));
    values_.push_back(kind == TensorOpKind::dense_tanh ? std::tanh(acc) : (acc > 0 ? acc : 0.0));
  }
  return TensorVar(this, out, Shape{rows, 1}, x.requires_grad());
}

std::uint32_t Tape::backward_tensor_op(std::uint32_t op_index) {
  const TensorOp& op = tensor_ops_[op_index];
  const double* v = values_.data();
  double* g = adjoints_.data();
  const ConstMatRef x(v + op.x, op.x_shape);
  const MatRef dx(g + op.x, op.x_shape);
  switch (op.kind) {
    case TensorOpKind::matmul_constant: {  // Z = C X: dX += Cᵀ dZ
      const ConstMatRef dz(g + op.out, Shape{op.y_shape.rows, op.x_shape.cols});
      if (op.x_grad) vjp_matmul_w(ConstMatRef(op.constant, op.y_shape), dz, dx);
      return op.out;
    }
    case TensorOpKind::add_constant:
      if (op.x_grad) vjp_add(ConstMatRef(g + op.out, op.x_shape), dx);
      return op.out;
    case TensorOpKind::add: {
      const ConstMatRef dz(g + op.out, op.x_shape);
      if (op.x_grad) vjp_add(dz, dx);
      if (op.y_grad) vjp_add(dz, MatRef(g + op.y, op.y_shape));
      return op.out;
    }
    case TensorOpKind::scale: {
      const ConstMatRef dz(g + op.out, op.x_shape);
      g[op.y] += vjp_scale_a(x, dz);
      if (op.x_grad) vjp_scale_x(v[op.y], dz, dx);
      return op.out;
    }
    case TensorOpKind::matmul: {
      const ConstMatRef dz(g + op.out, Shape{op.x_shape.rows, op.y_shape.cols});
      if (op.x_grad) vjp_matmul_x(ConstMatRef(v + op.y, op.y_shape), dz, dx);
      if (op.y_grad) vjp_matmul_w(x, dz, MatRef(g + op.y, op.y_shape));
      return op.out;
    }
    case TensorOpKind::tanh:
      if (op.x_grad) vjp_tanh(ConstMatRef(v + op.out, op.x_shape), ConstMatRef(g + op.out, op.x_shape), dx);
      return op.out;
    case TensorOpKind::relu:
      if (op.x_grad) vjp_relu(x, ConstMatRef(g + op.out, op.x_shape), dx);
      return op.out;
    case TensorOpKind::exp:
      if (op.x_grad) vjp_exp(ConstMatRef(v + op.out, op.x_shape), ConstMatRef(g + op.out, op.x_shape), dx);
      return op.out;
    case TensorOpKind::sum:
      if (op.x_grad) vjp_sum(g[op.out], dx);
      return op.out;
    case TensorOpKind::dot: {
      const ConstMatRef y(v + op.y, op.y_shape);
      if (op.x_grad) vjp_dot(y, g[op.out], dx);
      if (op.y_grad) vjp_dot(x, g[op.out], MatRef(g + op.y, op.y_shape));
      return op.out;
    }
    case TensorOpKind::mse: {
      const ConstMatRef target(v + op.y, op.y_shape);
      if (op.x_grad) vjp_mse(x, target, g[op.out], dx);
      if (op.y_grad) {
        // ∂mse/∂target = -∂mse/∂pred: the same VJP with the roles swapped.
        vjp_mse(target, x, g[op.out], MatRef(g + op.y, op.y_shape));
      }
      return op.out;
    }
    case TensorOpKind::dense_tanh:
    case TensorOpKind::dense_relu: {
      // z = act(C x + c): the activation's VJP into a scratch column (the
      // adjoint of C x + c), then the VJP of matmul for x: dx += Cᵀ (that).
      if (!op.x_grad) return op.out;
      const std::size_t rows = op.y_shape.rows;
      if (scratch_.size() < rows) scratch_.resize(rows);
      double* dpre = scratch_.data();
      const double* z = v + op.out;
      const double* dz = g + op.out;
      // The activation's VJP, written (not added) into the scratch column:
      // tanh' = 1 - z², and relu(a) > 0 exactly where a > 0.
      if (op.kind == TensorOpKind::dense_tanh) {
        for (std::size_t i = 0; i < rows; ++i) dpre[i] = dz[i] * (1.0 - z[i] * z[i]);
      } else {
        for (std::size_t i = 0; i < rows; ++i) dpre[i] = z[i] > 0 ? dz[i] : 0.0;
      }
      vjp_matmul_w(ConstMatRef(op.constant, op.y_shape), ConstMatRef(dpre, Shape{rows, 1}), dx);
      return op.out;
    }
  }
  return op.out;
}

TensorVar dense_tanh(const Matrix& c, const TensorVar& x, const Matrix& bias) {
  return tape_of(x).record_dense(TensorOpKind::dense_tanh, c, x, bias);
}
TensorVar dense_relu(const Matrix& c, const TensorVar& x, const Matrix& bias) {
  return tape_of(x).record_dense(TensorOpKind::dense_relu, c, x, bias);
}

TensorVar operator+(const TensorVar& x, const TensorVar& y) {
  check_shapes(x.shape() == y.shape(), "vector add", x.shape(), y.shape());
  return tape_of(x).record_tensor(TensorOpKind::add, x.shape(), x, &y, nullptr);
}

TensorVar scale(Var a, const TensorVar& x) { return tape_of(x).record_tensor(TensorOpKind::scale, x.shape(), x, nullptr, &a); }

TensorVar matmul(const TensorVar& x, const TensorVar& w) {
  check_shapes(x.shape().cols == w.shape().rows, "matmul", x.shape(), w.shape());
  return tape_of(x).record_tensor(TensorOpKind::matmul, Shape{x.shape().rows, w.shape().cols}, x, &w, nullptr);
}

TensorVar matmul(const Matrix& c, const TensorVar& x) {
  check_shapes(c.cols() == x.shape().rows, "matmul", c.shape(), x.shape());
  return tape_of(x).record_tensor(TensorOpKind::matmul_constant, Shape{c.rows(), x.shape().cols}, x, nullptr, nullptr, &c);
}

TensorVar operator+(const TensorVar& x, const Matrix& c) {
  check_shapes(x.shape() == c.shape(), "vector add", x.shape(), c.shape());
  return tape_of(x).record_tensor(TensorOpKind::add_constant, x.shape(), x, nullptr, nullptr, &c);
}

TensorVar tanh(const TensorVar& x) { return tape_of(x).record_tensor(TensorOpKind::tanh, x.shape(), x, nullptr, nullptr); }
TensorVar relu(const TensorVar& x) { return tape_of(x).record_tensor(TensorOpKind::relu, x.shape(), x, nullptr, nullptr); }
TensorVar exp(const TensorVar& x) { return tape_of(x).record_tensor(TensorOpKind::exp, x.shape(), x, nullptr, nullptr); }

Var sum(const TensorVar& x) { return tape_of(x).record_tensor(TensorOpKind::sum, Shape{1, 1}, x, nullptr, nullptr)[0]; }

Var dot(const TensorVar& x, const TensorVar& y) {
  check_shapes(x.shape() == y.shape(), "dot", x.shape(), y.shape());
  return tape_of(x).record_tensor(TensorOpKind::dot, Shape{1, 1}, x, &y, nullptr)[0];
}

Var mse(const TensorVar& pred, const TensorVar& target) {
  check_shapes(pred.shape() == target.shape(), "mse", pred.shape(), target.shape());
  return tape_of(pred).record_tensor(TensorOpKind::mse, Shape{1, 1}, pred, &target, nullptr)[0];
}

}  // namespace ad
