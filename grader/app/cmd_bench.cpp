// grader bench: forward versus reverse mode on chain graphs, the peer table,
// and (with --submission) a submission timed beside the reference.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "grader/bench.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/workload.hpp"

namespace grader::cli {

namespace {

struct BenchOptions {
  std::string submission;
  std::string widths = "1,4,16,64,256";
  std::string interior = "16,64";
  std::size_t layers = 8;
  std::string out = "bench-results";
  double min_time = 0.05;
  int repetitions = 3;
  bool no_peers = false;
  std::string sandbox = "auto";
  bool quiet = false;
};

/// "1,4,16" → {1, 4, 16}; throws GraderError naming the option and the fix.
std::vector<std::size_t> parse_widths(const std::string& option, const std::string& text) {
  try {
    return timing::parse_widths(text);
  } catch (const std::invalid_argument& e) {
    throw GraderError(option + " \"" + text + "\": " + e.what() +
                      "; give a comma-separated list such as 1,4,16,64,256");
  }
}

/// The crossovers of the scalar modes, one line each, from the summary.
void print_crossovers(const std::filesystem::path& summary) {
  const nlohmann::json j = nlohmann::json::parse(read_file(summary));
  for (const auto& c : j.at("crossover")) {
    if (c.at("forward") != "forward") continue;
    const bool vary_n = c.at("varying") == "n";
    std::cout << "  h = " << c.at("h") << (vary_n ? ", m = " : ", n = ") << (vary_n ? c.at("m") : c.at("n")) << ": ";
    if (c.at("at").is_null())
      std::cout << (c.at("forward_faster_at_smallest").get<bool>() ? "forward" : "reverse") << " is faster at every "
                << (vary_n ? "n" : "m") << " measured\n";
    else
      std::cout << "forward and reverse cross at " << (vary_n ? "n" : "m") << " ≈ " << c.at("at").get<double>()
                << "\n";
  }
}

int run_bench(const BenchOptions& o) {
  try {
    bench::Options b;
    b.out = o.out;
    b.widths = parse_widths("--widths", o.widths);
    b.interior = parse_widths("--interior", o.interior);
    b.layers = o.layers;
    b.min_time = o.min_time;
    b.repetitions = o.repetitions;
    b.peers = !o.no_peers;
    if (!o.submission.empty()) b.submission = std::filesystem::path(o.submission);
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    b.ad_bench = exe.parent_path() / "ad_bench";
    b.installation = find_installation();
    b.sandbox = parse_mode(o.sandbox);
    if (!o.quiet) b.progress = [](const std::string& line) { std::cerr << "grader: " << line << "\n"; };
    const bench::Outputs out = bench::run_bench(b);
    std::cout << "Wrote " << out.benchmark_json.string() << " (Google Benchmark JSON)\n"
              << "      " << out.summary_json.string() << " (ratios to the primal, fits, crossovers, matrix chain)\n"
              << "      " << out.peers_markdown.string() << " (the peer table)\n"
              << "      " << out.plot_script.string() << " and " << out.plot_data.string() << "\n";
    if (out.plotted) std::cout << "      " << out.plot_png.string() << " (the plot)\n";
    std::cout << "\nForward (one Dual pass per input) versus reverse (scalar tape, one sweep per output):\n";
    print_crossovers(out.summary_json);
    if (!o.no_peers) std::cout << "\nPeer table (ratio to the primal, and time per gradient):\n" << read_file(out.peers_markdown);
    if (!out.plotted) {
      std::cerr << "grader: error: no plot: " << out.plot_problem << "\n";
      return exit_grader_error;
    }
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Time forward and reverse mode on chain graphs (and a submission beside the reference)");
  cmd->add_option("--submission", o->submission, "also time this submission's forward and reverse modes (in the sandbox)");
  cmd->add_option("--widths", o->widths, "input and output widths n, m (and the peer table's w)")->capture_default_str();
  cmd->add_option("--interior", o->interior, "interior widths h of the grid")->capture_default_str();
  cmd->add_option("--layers", o->layers, "layers of every chain")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--out", o->out, "folder for the results (created)")->capture_default_str();
  cmd->add_option("--min-time", o->min_time, "Google Benchmark's minimum time per benchmark, seconds")
      ->check(CLI::Range(0.001, 60.0))
      ->capture_default_str();
  cmd->add_option("--repetitions", o->repetitions, "runs of each benchmark; the median counts")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_flag("--no-peers", o->no_peers, "leave out the peer table (ADOL-C, Sacado, Eigen, the reference, backprop)");
  cmd->add_option("--sandbox", o->sandbox, "isolation of the submission: auto, bubblewrap, rlimits")
      ->check(CLI::IsMember({"auto", "bubblewrap", "rlimits"}))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines on stderr");
  return {cmd, [o] { return run_bench(*o); }};
}

}  // namespace grader::cli
