// Prints the worked examples of the course notes, each by forward and by reverse mode.
#include <cmath>
#include <cstdio>
#include <vector>

#include "ad/ad.hpp"

namespace {

template <class T>
T notes_f1(const std::vector<T>& x) {  // ln x1 + x1·x2 − sin x2
  using std::log;
  using std::sin;
  return log(x[0]) + x[0] * x[1] - sin(x[1]);
}

template <class T>
T notes_f2(const std::vector<T>& x) {  // x·y·sin(y·z)
  using std::sin;
  return x[0] * x[1] * sin(x[1] * x[2]);
}

template <class T>
T notes_g(const std::vector<T>& x) {  // (x + y)·z
  return (x[0] + x[1]) * x[2];
}

void print_row(const char* name, const std::vector<double>& at, double value, const std::vector<double>& fwd,
               const std::vector<double>& rev) {
  std::printf("%s at (", name);
  for (std::size_t i = 0; i < at.size(); ++i) std::printf("%s%g", i ? ", " : "", at[i]);
  std::printf(")\n  value    %.6f\n  forward ", value);
  for (double g : fwd) std::printf(" %10.6f", g);
  std::printf("\n  reverse ");
  for (double g : rev) std::printf(" %10.6f", g);
  std::printf("\n");
}

template <class F>
void show(const char* name, F f, const std::vector<double>& at) {
  const auto vec = [&](const auto& x) { return std::vector{f(x)}; };
  const ad::Matrix jf = ad::jacobian_forward(vec, at);
  const std::vector<double> rev = ad::gradient([&](const std::vector<ad::Var>& x) { return f(x); }, at);
  print_row(name, at, f(at), jf.values(), rev);
}

}  // namespace

int main() {
  std::printf("Worked examples of the course notes (reference AD)\n\n");
  show("f(x1, x2) = ln x1 + x1*x2 - sin x2", [](const auto& x) { return notes_f1(x); }, {2.0, 5.0});
  show("f(x, y, z) = x*y*sin(y*z)", [](const auto& x) { return notes_f2(x); }, {3.0, -1.0, 2.0});
  show("g(x, y, z) = (x + y)*z", [](const auto& x) { return notes_g(x); }, {1.0, 3.0, -3.0});
  show("x*y", [](const auto& x) { return x[0] * x[1]; }, {2.0, 3.0});
  show("2x + 3y + xy", [](const auto& x) { return 2.0 * x[0] + 3.0 * x[1] + x[0] * x[1]; }, {2.0, 3.0});
  show("x^y", [](const auto& x) { using std::pow; return pow(x[0], x[1]); }, {2.0, 3.0});
  show("5x + 7y", [](const auto& x) { return 5.0 * x[0] + 7.0 * x[1]; }, {1.0, 1.0});
  show("x + y + 3", [](const auto& x) { return x[0] + x[1] + 3.0; }, {1.0, 1.0});

  std::printf("\nTwo-layer network f(x) = w2^T relu(W1 x + b1) + b2, 64 samples, 3 inputs, 16 hidden\n");
  ad::TwoLayerNet net = ad::TwoLayerNet::init(3, 16, 7);
  const ad::Dataset data = ad::Dataset::synthetic(64, 3, 11);
  const std::vector<double> losses = ad::train(net, data, 0.05, 200);
  for (std::size_t s = 0; s < losses.size(); s += 50) std::printf("  step %3zu  loss %.6f\n", s, losses[s]);
  if ((losses.size() - 1) % 50 != 0) std::printf("  step %3zu  loss %.6f\n", losses.size() - 1, losses.back());
  return 0;
}
