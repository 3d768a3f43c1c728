#pragma once
/// \file Run an untrusted executable as a child process under limits and
/// return what happened as data (a crash or a hang is an outcome, not an error).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace grader {

/// Resource limits of one run.
struct Limits {
  /// CPU time per process (RLIMIT_CPU, whole seconds: rounded up).
  double cpu_seconds = 10.0;
  /// Wall-clock time after which the parent kills the whole sandbox.
  double wall_seconds = 20.0;
  /// Wall-clock time the results channel may stay silent (from the start, and
  /// after each byte it receives) before the parent kills the whole sandbox;
  /// 0: no such limit. A program that answers one check per line thus gets
  /// this long per check.
  double idle_seconds = 0.0;
  /// Address space per process (RLIMIT_AS); where a memory cgroup can be
  /// made, also (plus the tmpfs mounts and a little slack) the memory of all
  /// the run's processes together.
  std::uint64_t memory_bytes = 1ull << 30;
  /// Bytes kept per captured stream; the rest is read and discarded so the
  /// child never blocks on a full pipe.
  std::uint64_t output_bytes = 1 << 20;
  /// Largest file the child may write (RLIMIT_FSIZE); also the size of its /tmp
  /// (and of a private scratch) under bubblewrap.
  std::uint64_t file_bytes = 16ull << 20;
  /// Most tasks (processes and threads) the sandbox may have at once.
  std::uint64_t processes = 16;
  /// Most open file descriptors per process (RLIMIT_NOFILE).
  std::uint64_t open_files = 64;
};

/// How the child is isolated.
enum class SandboxMode {
  automatic,     ///< bubblewrap when usable, else rlimits_only
  bubblewrap,    ///< bubblewrap or a GraderError if it is not usable here
  rlimits_only,  ///< resource limits, a new session and an unprivileged uid only
};

/// What to run and under which limits.
struct RunRequest {
  /// argv[0] is the absolute path of the executable.
  std::vector<std::string> argv;
  /// Written to the child's stdin, which is then closed.
  std::string stdin_data;
  /// The child's working directory and the only place it may write. When the
  /// grader runs as root the child runs as an unprivileged uid of its own, this
  /// folder is lent to that uid (chown) during the run, and what the child
  /// created in it belongs to the grader afterwards; its parent folders must
  /// be o+x. One run at a time per scratch dir.
  std::filesystem::path scratch_dir;
  /// Extra paths the child may read (bound read-only under bubblewrap).
  std::vector<std::filesystem::path> read_only;
  /// Limits of this run.
  Limits limits;
  /// Isolation to use.
  SandboxMode mode = SandboxMode::automatic;
  /// KEY=VALUE entries; the child's environment is otherwise empty but for
  /// PWD=<scratch_dir>, which bubblewrap always sets.
  std::vector<std::string> env;
  /// Under bubblewrap, give the child an empty private tmpfs of at most
  /// limits.file_bytes at scratch_dir (argv[0] stays visible in it, read-only)
  /// instead of the host folder: what it writes can neither fill the host's
  /// disk nor outlive the run. For runs whose files nobody needs afterwards;
  /// without bubblewrap the host folder is used.
  bool private_scratch = false;
  /// Use cgroups (pids: exact process accounting and killing; memory: a cap on
  /// all processes together) when the host lets the grader create them; off
  /// only to exercise the fallback.
  bool pids_cgroup = true;
};

/// How a run ended.
enum class Termination {
  exited,        ///< the child exited (exit_code)
  signaled,      ///< a signal killed it (signal)
  cpu_limit,     ///< it used up its CPU time
  wall_limit,    ///< it ran out of wall-clock time and was killed
  idle_limit,    ///< its results channel stayed silent for limits.idle_seconds and it was killed
  memory_limit,  ///< the kernel killed it for the memory cap of the run's cgroup
  start_failed,  ///< it could not be started (error)
};

/// What happened in one run.
struct RunOutcome {
  /// How the run ended.
  Termination termination = Termination::start_failed;
  /// Exit code for Termination::exited, else -1.
  int exit_code = -1;
  /// Signal that ended the child for Termination::signaled (and cpu_limit).
  int signal = 0;
  /// Wall-clock time from start to the end of the child.
  double wall_seconds = 0;
  /// User + system CPU time of the child and of the descendants it waited for.
  double cpu_seconds = 0;
  /// Captured stdout, capped at Limits::output_bytes.
  std::string out;
  /// Captured stderr, capped at Limits::output_bytes.
  std::string err;
  /// What the child wrote to results_fd, capped at Limits::output_bytes.
  std::string results;
  /// Whether stdout was longer than the cap.
  bool out_truncated = false;
  /// Whether stderr was longer than the cap.
  bool err_truncated = false;
  /// Whether the results channel was longer than the cap.
  bool results_truncated = false;
  /// Bytes the child wrote to stdout, kept or not.
  std::uint64_t out_total = 0;
  /// Bytes the child wrote to stderr, kept or not.
  std::uint64_t err_total = 0;
  /// Bytes the child wrote to the results channel, kept or not.
  std::uint64_t results_total = 0;
  /// Whether bubblewrap isolated this run.
  bool bubblewrap = false;
  /// The limits the run had (describe() quotes them).
  Limits limits;
  /// For start_failed: why, for staff.
  std::string error;

  /// One sentence a student understands, e.g. "was killed by signal 11
  /// (segmentation fault)" or "ran out of time: used more than 10 s of CPU time".
  std::string describe() const;
};

/// The file descriptor on which the child writes its results.
constexpr int results_fd = 3;

/// Runs request.argv in a sandbox, waits for it and returns the outcome; no
/// process of the sandbox survives the call. Throws GraderError for a bad
/// request (empty argv, missing scratch_dir, ...), never for a bad child.
RunOutcome run_sandboxed(const RunRequest& request);

/// Whether /usr/bin/bwrap exists and runs a trivial sandbox here (probed once).
bool bubblewrap_usable();

/// Human name of a signal, e.g. "segmentation fault" for 11.
std::string signal_description(int signal);
/// Seconds as the limits' messages write them: "1", "0.5", "2.25".
std::string seconds_text(double seconds);

}  // namespace grader
