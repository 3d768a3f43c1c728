// ADOL-C in the peer table: the gradient of the peer network by taping it
// (trace_on/trace_off, Taylors kept) and one first-order reverse sweep, every
// iteration, with buffers large enough that the tape never goes to disk.
#include <adolc/adolc.h>

#include <memory>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "bench_support.hpp"

/// ad::Chain names relu for every number type it is instantiated with.
inline adouble relu(const adouble& v) { return fmax(v, 0.0); }

namespace adbench {

namespace {

class AdolcReverse final : public grader::timing::Workload {
 public:
  AdolcReverse(std::size_t w, std::size_t layers)
      : chain_(ad::ChainSpec{peer_widths(w, layers), chain_seed, ad::Activation::tanh}),
        x_(peer_point(w)),
        g_(w),
        // Operations, locations, values and Taylors: a few per multiply-add.
        buffer_(static_cast<unsigned>(8 * (chain_.multiply_adds() + 64 * layers * w) + 4096)) {}
  void run() override {
    trace_on(tag, 1, buffer_, buffer_, buffer_, buffer_);
    {
      std::vector<adouble> x(x_.size());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] <<= x_[i];
      std::vector<adouble> y = chain_(x);
      double value = 0.0;
      y[0] >>= value;
    }
    trace_off();
    double u = 1.0;
    reverse(tag, 1, static_cast<int>(x_.size()), 0, u, g_.data());
  }
  std::vector<double> result() const override { return g_; }

 private:
  static constexpr short tag = 1;
  ad::Chain chain_;
  std::vector<double> x_, g_;
  unsigned buffer_;
};

}  // namespace

void register_adolc(const std::vector<std::size_t>& widths, std::size_t layers) {
  for (std::size_t w : widths)
    add("peers/adolc_reverse/w:" + std::to_string(w), {{"w", double(w)}, {"layers", double(layers)}},
        [w, layers] { return std::make_unique<AdolcReverse>(w, layers); },
        [w, layers] { return reference_gradient(w, layers); });
}

}  // namespace adbench
