// grader batch: grade a whole class, N at a time, resumable; then the gradebook.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "grader/batch.hpp"
#include "grader/error.hpp"

namespace grader::cli {

namespace {

namespace fs = std::filesystem;

struct BatchCmdOptions {
  std::string submissions;
  std::string out;
  unsigned jobs = 0;  // 0: one per CPU
  std::string shard;
  bool regrade = false;
  bool list = false;
  CommonOptions common;
};

// Set by SIGINT/SIGTERM: start no new submission. The handler is reset after
// the first signal (SA_RESETHAND), so a second Ctrl-C stops at once; nothing
// is lost either way, since every finished record is already on disk.
std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
  const char message[] =
      "\ngrader: interrupted: finishing the submissions being graded (Ctrl-C again to stop at once); "
      "rerun the same command to continue\n";
  const ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string points(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

/// Progress on stderr: a redrawn bar on a terminal, one plain line per
/// submission elsewhere (a log, CI).
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {
    if (terminal_ && !quiet_) ticker_ = std::thread([this] { tick(); });
  }
  ~Progress() {
    {
      const std::lock_guard<std::mutex> guard(mutex_);
      finished_ = true;
    }
    wake_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    if (terminal_ && drawn_) std::cerr << "\n";
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void on_event(const BatchEvent& e) {
    const std::lock_guard<std::mutex> guard(mutex_);
    last_ = e;
    if (e.record == nullptr) {
      current_ = e.submission->key;
      if (!started_) {
        started_ = true;
        if (!quiet_)
          std::cerr << "grader: grading " << e.total << " submissions" << (e.skipped ? " (" + std::to_string(e.skipped) +
                                                                                         " already graded, skipped)" : "")
                    << "\n";
      }
    }
    if (quiet_) return;
    if (terminal_) {
      draw();
    } else if (e.record != nullptr) {
      std::cerr << "[" << e.done << "/" << e.total << "] " << e.submission->key << ": " << describe(*e.record) << "\n";
    }
  }

 private:
  static std::string describe(const StudentRecord& r) {
    std::string text = points(r.score) + " / " + points(r.max_score);
    if (r.status == RecordStatus::compile_error) text += ", did not compile";
    if (r.status == RecordStatus::not_graded) text += ", NOT GRADED: " + r.message;
    if (r.timed_out) text += ", timed out";
    char secs[32];
    std::snprintf(secs, sizeof secs, " (%.1f s)", r.seconds);
    return text + secs;
  }

  void draw() {
    const BatchEvent& e = last_;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string left = "?";
    if (e.done > 0) left = clock_text(elapsed / static_cast<double>(e.done) * static_cast<double>(e.total - e.done));
    const std::size_t width = 24;
    const std::size_t filled = e.total == 0 ? width : e.done * width / e.total;
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    std::string line = bar + " " + std::to_string(e.done) + "/" + std::to_string(e.total) + "  failed " +
                       std::to_string(e.failed) + "  elapsed " + clock_text(elapsed) + "  left ~" + left;
    if (!current_.empty() && e.done < e.total) line += "  " + current_;
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10 && line.size() >= size.ws_col)
      line.resize(size.ws_col - 1);
    std::cerr << "\r\x1b[K" << line << std::flush;
    drawn_ = true;
  }

  void tick() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!finished_) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      if (started_ && !finished_) draw();
    }
  }

  bool quiet_;
  bool terminal_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread ticker_;
  bool finished_ = false, started_ = false, drawn_ = false;
  BatchEvent last_;
  std::string current_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

bool parse_shard(const std::string& text, unsigned& index, unsigned& count) {
  unsigned i = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%u/%u%c", &i, &n, &tail) != 2 || n == 0 || i >= n) return false;
  index = i;
  count = n;
  return true;
}

int run_batch_command(const BatchCmdOptions& o) {
  try {
    if (o.list) {
      const BatchInput input = discover_submissions(o.submissions);
      for (const auto& w : input.warnings) std::cerr << "grader: warning: " << w << "\n";
      for (std::size_t i = 0; i < input.submissions.size(); ++i) {
        const BatchSubmission& s = input.submissions[i];
        std::string ids;
        for (const Submitter& who : s.submitters) ids += (ids.empty() ? "" : ",") + who.id;
        std::cout << i << "\t" << s.key << "\t" << ids << "\t" << s.source << "\n";
      }
      return exit_ok;
    }
    if (o.out.empty()) {
      std::cerr << "grader: error: --out is required: the folder for the results and the gradebook\n";
      return exit_usage;
    }
    BatchOptions b;
    b.submissions = o.submissions;
    b.out = o.out;
    const GradeOptions g = grade_options(o.submissions, o.common, false);
    b.problems = g.problems;
    b.installation = g.installation;
    b.seed = g.seed;
    b.sandbox = g.sandbox;
    b.time_limit_seconds = g.time_limit_seconds;
    b.jobs = o.jobs > 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
    b.regrade = o.regrade;
    if (!o.shard.empty() && !parse_shard(o.shard, b.shard_index, b.shard_count)) {
      std::cerr << "grader: error: --shard must look like INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 3/10 (got \""
                << o.shard << "\")\n";
      return exit_usage;
    }
    install_stop_handlers();
    b.stop = &stop_requested;
    BatchOutcome outcome;
    {
      Progress progress(o.common.quiet);
      b.on_event = [&progress](const BatchEvent& e) { progress.on_event(e); };
      outcome = run_batch(b);
    }
    for (const auto& w : outcome.warnings) std::cerr << "grader: warning: " << w << "\n";
    std::cout << "graded " << outcome.graded << " of " << outcome.found << " submissions";
    if (outcome.skipped > 0) std::cout << " (" << outcome.skipped << " already graded by an earlier run)";
    if (outcome.not_graded > 0) std::cout << "; " << outcome.not_graded << " could not be graded (see the summary)";
    std::cout << "\n";
    std::cout << "gradebook: " << outcome.gradebook.csv.string() << "\nsummary:   " << outcome.gradebook.summary.string()
              << "\n";
    if (!outcome.gradebook.histogram.empty()) std::cout << "histogram: " << outcome.gradebook.histogram.string() << "\n";
    if (!outcome.gradebook.note.empty()) std::cout << "note: " << outcome.gradebook.note << "\n";
    if (outcome.interrupted) {
      std::cout << "interrupted: " << (outcome.found - outcome.skipped - outcome.graded)
                << " submissions left; rerun the same command to continue\n";
      return 130;
    }
    return exit_ok;
  } catch (const GraderError& e) {
    std::cerr << "grader: error: " << e.what() << "\n";
    return exit_grader_error;
  }
}

}  // namespace

Command setup_batch(CLI::App& app) {
  auto o = std::make_shared<BatchCmdOptions>();
  auto* cmd = app.add_subcommand("batch", "Instructors: grade every submission of a folder, N at a time, resumably, "
                                          "and write the gradebook");
  cmd->add_option("submissions", o->submissions,
                  "folder of student folders, of .zip files, or Gradescope's export (submission_metadata.yml)")
      ->required();
  cmd->add_option("-o,--out", o->out, "batch folder: students/<name>/ results, gradebook.csv, summary.md, histogram.png");
  cmd->add_option("-j,--jobs", o->jobs, "submissions graded at once (default: one per CPU)");
  cmd->add_option("--shard", o->shard, "grade only submissions i with i % COUNT == INDEX (INDEX/COUNT), for clusters");
  cmd->add_flag("--regrade", o->regrade, "grade again what an earlier run already graded");
  cmd->add_flag("--list", o->list, "list the submissions found (index, name, student ids, source) and exit");
  add_common(cmd, o->common);
  return {cmd, [o] { return run_batch_command(*o); }};
}

}  // namespace grader::cli
