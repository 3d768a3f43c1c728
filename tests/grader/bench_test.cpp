// Tests of grader/bench.hpp: matrix-chain costs, crossovers, reading Google
// Benchmark's JSON, the summary and the plot on made-up numbers; and one
// small `grader bench` run end to end.
#include "grader/bench.hpp"
#include "grader/workload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"

namespace {

namespace fs = std::filesystem;
using grader::bench::Entry;
using grader::bench::Summary;
using testing::HasSubstr;

/// The cheapest product of J_j ⋯ J_i over every parenthesization, by brute force.
double brute_force(const std::vector<std::size_t>& d, std::size_t i, std::size_t j) {
  if (i == j) return 0.0;
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t k = i; k < j; ++k)
    best = std::min(best, brute_force(d, k + 1, j) + brute_force(d, i, k) +
                              static_cast<double>(d[j]) * static_cast<double>(d[k]) * static_cast<double>(d[i - 1]));
  return best;
}

Entry grid(const std::string& method, std::size_t n, std::size_t m, std::size_t h, double seconds) {
  Entry e;
  e.suite = "grid";
  e.method = method;
  e.n = n;
  e.m = m;
  e.h = h;
  e.seconds = seconds;
  return e;
}

/// A grid where the primal costs 1 µs, forward n µs·2 and reverse m µs·8 (h = 4).
Summary made_up_grid() {
  Summary s;
  s.layers = 3;
  for (std::size_t m : {1, 4, 16})
    for (std::size_t n : {1, 4, 16}) {
      s.entries.push_back(grid("primal", n, m, 4, 1e-6));
      s.entries.push_back(grid("forward", n, m, 4, 2e-6 * static_cast<double>(n)));
      s.entries.push_back(grid("reverse", n, m, 4, 8e-6 * static_cast<double>(m)));
    }
  return s;
}

TEST(ParseWidths, ReadsACommaSeparatedListAndNamesWhatIsNotAWidth) {
  EXPECT_EQ(grader::timing::parse_widths("1,4,16"), (std::vector<std::size_t>{1, 4, 16}));
  EXPECT_EQ(grader::timing::parse_widths("4096"), (std::vector<std::size_t>{4096}));
  for (const char* bad : {"0", "4097", "1,,4", "1,x", "-3", "2.5"}) {
    try {
      grader::timing::parse_widths(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("is not a width from 1 to 4096")) << bad;
    }
  }
  EXPECT_THROW(grader::timing::parse_widths(""), std::invalid_argument);
}

TEST(ChainCosts, OrdersOfTwoFactorsCostTheSame) {
  const grader::bench::ChainCosts c = grader::bench::chain_costs({2, 3, 4});
  EXPECT_EQ(c.forward, 24.0);
  EXPECT_EQ(c.reverse, 24.0);
  EXPECT_EQ(c.optimal, 24.0);
  EXPECT_EQ(c.optimal_order, "J2 J1");
}

TEST(ChainCosts, TheOptimumSplitsAtABottleneck) {
  const grader::bench::ChainCosts c = grader::bench::chain_costs({100, 100, 1, 100, 100});
  EXPECT_EQ(c.forward, 1e4 + 1e4 + 1e6);
  EXPECT_EQ(c.reverse, 1e6 + 1e4 + 1e4);
  EXPECT_EQ(c.optimal, 3e4);
  EXPECT_EQ(c.optimal_order, "(J4 J3) (J2 J1)");
}

TEST(ChainCosts, OptimumMatchesBruteForceOnRandomChains) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::size_t> width(1, 40), length(2, 7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::size_t> d(length(rng));
    for (std::size_t& w : d) w = width(rng);
    const grader::bench::ChainCosts c = grader::bench::chain_costs(d);
    EXPECT_EQ(c.optimal, brute_force(d, 1, d.size() - 1)) << "trial " << trial;
    EXPECT_LE(c.optimal, std::min(c.forward, c.reverse));
  }
}

TEST(Crossover, InterpolatesInLogLog) {
  const auto x = grader::bench::crossover({1, 100}, {1, 100}, {10, 10});
  ASSERT_TRUE(x.has_value());
  EXPECT_NEAR(*x, 10.0, 1e-9);
}

TEST(Crossover, IsNoneWhenOneModeIsAlwaysFaster) {
  EXPECT_FALSE(grader::bench::crossover({1, 4, 16}, {1, 2, 3}, {10, 20, 30}).has_value());
}

TEST(ParseBenchmarkJson, ReadsNamesAndConvertsUnits) {
  const std::string text = R"({"context": {}, "benchmarks": [
    {"name": "grid/forward/n:16/m:4/h:64", "run_name": "grid/forward/n:16/m:4/h:64", "run_type": "iteration",
     "cpu_time": 12.5, "time_unit": "us"},
    {"name": "peers/adolc_reverse/w:16", "run_type": "iteration", "cpu_time": 3.0, "time_unit": "ms"},
    {"name": "peers/eigen_forward/w:4", "run_type": "iteration", "error_occurred": true, "error_message": "differs"},
    {"name": "grid/forward/n:16/m:4/h:64_mean", "run_type": "aggregate", "cpu_time": 99, "time_unit": "us"}]})";
  const std::vector<Entry> e = grader::bench::parse_benchmark_json(text, "b.json");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].method, "forward");
  EXPECT_EQ(e[0].n, 16u);
  EXPECT_EQ(e[0].m, 4u);
  EXPECT_EQ(e[0].h, 64u);
  EXPECT_DOUBLE_EQ(e[0].seconds, 12.5e-6);
  EXPECT_EQ(e[1].w, 16u);
  EXPECT_DOUBLE_EQ(e[1].seconds, 3e-3);
  EXPECT_EQ(e[2].error, "differs");
}

TEST(ParseBenchmarkJson, TakesTheMedianOfRepetitions) {
  const std::string text = R"({"benchmarks": [
    {"name": "grid/primal/n:1/m:1/h:4_mean", "run_name": "grid/primal/n:1/m:1/h:4", "run_type": "aggregate",
     "aggregate_name": "mean", "cpu_time": 5.0, "time_unit": "ns"},
    {"name": "grid/primal/n:1/m:1/h:4_median", "run_name": "grid/primal/n:1/m:1/h:4", "run_type": "aggregate",
     "aggregate_name": "median", "cpu_time": 4.0, "time_unit": "ns"},
    {"name": "grid/primal/n:1/m:1/h:4_stddev", "run_name": "grid/primal/n:1/m:1/h:4", "run_type": "aggregate",
     "aggregate_name": "stddev", "cpu_time": 1.0, "time_unit": "ns"}]})";
  const std::vector<Entry> e = grader::bench::parse_benchmark_json(text, "b.json");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_DOUBLE_EQ(e[0].seconds, 4e-9);
}

TEST(ParseBenchmarkJson, RefusesOtherJsonNamingTheFile) {
  try {
    grader::bench::parse_benchmark_json(R"({"tests": []})", "results.json");
    FAIL() << "no error";
  } catch (const grader::GraderError& e) {
    EXPECT_THAT(e.what(), HasSubstr("results.json: has no \"benchmarks\" array"));
  }
}

TEST(SummaryJson, RatiosAreToThePrimalOfTheSameConfiguration) {
  const nlohmann::json j = grader::bench::summary_json(made_up_grid());
  bool seen = false;
  for (const auto& row : j.at("grid"))
    if (row.at("n") == 16 && row.at("m") == 4) {
      EXPECT_DOUBLE_EQ(row.at("methods").at("forward").at("ratio_to_primal").get<double>(), 32.0);
      EXPECT_DOUBLE_EQ(row.at("methods").at("reverse").at("ratio_to_primal").get<double>(), 32.0);
      EXPECT_EQ(row.at("predicted").at("forward_mode_multiply_adds").get<double>(), 16.0 * (16 * 4 + 4 * 4 + 4 * 4));
      seen = true;
    }
  EXPECT_TRUE(seen);
}

TEST(SummaryJson, FitsTheGrowthOfEachMode) {
  const nlohmann::json j = grader::bench::summary_json(made_up_grid());
  for (const auto& f : j.at("fits").at("against_n")) {
    if (f.at("method") == "forward") {
      EXPECT_NEAR(f.at("exponent").get<double>(), 1.0, 1e-9);
    } else if (f.at("method") == "reverse") {
      EXPECT_NEAR(f.at("exponent").get<double>(), 0.0, 1e-9);
    }
  }
  for (const auto& f : j.at("fits").at("against_m")) {
    if (f.at("method") == "reverse") {
      EXPECT_NEAR(f.at("exponent").get<double>(), 1.0, 1e-9);
    }
  }
}

TEST(SummaryJson, FindsWhereForwardAndReverseCross) {
  // forward 2n µs, reverse 8m µs: at m = 4 they cross at n = 16, at m = 1 at n = 4.
  const nlohmann::json j = grader::bench::summary_json(made_up_grid());
  int checked = 0;
  for (const auto& c : j.at("crossover"))
    if (c.at("forward") == "forward" && c.at("varying") == "n") {
      const double m = c.at("m").get<double>();
      if (m == 1) {
        EXPECT_NEAR(c.at("at").get<double>(), 4.0, 1e-9);
        ++checked;
      } else if (m == 4) {
        EXPECT_NEAR(c.at("at").get<double>(), 16.0, 1e-9);
        ++checked;
      }
    }
  EXPECT_EQ(checked, 2);
}

TEST(PeerTable, ShowsRatiosToThePrimalForEveryWidth) {
  Summary s;
  for (std::size_t w : {4, 16}) {
    Entry p;
    p.suite = "peers";
    p.method = "primal";
    p.w = w;
    p.seconds = 1e-6 * static_cast<double>(w);
    s.entries.push_back(p);
    p.method = "reference_reverse";
    p.seconds *= 3;
    s.entries.push_back(p);
  }
  const std::string md = grader::bench::peer_table_markdown(s);
  EXPECT_THAT(md, HasSubstr("| tool | w = 4 | w = 16 |"));
  EXPECT_THAT(md, HasSubstr("| reference: scalar tape, record + sweep | 3.00× (12.0 µs) | 3.00× (48.0 µs) |"));
}

TEST(PlotScript, DrawsEveryDataBlockAndMarksTheCrossover) {
  const Summary s = made_up_grid();
  const std::string script = grader::bench::plot_script(s, "d.dat", "p.png");
  const std::string data = grader::bench::plot_data(s);
  std::size_t blocks = 0;
  for (std::size_t at = 0; (at = data.find("\n\n\n", at)) != std::string::npos; at += 3) ++blocks;
  std::size_t plotted = 0;
  for (std::size_t at = 0; (at = script.find(" index ", at)) != std::string::npos; at += 7) ++plotted;
  EXPECT_GT(blocks, 0u);
  EXPECT_EQ(plotted, blocks);
  EXPECT_THAT(script, HasSubstr("set arrow from"));
  EXPECT_THAT(script, HasSubstr("crossover n ≈ 16"));
  EXPECT_THAT(script, HasSubstr("set output 'p.png'"));
}

TEST(GraderBench, WritesEveryFileOnASmallGrid) {
  const fs::path out = fs::path(ADC_BINARY_DIR) / "bench-test-out";
  fs::remove_all(out);
  const std::string cmd = "'" + (fs::path(ADC_BINARY_DIR) / "bin" / "grader").string() +
                          "' bench --widths 1,4 --interior 4 --layers 3 --min-time 0.001 --repetitions 1 --no-peers -q --out '" +
                          out.string() + "' > '" + (fs::path(ADC_BINARY_DIR) / "bench-test.log").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const bool gnuplot = fs::exists("/usr/bin/gnuplot");
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, gnuplot ? 0 : 3)
      << grader::read_file(fs::path(ADC_BINARY_DIR) / "bench-test.log");
  for (const char* f : {"benchmark.json", "summary.json", "peers.md", "forward_vs_reverse.gp", "forward_vs_reverse.dat"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  if (gnuplot) {
    EXPECT_GT(fs::file_size(out / "forward_vs_reverse.png"), 1000u);
  }
  const nlohmann::json j = nlohmann::json::parse(grader::read_file(out / "summary.json"));
  EXPECT_EQ(j.at("grid").size(), 4u) << "n and m in {1, 4}";
  fs::remove_all(out);
}

}  // namespace
