#pragma once
/// \file Reverse mode: a tape (Wengert list) and its backward sweep.
///
/// Every operation on Var records one node on its Tape: the slot of its result,
/// the slots of its operands and the local partial derivatives ∂result/∂operand.
/// Nodes are appended in evaluation order, so the tape order is a topological
/// order of the computational graph. Tape::backward walks it once in reverse,
/// adding adjoint·partial into each operand's adjoint: a value used many times
/// receives every contribution, in time linear in the tape's length, with no
/// recursion and no per-path work.
///
/// Tensor operations (matmul, add, …) can be recorded as single nodes on the
/// same tape (TensorVar): their results occupy rows·cols consecutive slots and
/// their backward step calls the VJPs of tensor.hpp.
///
/// Storage is contiguous (one array of nodes, one of values, one of adjoints);
/// recording allocates only when an array grows, never per operation.
/// Several tapes may coexist; a Var belongs to exactly one.
///
/// Domains and kink conventions are those of dual.hpp.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "ad/tensor.hpp"

namespace ad {

class Tape;

/// A scalar recorded on a Tape: its primal value and its slot there.
class Var {
 public:
  Var() = default;  ///< not on any tape; using it in an operation throws
  double value() const { return value_; }       ///< primal value
  std::uint32_t index() const { return index_; }  ///< slot on the tape
  Tape* tape() const { return tape_; }            ///< the tape it was recorded on

 private:
  friend class Tape;
  friend class TensorVar;
  Var(Tape* tape, std::uint32_t index, double value) : value_(value), index_(index), tape_(tape) {}
  double value_ = 0.0;
  std::uint32_t index_ = 0;
  Tape* tape_ = nullptr;
};

/// A matrix recorded on a Tape: rows·cols consecutive slots.
class TensorVar {
 public:
  TensorVar() = default;
  Shape shape() const { return shape_; }                 ///< rows × cols
  std::size_t size() const { return shape_.size(); }     ///< number of entries
  std::uint32_t begin() const { return begin_; }         ///< first slot
  Tape* tape() const { return tape_; }                   ///< the tape it was recorded on
  bool requires_grad() const { return requires_grad_; }  ///< false for constants and what depends on constants only
  Var operator[](std::size_t k) const;                   ///< entry k (row-major) as a scalar Var
  Var operator()(std::size_t i, std::size_t j) const { return (*this)[i * shape_.cols + j]; }  ///< entry (i, j)
  Matrix value() const;                                  ///< the primal values

 private:
  friend class Tape;
  TensorVar(Tape* tape, std::uint32_t begin, Shape shape, bool requires_grad)
      : tape_(tape), begin_(begin), shape_(shape), requires_grad_(requires_grad) {}
  Tape* tape_ = nullptr;
  std::uint32_t begin_ = 0;
  Shape shape_;
  bool requires_grad_ = false;
};

/// The kinds of tensor node the tape knows. The *_constant kinds take their
/// second operand from a Matrix outside the tape (a weight, a bias), which
/// is neither copied onto the tape nor differentiated; so do the dense_*
/// kinds, a whole dense layer act(C x + c) in one node (weight C and bias c
/// outside the tape), whose backward step is the VJP of the activation
/// followed by the VJP of matmul.
enum class TensorOpKind : std::uint8_t {
  add, scale, matmul, tanh, relu, exp, sum, dot, mse, matmul_constant, add_constant, dense_tanh, dense_relu
};

/// A reverse-mode tape. Not copyable or movable: Vars point to it.
class Tape {
 public:
  /// One entry of the Wengert list: the node that produced one slot.
  struct Node {
    std::uint32_t a;  ///< first operand's slot, or no_operand
    std::uint32_t b;  ///< second operand's slot, or no_operand; for tensor_result, the tensor op's number
    double da;        ///< ∂result/∂a
    double db;        ///< ∂result/∂b
    Node() {}  ///< fields left unset, also in value-initialization (the tape writes every field)
    Node(std::uint32_t a_, std::uint32_t b_, double da_, double db_) : a(a_), b(b_), da(da_), db(db_) {}
  };
  /// A slot with no operand (an input, a constant, a unary node's b).
  static constexpr std::uint32_t no_operand = std::numeric_limits<std::uint32_t>::max();
  /// Node::a of a slot written by a tensor op (its Node::b is the op's number).
  static constexpr std::uint32_t tensor_result = no_operand - 1;

  /// A tensor node: what it computed from which slots.
  struct TensorOp {
    TensorOpKind kind;
    std::uint32_t out;   ///< first slot of the result
    std::uint32_t x;     ///< first slot of operand x
    std::uint32_t y;     ///< first slot of operand y (or the scalar of scale), else no_operand
    Shape x_shape;       ///< shape of x
    Shape y_shape;       ///< shape of y (or of the constant)
    bool x_grad;         ///< whether x needs its VJP
    bool y_grad;         ///< whether y needs its VJP
    const double* constant;  ///< *_constant and dense_* kinds: the constant's (weight's) entries (row-major, outside the tape), else null
    const double* bias;      ///< dense_* kinds: the bias's entries (outside the tape), else null
  };

  Tape() = default;
  explicit Tape(std::size_t expected_nodes) { reserve(expected_nodes); }
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// A new independent input.
  Var variable(double value);
  /// A new matrix input (its entries are inputs).
  TensorVar variable(const Matrix& value);
  /// A matrix constant: recorded for its values, never differentiated.
  TensorVar constant(const Matrix& value);

  /// Sets every adjoint to 0, the adjoint of `output` to 1, and sweeps the
  /// tape backwards so that adjoint(v) = ∂output/∂v for every v recorded
  /// before `output`. May be called again (for another output): adjoints are
  /// reset each time.
  void backward(Var output);

  double adjoint(Var v) const;           ///< ∂output/∂v after backward(output)
  Matrix adjoint(TensorVar v) const;     ///< ∂output/∂v entrywise after backward(output)
  double value(std::uint32_t slot) const { return values_[slot]; }    ///< primal value in a slot
  double adjoint(std::uint32_t slot) const { return adjoints_[slot]; }  ///< adjoint in a slot

  std::size_t size() const { return nodes_.size(); }  ///< number of slots recorded
  void reserve(std::size_t nodes);                    ///< room for `nodes` slots without reallocating
  /// Forgets every node but keeps the memory, to record the next evaluation.
  /// Vars recorded before are invalid afterwards.
  void clear();

  /// Records a node with one operand: result `value`, ∂value/∂a = da.
  Var record(double value, Var a, double da);
  /// Records a node with two operands: ∂value/∂a = da, ∂value/∂b = db.
  Var record(double value, Var a, double da, Var b, double db);

  /// Records b + Σ_j x_j·w_j for n > 0 Vars of this tape and constants w_j:
  /// n nodes, acc_0 = x_0·w_0 + b and acc_j = acc_(j-1) + x_j·w_j (partials 1
  /// and w_j), the way fast tapes record a whole statement instead of a
  /// product node and a sum node per term: record_dense_rows with one row.
  Var record_dense_row(const Var* x, const double* w, std::size_t n, double b);
  /// Records the rows b_i + Σ_j x_j·W_ij of a dense layer (W rows × n,
  /// row-major, b rows long), each as record_dense_row does, one row after
  /// another, and sets out[i] to row i's sum: the terms' tape is checked and
  /// room made once per layer rather than once per row. out must not overlap x.
  void record_dense_rows(const Var* x, std::size_t n, const double* w, std::size_t rows, const double* b, Var* out);

  /// Records a tensor node (used by the tensor operations below). `constant`
  /// is the second operand of the *_constant kinds; the tape keeps a pointer
  /// to it, so it must outlive every backward() on this recording.
  TensorVar record_tensor(TensorOpKind kind, Shape out_shape, const TensorVar& x, const TensorVar* y, const Var* a,
                          const Matrix* constant = nullptr);
  /// Records act(w x + b), kind dense_tanh or dense_relu, as one node: x a
  /// column on this tape, w and b constants the tape points to (they must
  /// outlive every backward() on this recording).
  TensorVar record_dense(TensorOpKind kind, const Matrix& w, const TensorVar& x, const Matrix& b);

  const std::vector<Node>& nodes() const { return nodes_; }            ///< the Wengert list
  const std::vector<TensorOp>& tensor_ops() const { return tensor_ops_; }  ///< tensor nodes in order

 private:
  friend class TensorVar;
  /// Appends one slot; inline, as it runs once per recorded operation, and
  /// flattened, so that the vectors' appends are inlined into it (left to the
  /// compiler, they become a call per operation once enough places use them).
  [[gnu::flatten]] std::uint32_t push(double value, std::uint32_t a, double da, std::uint32_t b, double db);
  [[noreturn]] static void throw_full();
  /// Runs the VJPs of tensor op `op`; returns the first slot of its result.
  std::uint32_t backward_tensor_op(std::uint32_t op);
  TensorVar push_matrix(const Matrix& value, bool requires_grad);
  /// Appends n slots, each node `fill` and value 0 (for the caller to write); returns the first.
  std::uint32_t append_slots(std::size_t n, const Node& fill);
  /// Room for n more slots in the node and value arrays (geometric growth); the caller has checked that the tape holds them.
  [[gnu::noinline]] void grow(std::size_t n);

  std::vector<Node> nodes_;
  std::vector<double> values_;
  std::vector<double> adjoints_;
  std::vector<TensorOp> tensor_ops_;
  std::vector<double> scratch_;  ///< the backward step of a dense node: the activation's VJP
};

// The recording hot path, inline: one call per operation would cost more than the operation.
inline std::uint32_t Tape::push(double value, std::uint32_t a, double da, std::uint32_t b, double db) {
  // The slot count from values_ (8-byte entries: a shift, not a division by 24).
  const std::size_t slot = values_.size();
  if (__builtin_expect(slot >= tensor_result, 0)) throw_full();
  nodes_.push_back(Node(a, b, da, db));
  values_.push_back(value);
  return static_cast<std::uint32_t>(slot);
}
inline Var Tape::variable(double value) { return Var(this, push(value, no_operand, 0.0, no_operand, 0.0), value); }
inline Var Tape::record(double value, Var a, double da) {
  return Var(this, push(value, a.index(), da, no_operand, 0.0), value);
}
inline Var Tape::record(double value, Var a, double da, Var b, double db) {
  return Var(this, push(value, a.index(), da, b.index(), db), value);
}

// Scalar operations; each records one node. Mixing Vars of two tapes throws
// std::invalid_argument.
Var operator+(Var a, Var b);
Var operator+(Var a, double b);
Var operator+(double a, Var b);
Var operator-(Var a, Var b);
Var operator-(Var a, double b);
Var operator-(double a, Var b);
Var operator*(Var a, Var b);
Var operator*(Var a, double b);
Var operator*(double a, Var b);
Var operator/(Var a, Var b);
Var operator/(Var a, double b);
Var operator/(double a, Var b);
Var operator-(Var a);
Var sin(Var a);
Var cos(Var a);
Var tan(Var a);
Var exp(Var a);
Var log(Var a);
Var sqrt(Var a);
Var pow(Var a, double p);
Var pow(Var a, Var b);
Var abs(Var a);
Var tanh(Var a);
Var relu(Var a);

inline Var& operator+=(Var& a, Var b) { return a = a + b; }
/// Every row of W x + b (a dense layer before its activation; W rows × x.size(),
/// row-major) into out[0], …, out[rows - 1], recorded by Tape::record_dense_rows:
/// one node per multiply-add.
inline void dense_rows(const std::vector<Var>& x, const double* w, std::size_t rows, const double* b, Var* out) {
  if (x.empty()) throw std::invalid_argument("ad::dense_rows: no inputs");
  Tape* t = x[0].tape();
  if (t == nullptr) throw std::invalid_argument("ad::Var used before it was recorded on a tape");
  if (x.size() == 1) {  // one term a row: no call
    for (std::size_t i = 0; i < rows; ++i) out[i] = t->record(x[0].value() * w[i] + b[i], x[0], w[i]);
    return;
  }
  t->record_dense_rows(x.data(), x.size(), w, rows, b, out);
}
/// The same into a vector, resized to rows.
inline void dense_rows(const std::vector<Var>& x, const double* w, std::size_t rows, const double* b,
                       std::vector<Var>& out) {
  out.resize(rows);
  dense_rows(x, w, rows, b, out.data());
}
/// b + Σ_j x_j·w_j (one output of a dense layer, see dense_row in chain.hpp): dense_rows with one row.
inline Var dense_row(const std::vector<Var>& x, const double* w, double b) {
  Var sum;
  dense_rows(x, w, 1, &b, &sum);
  return sum;
}
inline Var& operator-=(Var& a, Var b) { return a = a - b; }
inline Var& operator*=(Var& a, Var b) { return a = a * b; }
inline Var& operator/=(Var& a, Var b) { return a = a / b; }
inline bool operator<(Var a, Var b) { return a.value() < b.value(); }
inline bool operator>(Var a, Var b) { return a.value() > b.value(); }
inline double value_of(Var x) { return x.value(); }

// Tensor operations, each one node on the tape.
TensorVar operator+(const TensorVar& x, const TensorVar& y);  ///< vector add
TensorVar scale(Var a, const TensorVar& x);                   ///< a·x
TensorVar matmul(const TensorVar& x, const TensorVar& w);     ///< X W
/// C X for a constant C kept where it is (a weight): one node, C neither copied nor differentiated; C must outlive the recording's use.
TensorVar matmul(const Matrix& c, const TensorVar& x);
/// x + c for a constant c kept where it is (a bias): one node, c neither copied nor differentiated; c must outlive the recording's use.
TensorVar operator+(const TensorVar& x, const Matrix& c);
/// tanh(C x + c) for a constant weight C and bias c kept where they are (a
/// dense layer): one node, as matmul, + and tanh would record three; C and c
/// must outlive the recording's use.
TensorVar dense_tanh(const Matrix& c, const TensorVar& x, const Matrix& bias);
/// relu(C x + c), as dense_tanh.
TensorVar dense_relu(const Matrix& c, const TensorVar& x, const Matrix& bias);
TensorVar tanh(const TensorVar& x);                           ///< entrywise tanh
TensorVar relu(const TensorVar& x);                           ///< entrywise relu
TensorVar exp(const TensorVar& x);                            ///< entrywise exp
Var sum(const TensorVar& x);                                  ///< Σ x
Var dot(const TensorVar& x, const TensorVar& y);              ///< ⟨x, y⟩
Var mse(const TensorVar& pred, const TensorVar& target);      ///< mean((pred - target)²)

}  // namespace ad
