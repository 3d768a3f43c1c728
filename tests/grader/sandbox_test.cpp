// Tests of grader/src/sandbox.cpp, against the misbehaving programs of
// tests/grader/sandbox_victims/sandbox_victim.cpp.

#include "grader/sandbox.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grader/error.hpp"

namespace {

namespace fs = std::filesystem;
using grader::Limits;
using grader::RunOutcome;
using grader::RunRequest;
using grader::SandboxMode;
using grader::Termination;

/// A fresh folder under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string name = "/tmp/adc-sandbox-test-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// A string no other process on the machine has in its command line.
std::string unique_token() {
  static std::atomic<int> counter{0};
  std::random_device random;
  return "adc-token-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(random());
}

/// How many processes have token in their command line.
int processes_with(const std::string& token) {
  int count = 0;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return -1;
  while (const dirent* item = ::readdir(dir)) {
    if (item->d_name[0] < '0' || item->d_name[0] > '9') continue;
    std::ifstream file(std::string("/proc/") + item->d_name + "/cmdline", std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    std::string cmdline = text.str();
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(token) != std::string::npos) ++count;
  }
  ::closedir(dir);
  return count;
}

/// A request to run the victim in mode with small limits, scratch in dir.
RunRequest victim(const fs::path& dir, std::vector<std::string> args, SandboxMode mode = SandboxMode::automatic) {
  RunRequest request;
  request.argv = {ADC_SANDBOX_VICTIM};
  request.argv.insert(request.argv.end(), args.begin(), args.end());
  request.scratch_dir = dir;
  request.mode = mode;
  request.limits.cpu_seconds = 5;
  request.limits.wall_seconds = 10;
  request.limits.memory_bytes = 512ull << 20;
  return request;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void skip_without_bubblewrap() {
  if (!grader::bubblewrap_usable()) GTEST_SKIP() << "bubblewrap (/usr/bin/bwrap) cannot create a sandbox here";
}

// ---------------------------------------------------------------------------

TEST(SandboxRun, CapturesStdoutStderrAndResultsSeparately) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"echo"}));
  ASSERT_EQ(outcome.termination, Termination::exited) << outcome.describe() << "\n" << outcome.err;
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.out, "out-text");
  EXPECT_EQ(outcome.err, "err-text");
  EXPECT_EQ(outcome.results, "results-text");
  EXPECT_FALSE(outcome.out_truncated || outcome.err_truncated || outcome.results_truncated);
}

TEST(SandboxRun, AutomaticModeUsesBubblewrapWhenUsable) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"echo"}));
  EXPECT_EQ(outcome.bubblewrap, grader::bubblewrap_usable());
  EXPECT_EQ(outcome.termination, Termination::exited);
}

TEST(SandboxRun, RlimitsOnlyModeDoesNotUseBubblewrap) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"echo"}, SandboxMode::rlimits_only));
  EXPECT_FALSE(outcome.bubblewrap);
  EXPECT_EQ(outcome.out, "out-text");
  EXPECT_EQ(outcome.results, "results-text");
}

TEST(SandboxRun, DeliversStdin) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"cat"});
  // Larger than a pipe buffer: stdin and stdout must flow at the same time.
  for (int i = 0; request.stdin_data.size() < (1u << 20); ++i) request.stdin_data += std::to_string(i) + "\n";
  request.limits.output_bytes = 2 << 20;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::exited) << outcome.describe();
  EXPECT_EQ(outcome.out.size(), request.stdin_data.size());
  EXPECT_TRUE(outcome.out == request.stdin_data);
}

TEST(SandboxRun, ReportsExitCode) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"exit", "3"}));
  ASSERT_EQ(outcome.termination, Termination::exited);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(outcome.describe(), "exited with code 3");
}

TEST(SandboxRun, ReportsSegfaultAsSignal11) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"segfault"}));
  ASSERT_EQ(outcome.termination, Termination::signaled) << outcome.describe();
  EXPECT_EQ(outcome.signal, SIGSEGV);
  EXPECT_EQ(outcome.describe(),
            "was killed by signal 11 (segmentation fault): an invalid memory access, such as a null or dangling "
            "pointer, an index out of range, or unbounded recursion overflowing the stack");
}

TEST(SandboxRun, ReportsSegfaultWithoutBubblewrap) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"segfault"}, SandboxMode::rlimits_only));
  ASSERT_EQ(outcome.termination, Termination::signaled) << outcome.describe();
  EXPECT_EQ(outcome.signal, SIGSEGV);
}

TEST(SandboxRun, ReportsAbort) {
  TempDir dir;
  const RunOutcome outcome = grader::run_sandboxed(victim(dir.path(), {"abort"}));
  ASSERT_EQ(outcome.termination, Termination::signaled) << outcome.describe();
  EXPECT_EQ(outcome.signal, SIGABRT);
  EXPECT_NE(outcome.describe().find("abort"), std::string::npos) << outcome.describe();
}

// The environment of the victim in mode, one entry per element, sorted.
std::vector<std::string> child_environment(const fs::path& dir, SandboxMode mode) {
  RunRequest request = victim(dir, {"env"}, mode);
  request.env = {"ADC_FIRST=1", "ADC_SECOND=two words"};
  const RunOutcome outcome = grader::run_sandboxed(request);
  EXPECT_EQ(outcome.termination, Termination::exited) << outcome.describe();
  std::vector<std::string> lines;
  std::istringstream text(outcome.out);
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(SandboxRun, EnvironmentHoldsOnlyTheGivenVariables) {
  TempDir dir;
  EXPECT_EQ(child_environment(dir.path(), SandboxMode::automatic),
            (std::vector<std::string>{"ADC_FIRST=1", "ADC_SECOND=two words", "PWD=" + dir.path().string()}));
}

TEST(SandboxRun, EnvironmentIsTheSameWithoutBubblewrap) {
  TempDir dir;
  EXPECT_EQ(child_environment(dir.path(), SandboxMode::rlimits_only),
            (std::vector<std::string>{"ADC_FIRST=1", "ADC_SECOND=two words", "PWD=" + dir.path().string()}));
}

TEST(SandboxRun, MissingExecutableFailsToStart) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {});
  request.argv = {"/nonexistent/adc-victim"};
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::start_failed);
  EXPECT_NE(outcome.error.find("/nonexistent/adc-victim"), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.describe().rfind("could not be started", 0), 0u) << outcome.describe();
}

TEST(SandboxRun, NonExecutableFileFailsToStart) {
  TempDir dir;
  const fs::path script = dir.path() / "not-executable";
  std::ofstream(script) << "not a program\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  RunRequest request = victim(dir.path(), {});
  request.argv = {script.string()};
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::start_failed) << outcome.describe();
  EXPECT_NE(outcome.error.find("Permission denied"), std::string::npos) << outcome.error;
}

// ---------------------------------------------------------------------------

TEST(SandboxRequest, EmptyArgvThrowsNamingTheField) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {});
  request.argv.clear();
  try {
    grader::run_sandboxed(request);
    FAIL() << "expected a GraderError";
  } catch (const grader::GraderError& e) {
    EXPECT_NE(std::string(e.what()).find("argv"), std::string::npos) << e.what();
  }
}

TEST(SandboxRequest, MissingScratchDirThrowsNamingTheField) {
  RunRequest request = victim("/nonexistent/adc-scratch", {"echo"});
  try {
    grader::run_sandboxed(request);
    FAIL() << "expected a GraderError";
  } catch (const grader::GraderError& e) {
    EXPECT_NE(std::string(e.what()).find("scratch_dir"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------

TEST(SandboxLimits, CpuLoopHitsCpuLimit) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"spin"});
  request.limits.cpu_seconds = 1;
  request.limits.wall_seconds = 10;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::cpu_limit) << outcome.describe();
  EXPECT_GE(outcome.cpu_seconds, 0.9);
  EXPECT_LT(outcome.wall_seconds, 5.0);
  EXPECT_EQ(outcome.describe(), "ran out of time: used more than 1 s of CPU time");
}

TEST(SandboxLimits, SleepHitsWallLimitPromptly) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"sleep"});
  request.limits.wall_seconds = 1;
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome outcome = grader::run_sandboxed(request);
  const double elapsed = seconds_since(start);
  ASSERT_EQ(outcome.termination, Termination::wall_limit) << outcome.describe();
  EXPECT_LT(elapsed, 2.0);
  EXPECT_LT(outcome.cpu_seconds, 0.5);
  EXPECT_EQ(outcome.describe(), "ran out of time: killed after 1 s of wall-clock time");
}

// The idle limit is per answer, not per run: ten answers 200 ms apart outlive
// a 0.5 s idle limit (2 s in all), and the silence after them does not.
TEST(SandboxLimits, IdleLimitCountsFromTheLastResult) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"tick", "10"});
  request.limits.idle_seconds = 0.5;
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome outcome = grader::run_sandboxed(request);
  const double elapsed = seconds_since(start);
  ASSERT_EQ(outcome.termination, Termination::idle_limit) << outcome.describe();
  std::string ticks;
  for (int i = 0; i < 10; ++i) ticks += "tick\n";
  EXPECT_EQ(outcome.results, ticks);
  EXPECT_GE(elapsed, 2.4);
  EXPECT_LT(elapsed, 5.0);
  EXPECT_EQ(outcome.describe(), "ran out of time: killed after 0.5 s of wall-clock time without a result");
}

TEST(SandboxLimits, IdleLimitZeroMeansNone) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"tick", "1"});
  request.limits.wall_seconds = 1;
  const RunOutcome outcome = grader::run_sandboxed(request);
  EXPECT_EQ(outcome.termination, Termination::wall_limit) << outcome.describe();
  EXPECT_EQ(outcome.results, "tick\n");
}

TEST(SandboxLimits, MemoryBombFailsCleanly) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"memory_bomb"});
  request.limits.memory_bytes = 256ull << 20;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::signaled) << outcome.describe() << "\n" << outcome.err;
  EXPECT_EQ(outcome.signal, SIGABRT);
  EXPECT_NE(outcome.err.find("bad_alloc"), std::string::npos) << outcome.err;
}

TEST(SandboxLimits, OutputFloodIsTruncatedPromptly) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"flood", "200"});
  request.limits.output_bytes = 1 << 20;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::exited) << outcome.describe();
  EXPECT_TRUE(outcome.out_truncated);
  EXPECT_TRUE(outcome.err_truncated);
  EXPECT_EQ(outcome.out.size(), request.limits.output_bytes);
  EXPECT_EQ(outcome.err.size(), request.limits.output_bytes);
  EXPECT_EQ(outcome.out_total, 200ull << 20);
  EXPECT_EQ(outcome.err_total, 200ull << 20);
  EXPECT_LT(outcome.wall_seconds, 8.0);
}

// Runs a fork bomb while another thread counts its processes.
struct ForkBombRun {
  RunOutcome outcome;
  int most_processes = 0;
  int left_over = 0;
  double elapsed = 0;
};

ForkBombRun run_fork_bomb(SandboxMode mode, bool pids_cgroup) {
  TempDir dir;
  const std::string token = unique_token();
  RunRequest request = victim(dir.path(), {"fork_bomb", token}, mode);
  request.limits.processes = 16;
  request.limits.wall_seconds = 1.5;
  request.pids_cgroup = pids_cgroup;
  ForkBombRun run;
  std::atomic<bool> done{false};
  std::thread counter([&] {
    while (!done) {
      run.most_processes = std::max(run.most_processes, processes_with(token));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  run.outcome = grader::run_sandboxed(request);
  run.elapsed = seconds_since(start);
  done = true;
  counter.join();
  run.left_over = processes_with(token);
  return run;
}

TEST(SandboxLimits, ForkBombIsContained) {
  const ForkBombRun run = run_fork_bomb(SandboxMode::automatic, true);
  EXPECT_EQ(run.outcome.termination, Termination::wall_limit) << run.outcome.describe();
  EXPECT_EQ(run.outcome.results, "forked");
  // bwrap's two processes carry the token in their command line too.
  EXPECT_LE(run.most_processes, 16 + 2);
  EXPECT_EQ(run.left_over, 0);
  EXPECT_LT(run.elapsed, 3.5);
}

TEST(SandboxLimits, ForkBombIsContainedWithoutCgroupOrBubblewrap) {
  const ForkBombRun run = run_fork_bomb(SandboxMode::rlimits_only, false);
  EXPECT_EQ(run.outcome.termination, Termination::wall_limit) << run.outcome.describe();
  EXPECT_EQ(run.outcome.results, "forked");
  EXPECT_LE(run.most_processes, 16);
  EXPECT_EQ(run.left_over, 0);
  EXPECT_LT(run.elapsed, 3.5);
}

TEST(SandboxLimits, FileSizeLimitStopsAHugeFile) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"big_file"});
  request.limits.file_bytes = 1 << 20;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::signaled) << outcome.describe();
  EXPECT_EQ(outcome.signal, SIGXFSZ);
  EXPECT_LE(fs::file_size(dir.path() / "big.bin"), request.limits.file_bytes);
  EXPECT_NE(outcome.describe().find("file size limit"), std::string::npos) << outcome.describe();
}

TEST(SandboxLimits, OpenFilesLimitApplies) {
  TempDir dir;
  RunRequest request = victim(dir.path(), {"open_files"});
  request.limits.open_files = 16;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::exited) << outcome.describe();
  std::istringstream text(outcome.out);
  int opened = -1;
  text >> opened;
  // stdin, stdout, stderr and the results channel are already open.
  EXPECT_GE(opened, 1);
  EXPECT_LE(opened, 16 - 4);
  EXPECT_NE(outcome.out.find("Too many open files"), std::string::npos) << outcome.out;
}

// ---------------------------------------------------------------------------

// Runs the double-forking victim; its daemon would write "marker" after
// 300 ms if it survived the run.
void expect_daemon_killed(SandboxMode mode, bool pids_cgroup) {
  TempDir dir;
  const std::string token = unique_token();
  RunRequest request = victim(dir.path(), {"daemon", "300", token}, mode);
  request.pids_cgroup = pids_cgroup;
  const RunOutcome outcome = grader::run_sandboxed(request);
  ASSERT_EQ(outcome.termination, Termination::exited) << outcome.describe();
  ASSERT_EQ(outcome.results, "spawned");
  EXPECT_EQ(processes_with(token), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_FALSE(fs::exists(dir.path() / "marker"));
}

TEST(SandboxCleanup, DoubleForkedDaemonDiesWithTheRun) { expect_daemon_killed(SandboxMode::automatic, true); }

TEST(SandboxCleanup, DoubleForkedDaemonDiesWithoutBubblewrap) {
  expect_daemon_killed(SandboxMode::rlimits_only, true);
}

TEST(SandboxCleanup, DoubleForkedDaemonDiesWithoutCgroupOrBubblewrap) {
  expect_daemon_killed(SandboxMode::rlimits_only, false);
}

// ---------------------------------------------------------------------------

TEST(SandboxIsolation, WritesOutsideScratchDoNotReachTheHost) {
  skip_without_bubblewrap();
  TempDir dir;
  const std::string token = unique_token();
  // The system is read-only inside: a write there fails outright.
  const fs::path in_system = fs::path("/usr") / ("sandbox-escape-" + token);
  // The build tree and the host's /tmp are not writable either; a build tree
  // under /tmp may show up inside on the sandbox's private tmpfs (its folders
  // are made for the executable's read-only bind), so what matters is that
  // nothing reaches the host.
  const fs::path in_project = fs::path(ADC_BINARY_DIR) / ("sandbox-escape-" + token);
  const fs::path in_host_tmp = fs::path("/tmp") / ("sandbox-escape-" + token);
  const RunOutcome system = grader::run_sandboxed(victim(dir.path(), {"write_file", in_system.string()}));
  const RunOutcome project = grader::run_sandboxed(victim(dir.path(), {"write_file", in_project.string()}));
  const RunOutcome host_tmp = grader::run_sandboxed(victim(dir.path(), {"write_file", in_host_tmp.string()}));
  EXPECT_TRUE(system.bubblewrap);
  EXPECT_EQ(system.out.rfind("error:", 0), 0u) << system.out;
  EXPECT_FALSE(fs::exists(in_system));
  EXPECT_FALSE(fs::exists(in_project)) << project.out;
  EXPECT_FALSE(fs::exists(in_host_tmp)) << host_tmp.out;
}

TEST(SandboxIsolation, ScratchDirIsWritable) {
  skip_without_bubblewrap();
  TempDir dir;
  const RunOutcome outcome =
      grader::run_sandboxed(victim(dir.path(), {"write_file", (dir.path() / "made.txt").string()}));
  EXPECT_EQ(outcome.out, "ok\n");
  EXPECT_TRUE(fs::exists(dir.path() / "made.txt"));
}

TEST(SandboxIsolation, ScratchDirAndWhatTheChildMadeBelongToTheGraderAfterwards) {
  if (::geteuid() != 0) GTEST_SKIP() << "only a root grader lends the scratch dir to another uid";
  TempDir dir;
  const RunOutcome outcome =
      grader::run_sandboxed(victim(dir.path(), {"write_file", (dir.path() / "made.txt").string()}));
  ASSERT_EQ(outcome.out, "ok\n");
  struct stat folder {};
  struct stat made {};
  ASSERT_EQ(::stat(dir.path().c_str(), &folder), 0);
  ASSERT_EQ(::stat((dir.path() / "made.txt").c_str(), &made), 0);
  EXPECT_EQ(folder.st_uid, 0u);
  EXPECT_EQ(made.st_uid, 0u);
}

TEST(SandboxIsolation, ReadOnlyPathIsReadableButNotWritable) {
  skip_without_bubblewrap();
  TempDir dir;
  TempDir shared;
  fs::permissions(shared.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
  std::ofstream(shared.path() / "data.txt") << "shared data\n";
  RunRequest read = victim(dir.path(), {"read_file", (shared.path() / "data.txt").string()});
  read.read_only = {shared.path()};
  RunRequest write = victim(dir.path(), {"write_file", (shared.path() / "new.txt").string()});
  write.read_only = {shared.path()};
  const RunOutcome read_outcome = grader::run_sandboxed(read);
  const RunOutcome write_outcome = grader::run_sandboxed(write);
  EXPECT_EQ(read_outcome.out, "shared data\n");
  EXPECT_EQ(write_outcome.out.rfind("error:", 0), 0u) << write_outcome.out;
  EXPECT_FALSE(fs::exists(shared.path() / "new.txt"));
}

/// A TCP socket listening on 127.0.0.1 at a free port.
class Listener {
 public:
  Listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(SandboxIsolation, NetworkIsUnavailable) {
  skip_without_bubblewrap();
  TempDir dir;
  const Listener listener;
  const RunOutcome outcome =
      grader::run_sandboxed(victim(dir.path(), {"connect", std::to_string(listener.port())}));
  EXPECT_EQ(outcome.out.rfind("error:", 0), 0u) << outcome.out;
}

// The control of NetworkIsUnavailable, and the documented loss without bubblewrap.
TEST(SandboxIsolation, NetworkIsReachableWithoutBubblewrap) {
  TempDir dir;
  const Listener listener;
  const RunOutcome outcome = grader::run_sandboxed(
      victim(dir.path(), {"connect", std::to_string(listener.port())}, SandboxMode::rlimits_only));
  EXPECT_EQ(outcome.out, "connected\n");
}

}  // namespace
