#pragma once
/// \file Random straight-line programs, evaluated generically on double, Dual, DualVec<N> and Var.
///
/// A program reads n inputs into registers and appends one register per
/// instruction; each instruction applies one of the operations below to one
/// or two earlier registers. Its outputs are the last m registers. Every
/// operation maps values in [-2.5, 2.5] back into [-2.5, 2.5] with valid
/// arguments (positive logs and bases, divisors >= 1, tan away from its
/// poles), so compositions of any length stay finite and well conditioned.
/// Smooth programs avoid abs and relu, so that central differences apply.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "ad/dual.hpp"
#include "ad/dual_vec.hpp"
#include "ad/tape.hpp"

namespace adtest {

/// relu on plain doubles, so that the programs also run on double (ad::relu covers the AD types).
inline double relu(double v) { return v > 0.0 ? v : 0.0; }

/// One step of a random program: result = op(reg[a], reg[b]).
struct Instruction {
  int op;
  std::size_t a;
  std::size_t b;
};

/// A random composition of the scalar operations of the library.
class RandomProgram {
 public:
  /// Operations 0..kSmoothOps-1 are smooth; the rest have kinks at 0.
  static constexpr int kSmoothOps = 19;
  static constexpr int kAllOps = 21;

  /// `length` random instructions on `inputs` inputs, with `outputs` outputs (the last registers).
  RandomProgram(std::size_t inputs, std::size_t outputs, std::size_t length, std::uint64_t seed, bool smooth)
      : inputs_(inputs), outputs_(outputs) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> pick_op(0, (smooth ? kSmoothOps : kAllOps) - 1);
    for (std::size_t k = 0; k < length; ++k) {
      // The first operand is input k for the first n steps, then one of the
      // four newest registers, so that the outputs depend on most inputs.
      const std::size_t newest = inputs + k - 1;
      std::uniform_int_distribution<std::size_t> pick_recent(newest >= 3 ? newest - 3 : 0, newest);
      std::uniform_int_distribution<std::size_t> pick_any(0, newest);
      const std::size_t a = k < inputs ? k : pick_recent(rng);
      code_.push_back({pick_op(rng), a, pick_any(rng)});
    }
  }

  std::size_t inputs() const { return inputs_; }    ///< n
  std::size_t outputs() const { return outputs_; }  ///< m

  /// Runs the program on any number type; returns the m outputs.
  template <class T>
  std::vector<T> operator()(const std::vector<T>& x) const {
    std::vector<T> reg(x.begin(), x.end());
    reg.reserve(x.size() + code_.size());
    for (const Instruction& ins : code_) reg.push_back(apply(ins.op, reg[ins.a], reg[ins.b]));
    return std::vector<T>(reg.end() - static_cast<std::ptrdiff_t>(outputs_), reg.end());
  }

  /// The first output alone, for gradients.
  template <class T>
  T scalar(const std::vector<T>& x) const {
    return (*this)(x).front();
  }

 private:
  template <class T>
  static T apply(int op, const T& a, const T& b) {
    using std::abs;
    using std::cos;
    using std::exp;
    using std::log;
    using std::pow;
    using std::sin;
    using std::sqrt;
    using std::tan;
    using std::tanh;
    switch (op) {
      case 0: return (a + b) * 0.5;
      case 1: return 0.5 * (a - b);
      case 2: return a * b / 4.0;
      case 3: return a / (2.5 + sin(b));
      case 4: return 2.0 * sin(a);
      case 5: return cos(a) - 1.0;
      case 6: return tanh(a) + tanh(b);
      case 7: return exp(a) / 8.0;
      case 8: return log(1.0 + a * a);
      case 9: return sqrt(a * a + 0.25) - 0.5;
      case 10: return pow(1.5 + sin(a), 0.5 * tanh(b));
      case 11: return pow(0.5 + 0.1 * (a * a), 1.5);
      case 12: return tan(0.4 * a);
      case 13: return -a;
      case 14: return 1.0 - a / 2.0;
      case 15: return 1.0 / (2.0 + cos(a));
      case 16: {
        T r = a;
        r -= b;
        r *= sin(b);
        r /= 3.0 + cos(a);
        return r;
      }
      case 17: {
        T r = sin(a);
        r += cos(b);
        return r;
      }
      case 18: return a * a * b / 8.0;  // a used twice in one expression
      case 19: return abs(a) - 1.0;
      default: return relu(a) - relu(b);
    }
  }

  std::size_t inputs_;
  std::size_t outputs_;
  std::vector<Instruction> code_;
};

}  // namespace adtest
