// Eigen in the peer table: AutoDiffScalar with a fixed-size derivative vector
// (Matrix<double, N, 1>): forward mode, N tangents per pass.
#include <Eigen/Core>
#include <unsupported/Eigen/AutoDiff>

#include <memory>
#include <string>
#include <vector>

#include "ad/chain.hpp"
#include "bench_support.hpp"

namespace Eigen {
/// ad::Chain names relu for every number type it is instantiated with.
template <class D>
AutoDiffScalar<D> relu(const AutoDiffScalar<D>& v) { return v.value() > 0 ? v : AutoDiffScalar<D>(0.0); }
}  // namespace Eigen

namespace adbench {

namespace {

template <int N>
class EigenForward final : public grader::timing::Workload {
 public:
  using Scalar = Eigen::AutoDiffScalar<Eigen::Matrix<double, N, 1>>;
  EigenForward(std::size_t w, std::size_t layers)
      : chain_(ad::ChainSpec{peer_widths(w, layers), chain_seed, ad::Activation::tanh}), x_(peer_point(w)), g_(w) {}
  void run() override {
    std::vector<Scalar> x(x_.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = Scalar(x_[i], N, static_cast<int>(i));
    const std::vector<Scalar> y = chain_(x);
    for (std::size_t i = 0; i < x.size(); ++i) g_[i] = y[0].derivatives()[static_cast<Eigen::Index>(i)];
  }
  std::vector<double> result() const override { return g_; }

 private:
  ad::Chain chain_;
  std::vector<double> x_, g_;
};

std::unique_ptr<grader::timing::Workload> make_eigen(std::size_t w, std::size_t layers) {
  if (w <= 1) return std::make_unique<EigenForward<1>>(w, layers);
  if (w <= 2) return std::make_unique<EigenForward<2>>(w, layers);
  if (w <= 4) return std::make_unique<EigenForward<4>>(w, layers);
  if (w <= 8) return std::make_unique<EigenForward<8>>(w, layers);
  if (w <= 16) return std::make_unique<EigenForward<16>>(w, layers);
  if (w <= 32) return std::make_unique<EigenForward<32>>(w, layers);
  if (w <= 64) return std::make_unique<EigenForward<64>>(w, layers);
  if (w <= 128) return std::make_unique<EigenForward<128>>(w, layers);
  if (w <= 256) return std::make_unique<EigenForward<256>>(w, layers);
  throw std::invalid_argument("Eigen AutoDiffScalar: at most 256 inputs in this benchmark");
}

}  // namespace

void register_eigen(const std::vector<std::size_t>& widths, std::size_t layers) {
  for (std::size_t w : widths)
    add("peers/eigen_forward/w:" + std::to_string(w), {{"w", double(w)}, {"layers", double(layers)}},
        [w, layers] { return make_eigen(w, layers); }, [w, layers] { return reference_gradient(w, layers); });
}

}  // namespace adbench
