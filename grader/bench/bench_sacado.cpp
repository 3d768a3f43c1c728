// Trilinos Sacado in the peer table: Rad (reverse mode; the tape is rebuilt
// every iteration and its memory reused after Gradcomp) and SFad<double, N>
// (forward mode with N tangents fixed at compile time, expression templates).
#include <Sacado_No_Kokkos.hpp>

#include <memory>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "bench_support.hpp"

namespace Sacado::Rad {
/// ad::Chain names relu for every number type it is instantiated with.
inline ADvar<double> relu(const ADvar<double>& v) { return v.val() > 0 ? v : ADvar<double>(0.0); }
}  // namespace Sacado::Rad

namespace Sacado::Fad::Exp {
/// ad::Chain names relu for every number type it is instantiated with.
template <class S>
GeneralFad<S> relu(const GeneralFad<S>& v) { return v.val() > 0 ? v : GeneralFad<S>(0.0); }
}  // namespace Sacado::Fad::Exp

namespace adbench {

namespace {

using RadVar = Sacado::Rad::ADvar<double>;

class SacadoRad final : public grader::timing::Workload {
 public:
  SacadoRad(std::size_t w, std::size_t layers)
      : chain_(ad::ChainSpec{peer_widths(w, layers), chain_seed, ad::Activation::tanh}), x_(peer_point(w)), g_(w) {}
  void run() override {
    std::vector<RadVar> x(x_.begin(), x_.end());
    std::vector<RadVar> y = chain_(x);
    RadVar::Outvar_Gradcomp(y[0]);
    for (std::size_t i = 0; i < x.size(); ++i) g_[i] = x[i].adj();
  }
  std::vector<double> result() const override { return g_; }

 private:
  ad::Chain chain_;
  std::vector<double> x_, g_;
};

template <int N>
class SacadoSFad final : public grader::timing::Workload {
 public:
  using Fad = Sacado::Fad::SFad<double, N>;
  SacadoSFad(std::size_t w, std::size_t layers)
      : chain_(ad::ChainSpec{peer_widths(w, layers), chain_seed, ad::Activation::tanh}), x_(peer_point(w)), g_(w) {}
  void run() override {
    std::vector<Fad> x(x_.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = Fad(N, static_cast<int>(i), x_[i]);
    const std::vector<Fad> y = chain_(x);
    for (std::size_t i = 0; i < x.size(); ++i) g_[i] = y[0].dx(static_cast<int>(i));
  }
  std::vector<double> result() const override { return g_; }

 private:
  ad::Chain chain_;
  std::vector<double> x_, g_;
};

std::unique_ptr<grader::timing::Workload> make_sfad(std::size_t w, std::size_t layers) {
  if (w <= 1) return std::make_unique<SacadoSFad<1>>(w, layers);
  if (w <= 2) return std::make_unique<SacadoSFad<2>>(w, layers);
  if (w <= 4) return std::make_unique<SacadoSFad<4>>(w, layers);
  if (w <= 8) return std::make_unique<SacadoSFad<8>>(w, layers);
  if (w <= 16) return std::make_unique<SacadoSFad<16>>(w, layers);
  if (w <= 32) return std::make_unique<SacadoSFad<32>>(w, layers);
  if (w <= 64) return std::make_unique<SacadoSFad<64>>(w, layers);
  if (w <= 128) return std::make_unique<SacadoSFad<128>>(w, layers);
  if (w <= 256) return std::make_unique<SacadoSFad<256>>(w, layers);
  throw std::invalid_argument("Sacado SFad: at most 256 inputs in this benchmark");
}

}  // namespace

void register_sacado(const std::vector<std::size_t>& widths, std::size_t layers) {
  for (std::size_t w : widths) {
    const std::map<std::string, double> counters = {{"w", double(w)}, {"layers", double(layers)}};
    const auto expected = [w, layers] { return reference_gradient(w, layers); };
    add("peers/sacado_rad_reverse/w:" + std::to_string(w), counters,
        [w, layers] { return std::make_unique<SacadoRad>(w, layers); }, expected);
    add("peers/sacado_sfad_forward/w:" + std::to_string(w), counters, [w, layers] { return make_sfad(w, layers); },
        expected);
  }
}

}  // namespace adbench
