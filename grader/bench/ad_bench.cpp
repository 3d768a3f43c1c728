// ad_bench: forward versus reverse mode on chain graphs, and the reference
// beside established AD libraries. A Google Benchmark program; `grader bench`
// runs it and turns its JSON into the summary, the fits and the plot.
//
//   ad_bench [--widths=1,4,16,64,256] [--interior=16,64] [--layers=8] [--suites=grid,peers]
//            [any --benchmark_* flag]
//
// Suite "grid": for every input width n, output width m (both from --widths)
// and interior width h (--interior), the chain n → h → … → h → m with
// `layers` tanh layers, and per method: the primal, the full Jacobian by
// forward mode (one Dual pass per input; vector mode), and by reverse mode
// (scalar tape; tensor nodes). Names: grid/<method>/n:<n>/m:<m>/h:<h>.
//
// Suite "peers": the network w → w → … → w → 1 (`layers` tanh layers) for
// every w of --widths, its gradient by every tool: the reference (scalar tape,
// tensor nodes, vector forward, one-hot forward), the hand-written backprop
// (the limit) and the peers that were found at configure time (ADOL-C,
// Sacado, Eigen). Names: peers/<tool>/w:<w>.
//
// Every configuration's primal is timed in the same run, so that each time
// can be read as a ratio to it.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ad_workloads.hpp"
#include "bench_support.hpp"

namespace adbench {

void add(const std::string& name, const std::map<std::string, double>& counters, Factory make,
         std::function<std::vector<double>()> expected) {
  benchmark::RegisterBenchmark(name.c_str(), [counters, make, expected](benchmark::State& state) {
    std::unique_ptr<grader::timing::Workload> w;
    try {
      w = make();
      w->run();
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
    if (expected) {
      const std::vector<double> want = expected();
      const std::vector<double> got = w->result();
      bool same = got.size() == want.size();
      for (std::size_t i = 0; same && i < want.size(); ++i)
        same = std::fabs(got[i] - want[i]) <= 1e-9 * std::fabs(want[i]) + 1e-12;
      if (!same) {
        state.SkipWithError("the result differs from the reference's");
        return;
      }
    }
    for (auto _ : state) {
      w->run();
      benchmark::ClobberMemory();
    }
    for (const auto& [key, value] : counters) state.counters[key] = value;
  })->Unit(benchmark::kMicrosecond);
}

std::vector<std::size_t> peer_widths(std::size_t w, std::size_t layers) {
  std::vector<std::size_t> widths(layers, w);
  widths.push_back(1);
  return widths;
}

std::vector<double> peer_point(std::size_t n) {
  std::uint64_t state = 7;
  std::vector<double> x(n);
  for (double& v : x) v = ad::splitmix_uniform(state);
  return x;
}

std::vector<double> reference_gradient(std::size_t w, std::size_t layers) {
  const ad::Chain chain(ad::ChainSpec{peer_widths(w, layers), chain_seed, ad::Activation::tanh});
  return ad::gradient([&](const auto& x) { return chain(x)[0]; }, peer_point(w));
}

}  // namespace adbench

namespace {

using grader::timing::Graph;
using grader::timing::Method;
using grader::timing::WorkloadSpec;

struct Options {
  std::vector<std::size_t> widths = {1, 4, 16, 64, 256};
  std::vector<std::size_t> interior = {16, 64};
  std::size_t layers = 8;
  bool grid = true;
  bool peers = true;
};

std::vector<std::size_t> parse_list(const std::string& flag, const std::string& text) {
  try {
    return grader::timing::parse_widths(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(flag + ": " + e.what() + " (give e.g. " + flag + "=1,4,16)");
  }
}

/// Takes our own flags out of argv (Google Benchmark refuses flags it does not know).
Options parse_options(int& argc, char** argv) {
  Options o;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&](const std::string& flag) { return a.substr(flag.size() + 1); };
    if (a.rfind("--widths=", 0) == 0) {
      o.widths = parse_list("--widths", value("--widths"));
    } else if (a.rfind("--interior=", 0) == 0) {
      o.interior = parse_list("--interior", value("--interior"));
    } else if (a.rfind("--layers=", 0) == 0) {
      const std::vector<std::size_t> l = parse_list("--layers", value("--layers"));
      if (l.size() != 1 || l[0] > 64) throw std::invalid_argument("--layers: give one number from 1 to 64");
      o.layers = l[0];
    } else if (a.rfind("--suites=", 0) == 0) {
      const std::string s = value("--suites");
      o.grid = s.find("grid") != std::string::npos;
      o.peers = s.find("peers") != std::string::npos;
      if (!o.grid && !o.peers) throw std::invalid_argument("--suites: give grid, peers or grid,peers");
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return o;
}

std::string config_name(const std::string& suite, const std::string& method, std::size_t n, std::size_t m,
                        std::size_t h) {
  return suite + "/" + method + "/n:" + std::to_string(n) + "/m:" + std::to_string(m) + "/h:" + std::to_string(h);
}

WorkloadSpec chain_spec(Method method, std::vector<std::size_t> widths) {
  WorkloadSpec s;
  s.method = method;
  s.graph = Graph::chain;
  s.widths = std::move(widths);
  s.seed = adbench::chain_seed;
  s.x = adbench::peer_point(s.widths.front());
  return s;
}

void register_grid(const Options& o) {
  const Method methods[] = {Method::primal, Method::forward, Method::forward_vector, Method::reverse,
                            Method::reverse_tensor};
  for (std::size_t h : o.interior)
    for (std::size_t m : o.widths)
      for (std::size_t n : o.widths) {
        std::vector<std::size_t> widths(o.layers + 1, h);
        widths[0] = n;
        widths[o.layers] = m;
        for (Method method : methods) {
          const WorkloadSpec spec = chain_spec(method, widths);
          adbench::add(config_name("grid", grader::timing::to_string(method), n, m, h),
                       {{"n", double(n)}, {"m", double(m)}, {"h", double(h)}, {"layers", double(o.layers)}},
                       [spec] { return ad_workloads::make_workload(spec); });
        }
      }
}

void register_peers(const Options& o) {
  const std::pair<const char*, Method> tools[] = {{"primal", Method::primal},
                                                  {"backprop", Method::backprop},
                                                  {"reference_reverse", Method::reverse},
                                                  {"reference_reverse_tensor", Method::reverse_tensor},
                                                  {"reference_forward_vector", Method::forward_vector},
                                                  {"reference_forward", Method::forward}};
  for (std::size_t w : o.widths)
    for (const auto& [tool, method] : tools) {
      const WorkloadSpec spec = chain_spec(method, adbench::peer_widths(w, o.layers));
      const std::size_t layers = o.layers;
      std::function<std::vector<double>()> expected;
      if (method != Method::primal) expected = [w, layers] { return adbench::reference_gradient(w, layers); };
      adbench::add("peers/" + std::string(tool) + "/w:" + std::to_string(w), {{"w", double(w)}, {"layers", double(layers)}},
                   [spec] { return ad_workloads::make_workload(spec); }, expected);
    }
#ifdef ADC_HAVE_ADOLC
  adbench::register_adolc(o.widths, o.layers);
#endif
#ifdef ADC_HAVE_SACADO
  adbench::register_sacado(o.widths, o.layers);
#endif
#ifdef ADC_HAVE_EIGEN
  adbench::register_eigen(o.widths, o.layers);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ad_bench: %s\n", e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (o.grid) register_grid(o);
  if (o.peers) register_peers(o);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
