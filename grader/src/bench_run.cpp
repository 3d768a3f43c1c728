// `grader bench`, the running: ad_bench (trusted, run directly), the
// submission's probe (untrusted, in the sandbox), gnuplot; then the files.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "grader/bench.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/protocol.hpp"
#include "grader/timing.hpp"

extern char** environ;

namespace grader::bench {

namespace fs = std::filesystem;

namespace {

/// Runs argv (argv[0] a path) with stdout and stderr into `log`; returns its exit status (-1: did not start).
int run_to_log(const std::vector<std::string>& argv, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string join(const std::vector<std::size_t>& v) {
  std::string s;
  for (std::size_t x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  for (std::size_t k = 0; k <= lines && at > 0; ++k) at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

/// The submission's forward and reverse modes on the grid, timed by its probe beside the reference.
std::vector<SubmissionTiming> time_submission(const Options& o, std::vector<std::string>& notes) {
  const auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  const auto note = [&](const std::string& s) {
    notes.push_back(s);
    say(s);
  };
  say("building the probe of " + o.submission->string());
  const BuildResult build = build_probe(*o.submission, o.installation, o.sandbox);
  if (!build.ok)
    throw GraderError("the submission \"" + o.submission->string() + "\" did not compile:\n" + build.errors);
  std::vector<std::size_t> sizes = o.widths;
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  protocol::Request req;
  for (std::size_t h : o.interior)
    for (std::size_t m : sizes)
      for (const char* method : {"forward", "reverse"}) {
        protocol::Task t;
        t.kind = protocol::TaskKind::timing;
        t.timing.method = method;
        t.timing.graph = "chain";
        t.timing.sizes = sizes;
        t.timing.width = h;
        t.timing.layers = o.layers;
        t.timing.outputs = m;
        t.timing.seed = 2024;  // ad_bench's chain_seed: the same weights
        t.timing.repeats = 5;
        t.timing.batch_seconds = 0.01;
        t.timing.budget_seconds = 600;
        t.point = {0.25, -0.5, 0.75, -0.125};
        req.tasks.push_back(std::move(t));
      }
  say("timing the submission beside the reference (" + std::to_string(req.tasks.size()) + " series, in the sandbox)");
  const fs::path scratch = o.out / "probe-run";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  const fs::path local = scratch / "probe";
  fs::copy_file(build.probe, local, fs::copy_options::overwrite_existing, ec);
  if (ec) throw GraderError("cannot copy the probe into \"" + scratch.string() + "\": " + ec.message());
  RunRequest rr;
  rr.argv = {local.string()};
  rr.stdin_data = protocol::encode_request(req);
  rr.scratch_dir = scratch;
  rr.mode = o.sandbox;
  rr.env = {"LANG=C"};
  rr.limits.cpu_seconds = 3600;
  rr.limits.wall_seconds = 3600;
  rr.limits.memory_bytes = 4ull << 30;
  rr.limits.output_bytes = 8u << 20;
  const RunOutcome out = run_sandboxed(rr);
  fs::remove_all(scratch, ec);
  const protocol::Channel ch = protocol::decode_channel(out.results);
  std::vector<SubmissionTiming> timings;
  for (const protocol::Reply& r : ch.replies) {
    if (r.task >= req.tasks.size()) continue;
    const protocol::Task& t = req.tasks[r.task];
    if (!r.ok) {
      note("submission, " + t.timing.method + ", h = " + std::to_string(t.timing.width) + ", m = " +
           std::to_string(t.timing.outputs) + ": " + r.message);
      continue;
    }
    timing::GrowthMeasurement g;
    try {
      g = timing::decode_growth(r.values);
    } catch (const std::invalid_argument&) {
      continue;
    }
    for (const timing::SizeTiming& s : g.sizes)
      timings.push_back({t.timing.method, static_cast<std::size_t>(s.size), t.timing.outputs, t.timing.width,
                         s.submission, s.reference, s.primal});
  }
  if (!ch.ended || ch.replies.size() < req.tasks.size())
    note("the submission's probe " + out.describe() + " before every series was timed");
  return timings;
}

}  // namespace

Outputs run_bench(const Options& o) {
  const auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw GraderError("cannot create the output folder \"" + o.out.string() + "\": " + ec.message());
  if (!fs::exists(o.ad_bench, ec))
    throw GraderError("the benchmark program \"" + o.ad_bench.string() +
                      "\" is missing; build it (grader/scripts/setup.sh builds everything)");
  Outputs out;
  out.benchmark_json = o.out / "benchmark.json";
  out.summary_json = o.out / "summary.json";
  out.peers_markdown = o.out / "peers.md";
  out.plot_script = o.out / "forward_vs_reverse.gp";
  out.plot_data = o.out / "forward_vs_reverse.dat";
  out.plot_png = o.out / "forward_vs_reverse.png";
  const fs::path log = o.out / "benchmark.txt";

  char min_time[32];
  std::snprintf(min_time, sizeof min_time, "%g", o.min_time);
  const std::vector<std::string> argv = {o.ad_bench.string(),
                                         "--widths=" + join(o.widths),
                                         "--interior=" + join(o.interior),
                                         "--layers=" + std::to_string(o.layers),
                                         std::string("--suites=grid") + (o.peers ? ",peers" : ""),
                                         "--benchmark_out=" + out.benchmark_json.string(),
                                         "--benchmark_out_format=json",
                                         std::string("--benchmark_min_time=") + min_time,
                                         "--benchmark_repetitions=" + std::to_string(std::max(1, o.repetitions)),
                                         "--benchmark_report_aggregates_only=true"};
  say("running " + o.ad_bench.filename().string() + " (Google Benchmark; its console output goes to " + log.string() +
      ")");
  const int rc = run_to_log(argv, log);
  if (rc != 0) {
    const std::string text = fs::exists(log, ec) ? read_file(log) : "";
    throw GraderError(o.ad_bench.string() + " " + (rc < 0 ? "could not be started" : "exited with status " +
                                                                                         std::to_string(rc)) +
                      "; the end of its output (" + log.string() + "):\n" + tail(text, 15));
  }

  Summary s;
  s.layers = o.layers;
  s.entries = parse_benchmark_json(read_file(out.benchmark_json), out.benchmark_json.string());
  if (o.submission) {
    s.submission = time_submission(o, s.submission_notes);
    s.submission_dir = o.submission->string();
  }
  write_file_atomically(out.summary_json, summary_json(s).dump(2) + "\n");
  write_file_atomically(out.peers_markdown, peer_table_markdown(s));
  write_file_atomically(out.plot_data, plot_data(s));
  write_file_atomically(out.plot_script, plot_script(s, out.plot_data, out.plot_png));

  const fs::path gnuplot = "/usr/bin/gnuplot";
  if (!fs::exists(gnuplot, ec)) {
    out.plot_problem = "gnuplot is not installed (Debian package gnuplot-nox; grader/scripts/setup.sh installs it); "
                       "the script is ready: gnuplot " + out.plot_script.string();
    return out;
  }
  const fs::path plot_log = o.out / "gnuplot.txt";
  const int grc = run_to_log({gnuplot.string(), out.plot_script.string()}, plot_log);
  out.plotted = grc == 0 && fs::exists(out.plot_png, ec);
  if (!out.plotted)
    out.plot_problem = "gnuplot failed (status " + std::to_string(grc) + "): " + tail(read_file(plot_log), 10);
  else
    fs::remove(plot_log, ec);
  return out;
}

}  // namespace grader::bench
