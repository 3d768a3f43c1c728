#pragma once
/// \file `grader bench`: forward versus reverse mode on chain graphs.
///
/// Runs the Google Benchmark program ad_bench (grader/bench/), reads its JSON
/// and writes, into one folder: the benchmark's own JSON, a summary (every
/// configuration's time as a ratio to the primal timed in the same run, the
/// fitted growth of each mode against n and m, the crossover where forward
/// overtakes reverse, the matrix-chain costs of the Jacobian beside the
/// measured times, the peer table), the peer table as Markdown, and a plot
/// made by gnuplot. With a submission, its forward and reverse modes are
/// timed by its probe, in the sandbox, beside the reference in the same
/// process (grader/timing.hpp), and added to the summary and the plot.
///
/// The arithmetic (fits, crossover, matrix chain) is separate from running
/// anything, so that it can be tested on given numbers.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grader/build.hpp"
#include "grader/sandbox.hpp"

namespace grader::bench {

/// One benchmark of ad_bench's JSON, as the summary needs it.
struct Entry {
  std::string suite;    ///< "grid" or "peers"
  std::string method;   ///< grid: primal, forward, forward_vector, reverse, reverse_tensor; peers: the tool
  std::size_t n = 0;    ///< grid: input width
  std::size_t m = 0;    ///< grid: output width
  std::size_t h = 0;    ///< grid: interior width
  std::size_t w = 0;    ///< peers: the width of the network
  double seconds = 0;   ///< CPU time per iteration
  std::string error;    ///< Google Benchmark's error message, when the benchmark was skipped
};

/// Reads ad_bench's Google Benchmark JSON (names grid/<method>/n:N/m:M/h:H and
/// peers/<tool>/w:W): each benchmark's median when it was repeated, else its
/// one run; throws GraderError naming the file when it is not that.
std::vector<Entry> parse_benchmark_json(const std::string& text, const std::string& file);

/// Cost of the product J_L ⋯ J_1 of the chain's Jacobians (J_l is d_l × d_(l-1)),
/// in multiply-adds, for three orders of multiplication.
struct ChainCosts {
  double forward = 0;           ///< right to left, as forward mode accumulates: Σ_(l≥2) d_l·d_(l-1)·d_0
  double reverse = 0;           ///< left to right, as reverse mode accumulates: Σ_(l≤L-1) d_L·d_l·d_(l-1)
  double optimal = 0;           ///< the best parenthesization (dynamic programming)
  std::string optimal_order;    ///< it written out, J_3 (J_2 J_1) style
};
/// The matrix-chain costs for widths d_0 (inputs) … d_L (outputs); needs at least two widths.
ChainCosts chain_costs(const std::vector<std::size_t>& widths);

/// Where forward and reverse cross: the width x at which two measured series
/// (on the same ascending x) are equal, by log-log interpolation between the
/// bracketing points; nullopt when they do not cross in the range.
std::optional<double> crossover(const std::vector<double>& x, const std::vector<double>& forward,
                                const std::vector<double>& reverse);

/// Times of a submission, measured by its probe beside the reference.
struct SubmissionTiming {
  std::string method;        ///< "forward" (one Dual pass per input) or "reverse" (tape, one sweep per output)
  std::size_t n = 0, m = 0, h = 0;
  double submission = 0;     ///< seconds per Jacobian
  double reference = 0;      ///< the reference's, in the same process
  double primal = 0;         ///< the reference's primal, in the same process
};

/// What `grader bench` measured and derived.
struct Summary {
  std::vector<Entry> entries;                ///< ad_bench's results
  std::vector<SubmissionTiming> submission;  ///< empty without --submission
  std::string submission_dir;                ///< the submission folder, when timed
  std::vector<std::string> submission_notes; ///< what went wrong while timing it (an exception, a crash)
  std::size_t layers = 8;                    ///< layers of every chain
};

/// The summary JSON (see grader/bench/README.md for its fields).
nlohmann::json summary_json(const Summary& s);
/// The peer table as Markdown: one row per tool, one column per width, ratios to the primal and times.
std::string peer_table_markdown(const Summary& s);

/// The gnuplot script and data that draw the plot into `png`; returns the script's text.
std::string plot_script(const Summary& s, const std::filesystem::path& data, const std::filesystem::path& png);
/// The data file the script reads (one block per series).
std::string plot_data(const Summary& s);

/// Options of a run.
struct Options {
  std::filesystem::path out;                    ///< folder for the files (created)
  std::vector<std::size_t> widths = {1, 4, 16, 64, 256};
  std::vector<std::size_t> interior = {16, 64};
  std::size_t layers = 8;
  double min_time = 0.05;                       ///< Google Benchmark's --benchmark_min_time, seconds
  int repetitions = 3;                          ///< runs of each benchmark; the median counts
  bool peers = true;                            ///< the peer suite
  std::optional<std::filesystem::path> submission;
  std::filesystem::path ad_bench;               ///< the ad_bench executable
  Installation installation;                    ///< for building a submission's probe
  SandboxMode sandbox = SandboxMode::automatic;
  std::function<void(const std::string&)> progress;  ///< progress lines; may be empty
};

/// Files a run wrote.
struct Outputs {
  std::filesystem::path benchmark_json, summary_json, peers_markdown, plot_script, plot_data, plot_png;
  bool plotted = false;       ///< gnuplot ran and made the PNG
  std::string plot_problem;   ///< why not, when it did not
};

/// Runs everything and writes the files; throws GraderError when ad_bench
/// cannot run or the submission cannot be built.
Outputs run_bench(const Options& options);

}  // namespace grader::bench
