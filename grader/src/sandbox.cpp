// The sandbox: one untrusted child process under limits, its output captured,
// and every process it started killed before run_sandboxed returns.
//
// Layers, from the strongest:
//  1. bubblewrap (when usable): new user, pid, network, ipc, uts and mount
//     namespaces. The child sees a read-only /usr (+ /bin, /lib*, the dynamic
//     loader's files in /etc), a fresh /proc, a minimal /dev, a small tmpfs
//     /tmp, its scratch dir read-write (or, with private_scratch, a small
//     tmpfs in its place) and the read_only paths; nothing else of the host.
//     All processes of the sandbox die with its pid namespace.
//  2. Cgroups (when the host lets us create them): a pids cgroup caps the
//     number of tasks even for a fork bomb run by root, and lists every
//     member, however it daemonized, so that all of them are killed; a memory
//     cgroup caps the memory of all the run's processes together (RLIMIT_AS
//     is per process).
//  3. Always: resource limits (CPU, address space, file size, open files,
//     core dumps, processes), a new session, no_new_privs, an unprivileged
//     uid/gid of the run's own when the grader is root (so RLIMIT_NPROC counts
//     exactly this run's processes and the child owns nothing but its scratch
//     dir), and a sweep of /proc that kills the session's processes and every
//     descendant the grader adopted as child subreaper.
//
// What is lost without bubblewrap (SandboxMode::rlimits_only, or automatic
// when bubblewrap is unusable): no network isolation (the child can connect
// anywhere, including 127.0.0.1); the whole file system is visible, with the
// permissions of "others" (or of the grader's user when the grader is not
// root: then the child can also write wherever that user can); other
// processes are visible in /proc; /tmp is the host's, without a size cap, and
// the scratch dir takes as much disk as the CPU limit lets the child write.
// When the grader is root, what the run's uid left in the shared writable
// folders (/tmp, /var/tmp, /dev/shm, ...) and its System V IPC objects are
// removed after the run; when it is not, they stay. Without a cgroup the task
// cap is RLIMIT_NPROC, which counts every process of the uid (we add the
// current count) and does not bind root, and nothing caps the memory of all
// processes together. The subreaper is process-wide: orphans of the grader's
// other children are adopted too (and reaped only when they look like sandbox
// processes), and when the grader is not root, so that all runs share its
// uid, a stray orphan of one run may be killed by the sweep of a concurrent
// one.

#include "grader/sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "grader/error.hpp"

namespace grader {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// When the grader is root, each run gets a uid (and the same gid) of its own,
// far above any real account: RLIMIT_NPROC then counts exactly this run's
// processes (user nobody's count would include every concurrent sandbox and
// daemon), and a stray orphan is told apart from other runs' by its uid alone.
constexpr uid_t run_uid_base = 1600000000;
constexpr uid_t run_uid_slots = 1000;
constexpr const char* bwrap_path = "/usr/bin/bwrap";
// bwrap's monitor process and the pid-1 reaper of its namespace are tasks of
// the sandbox too; the child's own budget should not pay for them.
constexpr std::uint64_t bwrap_extra_tasks = 2;
// After the child ends and everything is killed, the pipes reach EOF at once;
// the grace only bounds a pathological case (a writer we could not kill).
constexpr auto drain_grace = std::chrono::milliseconds(1000);
constexpr auto kill_grace = std::chrono::milliseconds(2000);
// bwrap's monitor and reaper, page tables and the like: memory the run's
// cgroup holds beyond what the child itself may have.
constexpr std::uint64_t memory_slack = 64ull << 20;
// Folders every user may write to on a Debian host; without bubblewrap the
// child can leave files there (with bubblewrap it sees none of them).
constexpr const char* shared_writable_dirs[] = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue"};

/// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

std::string errno_text(int error) { return std::strerror(error); }

// Close-on-exec on both ends: the child dup2s the ends it needs onto 0..3,
// which clears the flag there, and no other run's pipes leak into it.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw GraderError("sandbox: cannot create a pipe: " + errno_text(errno));
  return {Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::optional<std::string> read_small_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

bool write_small_file(const std::string& path, const std::string& text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// ---------------------------------------------------------------------------
// The process table, read from /proc.

struct ProcEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t session = 0;
  char state = '?';
  uid_t uid = 0;  // real uid: the one RLIMIT_NPROC counts
};

std::optional<ProcEntry> read_proc_entry(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  const auto stat = read_small_file(base + "/stat");
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid pgrp session ...": comm may hold ')' and spaces.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcEntry entry;
  entry.pid = pid;
  std::istringstream fields(stat->substr(close + 1));
  long ppid = 0, pgrp = 0, session = 0;
  if (!(fields >> entry.state >> ppid >> pgrp >> session)) return std::nullopt;
  entry.ppid = static_cast<pid_t>(ppid);
  entry.session = static_cast<pid_t>(session);
  const auto status = read_small_file(base + "/status");
  if (!status) return std::nullopt;
  const auto uid_at = status->find("\nUid:");
  if (uid_at == std::string::npos) return std::nullopt;
  entry.uid = static_cast<uid_t>(std::strtoul(status->c_str() + uid_at + 5, nullptr, 10));
  return entry;
}

std::vector<ProcEntry> list_processes() {
  std::vector<ProcEntry> processes;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return processes;
  while (const dirent* item = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(item->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (auto entry = read_proc_entry(static_cast<pid_t>(pid))) processes.push_back(*entry);
  }
  ::closedir(dir);
  return processes;
}

std::size_t count_processes_of(uid_t uid) {
  const auto processes = list_processes();
  return static_cast<std::size_t>(
      std::count_if(processes.begin(), processes.end(), [uid](const ProcEntry& p) { return p.uid == uid; }));
}

// A run uid no process uses now; the grader's pid picks the block, so that
// concurrent graders do not meet, and a counter the slot within it.
uid_t pick_run_uid() {
  static std::atomic<uid_t> counter{0};
  const auto processes = list_processes();
  const uid_t block = run_uid_base + static_cast<uid_t>(::getpid() % 100000) * run_uid_slots;
  for (uid_t attempt = 0; attempt < run_uid_slots; ++attempt) {
    const uid_t uid = block + counter.fetch_add(1) % run_uid_slots;
    if (std::none_of(processes.begin(), processes.end(), [uid](const ProcEntry& p) { return p.uid == uid; }))
      return uid;
  }
  throw GraderError("sandbox: all " + std::to_string(run_uid_slots) + " uids from " + std::to_string(block) +
                    " are in use by processes; kill leftover sandbox processes");
}

// Roots of the runs in flight in this process: a sweep must not take another
// run's child for a stray.
std::mutex live_roots_mutex;
std::set<pid_t> live_roots;

bool is_live_root(pid_t pid) {
  const std::lock_guard<std::mutex> lock(live_roots_mutex);
  return live_roots.count(pid) != 0;
}

class LiveRoot {
 public:
  explicit LiveRoot(pid_t pid) : pid_(pid) {
    const std::lock_guard<std::mutex> lock(live_roots_mutex);
    live_roots.insert(pid_);
  }
  LiveRoot(const LiveRoot&) = delete;
  LiveRoot& operator=(const LiveRoot&) = delete;
  ~LiveRoot() {
    const std::lock_guard<std::mutex> lock(live_roots_mutex);
    live_roots.erase(pid_);
  }

 private:
  pid_t pid_;
};

// Descendants whose parent died are re-parented to the nearest subreaper
// instead of init, so a double-forked daemon stays findable as our child.
void become_subreaper() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); });
}

// ---------------------------------------------------------------------------
// Cgroups: a task cap that binds root too, an exact member list, and a cap on
// the memory of all the run's processes together (RLIMIT_AS is per process:
// a fork bomb of memory bombs would otherwise own processes × memory_bytes).

class RunCgroups {
 public:
  /// Fresh cgroups capped at max_tasks tasks and max_memory bytes, or nullptr
  /// when the host lets us create neither (read-only /sys/fs/cgroup, no pids
  /// or memory controller, ...). Either cap may be missing on its own.
  static std::unique_ptr<RunCgroups> create(std::uint64_t max_tasks, std::uint64_t max_memory) {
    static std::atomic<unsigned> counter{0};
    const std::string name =
        "adc-sandbox-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    const Hierarchies where = find_hierarchies();
    auto groups = std::unique_ptr<RunCgroups>(new RunCgroups());
    // cgroup v1 has one hierarchy per controller; v2 one for all, where a
    // controller works only when the parent's subtree_control enables it.
    for (const std::string& parent : {where.v1_pids, where.v2}) {
      if (parent.empty()) continue;
      const std::string dir = groups->make(parent + "/" + name);
      if (!dir.empty() && write_small_file(dir + "/pids.max", std::to_string(max_tasks))) {
        groups->pids_dir_ = dir;
        break;
      }
    }
    for (const std::string& parent : {where.v1_memory, where.v2}) {
      if (parent.empty()) continue;
      const std::string dir = groups->make(parent + "/" + name);
      if (dir.empty()) continue;
      const bool v2 = parent == where.v2;
      if (write_small_file(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), std::to_string(max_memory))) {
        groups->memory_dir_ = dir;
        groups->memory_v2_ = v2;
        // v2: an out-of-memory kill takes the whole run, not one process of it.
        if (v2) write_small_file(dir + "/memory.oom.group", "1");
        break;
      }
    }
    // A folder that took no cap is of no use; the members are listed from the others.
    for (auto it = groups->made_.begin(); it != groups->made_.end();) {
      if (*it != groups->pids_dir_ && *it != groups->memory_dir_) {
        ::rmdir(it->c_str());
        it = groups->made_.erase(it);
      } else {
        ++it;
      }
    }
    if (groups->made_.empty()) return nullptr;
    return groups;
  }

  RunCgroups(const RunCgroups&) = delete;
  RunCgroups& operator=(const RunCgroups&) = delete;

  ~RunCgroups() {
    // rmdir fails with EBUSY until the killed tasks are fully gone.
    for (const std::string& dir : made_) {
      const auto give_up = Clock::now() + std::chrono::milliseconds(500);
      while (::rmdir(dir.c_str()) != 0 && errno == EBUSY && Clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  /// The files a task writes "0" to in order to join (one per hierarchy).
  std::vector<std::string> procs_files() const {
    std::vector<std::string> files;
    for (const std::string& dir : made_) files.push_back(dir + "/cgroup.procs");
    return files;
  }

  /// The current members.
  std::vector<pid_t> members() const {
    std::vector<pid_t> pids;
    for (const std::string& file : procs_files()) {
      std::istringstream text(read_small_file(file).value_or(""));
      long pid = 0;
      while (text >> pid) pids.push_back(static_cast<pid_t>(pid));
    }
    return pids;
  }

  /// Kills every member at once where the kernel can (cgroup v2).
  void kill_all() const {
    for (const std::string& dir : made_) write_small_file(dir + "/cgroup.kill", "1");
  }

  /// Whether the kernel killed a member because the run's memory cap was reached.
  bool out_of_memory() const {
    if (memory_dir_.empty()) return false;
    // v1: "oom_kill N" in memory.oom_control; v2: "oom_kill N" in memory.events.
    const auto text = read_small_file(memory_dir_ + (memory_v2_ ? "/memory.events" : "/memory.oom_control"));
    if (!text) return false;
    const auto at = text->find("oom_kill ");
    return at != std::string::npos && std::strtoull(text->c_str() + at + 9, nullptr, 10) > 0;
  }

 private:
  RunCgroups() = default;

  struct Hierarchies {
    std::string v1_pids, v1_memory, v2;  // our own cgroup in each; empty: none
  };

  // Makes dir once (v2 offers the same dir to both controllers).
  std::string make(const std::string& dir) {
    if (std::find(made_.begin(), made_.end(), dir) != made_.end()) return dir;
    if (::mkdir(dir.c_str(), 0755) != 0) return "";
    made_.push_back(dir);
    return dir;
  }

  // Our own cgroup in the v1 pids and memory hierarchies and in the v2 one; a
  // child of our own cgroup keeps us inside whatever limits the host gave the
  // grader.
  static Hierarchies find_hierarchies() {
    std::string v1_pids_mount, v1_memory_mount, v2_mount;
    std::istringstream mounts(read_small_file("/proc/self/mounts").value_or(""));
    std::string line;
    while (std::getline(mounts, line)) {
      std::istringstream fields(line);
      std::string device, mount_point, type, options;
      if (!(fields >> device >> mount_point >> type >> options)) continue;
      options = "," + options + ",";
      if (type == "cgroup2" && v2_mount.empty()) v2_mount = mount_point;
      if (type == "cgroup" && options.find(",pids,") != std::string::npos) v1_pids_mount = mount_point;
      if (type == "cgroup" && options.find(",memory,") != std::string::npos) v1_memory_mount = mount_point;
    }
    std::string v1_pids_path, v1_memory_path, v2_path;
    std::istringstream groups(read_small_file("/proc/self/cgroup").value_or(""));
    while (std::getline(groups, line)) {
      const auto first = line.find(':');
      const auto second = line.find(':', first + 1);
      if (first == std::string::npos || second == std::string::npos) continue;
      const std::string controllers = "," + line.substr(first + 1, second - first - 1) + ",";
      const std::string path = line.substr(second + 1);
      if (controllers == ",,") v2_path = path;
      if (controllers.find(",pids,") != std::string::npos) v1_pids_path = path;
      if (controllers.find(",memory,") != std::string::npos) v1_memory_path = path;
    }
    const auto join = [](const std::string& mount, const std::string& path) {
      if (mount.empty() || path.empty()) return std::string();
      return path == "/" ? mount : mount + path;
    };
    return {join(v1_pids_mount, v1_pids_path), join(v1_memory_mount, v1_memory_path), join(v2_mount, v2_path)};
  }

  std::vector<std::string> made_;
  std::string pids_dir_, memory_dir_;
  bool memory_v2_ = false;
};

// ---------------------------------------------------------------------------
// Killing every process of a run.

struct StrayRule {
  bool by_uid = false;  // true: the sandbox runs as a uid of its own
  uid_t uid = 0;
  pid_t grader_session = 0;

  // An adopted orphan belongs to a sandbox when it runs as the sandbox uid,
  // or, when the sandbox shares the grader's uid, when it left the grader's
  // session (every sandbox starts a new one).
  bool matches(const ProcEntry& p) const { return by_uid ? p.uid == uid : p.session != grader_session; }
};

double seconds_of(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

// Kills root's session, the cgroup and every descendant of root or of a stray
// orphan we adopted, until none is alive; reaps what became our child and
// returns the CPU seconds of those. Root itself stays a zombie so its pid (and
// process group) cannot be reused before.
double kill_sandbox(pid_t root, const RunCgroups* cgroup, const StrayRule& strays) {
  double reaped_cpu = 0;
  ::kill(-root, SIGKILL);
  ::kill(root, SIGKILL);
  if (cgroup != nullptr) cgroup->kill_all();
  const pid_t self = ::getpid();
  const auto give_up = Clock::now() + kill_grace;
  int clean_passes = 0;
  for (;;) {
    std::set<pid_t> members{root};
    if (cgroup != nullptr)
      for (pid_t pid : cgroup->members()) members.insert(pid);
    const auto processes = list_processes();
    for (const auto& p : processes)
      if (p.ppid == self && !is_live_root(p.pid) && strays.matches(p)) members.insert(p.pid);
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& p : processes)
        if (members.count(p.ppid) != 0 && members.insert(p.pid).second) grew = true;
    }
    bool alive = false;
    for (const auto& p : processes) {
      if (p.pid == root || members.count(p.pid) == 0) continue;
      if (p.state != 'Z') {
        ::kill(p.pid, SIGKILL);
        alive = true;
      }
      if (p.ppid == self) {
        rusage usage{};
        const pid_t reaped = ::wait4(p.pid, nullptr, WNOHANG, &usage);
        if (reaped == 0) alive = true;
        if (reaped == p.pid) reaped_cpu += seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
      }
    }
    // One pass that saw nothing alive is not enough: /proc is listed first and
    // read after, so a member that forked and then died between the two is
    // seen dead while its child was never listed. A second clean pass lists
    // after that death, so it sees the child.
    clean_passes = alive ? 0 : clean_passes + 1;
    if (clean_passes >= 2 || Clock::now() > give_up) return reaped_cpu;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// ---------------------------------------------------------------------------
// The child side, between fork and exec: async-signal-safe calls only, on
// data prepared before the fork (the grader may have other threads).

struct ChildError {
  int error;
  char stage[60];
};

struct ChildPlan {
  std::string exec_path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> argv;  // into args, null-terminated
  std::vector<char*> envp;  // into env, null-terminated
  std::string chdir_to;     // empty under bubblewrap, which does --chdir
  std::vector<std::string> cgroup_procs;  // the cgroups to join; empty: none
  bool drop_privileges = false;
  uid_t uid = 0;  // when drop_privileges; also the gid
  std::vector<std::pair<int, rlim_t>> rlimits;  // soft limits; hard = soft
  rlim_t cpu_soft = 0;
  pid_t parent = 0;

  void seal() {
    argv.clear();
    envp.clear();
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

[[noreturn]] void child_fail(int report_fd, const char* stage) {
  ChildError message{};
  message.error = errno;
  for (std::size_t i = 0; i + 1 < sizeof message.stage && stage[i] != '\0'; ++i) message.stage[i] = stage[i];
  // A single write below PIPE_BUF is atomic; nothing to do if it fails.
  if (::write(report_fd, &message, sizeof message) < 0) ::_exit(127);
  ::_exit(127);
}

// Moves fd to a number >= 10 so that dup2 onto 0..4 cannot clobber a source.
int lift(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 10); }

[[noreturn]] void run_child(const ChildPlan& plan, int in_fd, int out_fd, int err_fd, int res_fd, int report_fd) {
  report_fd = lift(report_fd);
  if (report_fd < 0) ::_exit(127);
  in_fd = lift(in_fd);
  out_fd = lift(out_fd);
  err_fd = lift(err_fd);
  res_fd = lift(res_fd);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 || res_fd < 0) child_fail(report_fd, "set up the pipes");
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0 || ::dup2(res_fd, results_fd) < 0 ||
      ::dup3(report_fd, 4, O_CLOEXEC) < 0)
    child_fail(report_fd, "set up the pipes");
  report_fd = 4;
#ifdef SYS_close_range
  const bool closed = ::syscall(SYS_close_range, 5U, ~0U, 0U) == 0;
#else
  const bool closed = false;
#endif
  if (!closed) {
    struct rlimit files {};
    ::getrlimit(RLIMIT_NOFILE, &files);
    const int top = files.rlim_cur == RLIM_INFINITY ? 65536 : static_cast<int>(std::min<rlim_t>(files.rlim_cur, 1 << 20));
    for (int fd = 5; fd < top; ++fd) ::close(fd);
  }

  // A new session (and process group) so one kill(-pid) reaches everything
  // that did not setsid() again, and no terminal signals reach us.
  if (::setsid() < 0) child_fail(report_fd, "start a new session");
  for (const std::string& procs : plan.cgroup_procs) {
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) child_fail(report_fd, "join the sandbox's cgroups");
    ::close(fd);
  }

  // Signal dispositions set to "ignore" and the blocked mask survive exec.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  for (const auto& [resource, soft] : plan.rlimits) {
    struct rlimit limit {};
    limit.rlim_cur = soft;
    limit.rlim_max = soft;
    // SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
    if (resource == RLIMIT_CPU) limit.rlim_max = soft + 1;
    if (::setrlimit(resource, &limit) != 0) child_fail(report_fd, "set the resource limits");
  }

  if (plan.drop_privileges) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(static_cast<gid_t>(plan.uid)) != 0 || ::setuid(plan.uid) != 0)
      child_fail(report_fd, "switch to an unprivileged uid");
  }
  // Set after the uid change, which clears it; then make sure the grader did
  // not die before it took effect.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() != plan.parent) ::_exit(127);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(report_fd, "set no_new_privs");
  if (!plan.chdir_to.empty() && ::chdir(plan.chdir_to.c_str()) != 0)
    child_fail(report_fd, "enter the scratch directory");
  ::execve(plan.exec_path.c_str(), plan.argv.data(), plan.envp.data());
  child_fail(report_fd, "execute");
}

// ---------------------------------------------------------------------------
// The parent side.

// Writing stdin to a child that closed it raises SIGPIPE, which would kill the
// grader; block it on this thread and swallow what we caused.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_set;
    ::sigemptyset(&pipe_set);
    ::sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_);
    sigset_t pending;
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t pipe_set;
      ::sigemptyset(&pipe_set);
      ::sigaddset(&pipe_set, SIGPIPE);
      const timespec zero{};
      while (::sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_{};
  bool was_pending_ = false;
};

/// One captured output stream.
struct Capture {
  Fd fd;
  std::string* data;
  bool* truncated;
  std::uint64_t* total;
  std::uint64_t cap;

  // Reads what is there (up to 4 MiB); false at EOF or error (the fd is then closed).
  bool pump() {
    static thread_local std::array<char, 1 << 16> buffer;
    // Bounded, so that a writer as fast as we read cannot keep us from the
    // other pipes and from the clock.
    for (int round = 0; round < 64; ++round) {
      const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) {
        fd.reset();
        return false;
      }
      const auto got = static_cast<std::uint64_t>(n);
      *total += got;
      const std::uint64_t room = cap > data->size() ? cap - data->size() : 0;
      const std::uint64_t keep = std::min(room, got);
      data->append(buffer.data(), static_cast<std::size_t>(keep));
      if (keep < got) *truncated = true;
      // A short read means the pipe is empty for now; let poll say when more comes.
      if (got < buffer.size()) return true;
    }
    return true;
  }
};

std::optional<int> open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) return static_cast<int>(fd);
#endif
  (void)pid;
  return std::nullopt;
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  info.si_pid = 0;
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count() + 1;
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// ---------------------------------------------------------------------------
// Request checks and the command line.

void validate(const RunRequest& request) {
  if (request.argv.empty())
    throw GraderError("RunRequest.argv is empty: it must start with the absolute path of the executable");
  if (!fs::path(request.argv[0]).is_absolute())
    throw GraderError("RunRequest.argv[0] must be an absolute path (got \"" + request.argv[0] + "\")");
  std::error_code ec;
  if (request.scratch_dir.empty() || !fs::is_directory(request.scratch_dir, ec))
    throw GraderError("RunRequest.scratch_dir \"" + request.scratch_dir.string() +
                      "\" is not an existing directory; create it before the run");
  for (std::size_t i = 0; i < request.read_only.size(); ++i)
    if (!fs::exists(request.read_only[i], ec))
      throw GraderError("RunRequest.read_only[" + std::to_string(i) + "] \"" + request.read_only[i].string() +
                        "\" does not exist");
  for (std::size_t i = 0; i < request.env.size(); ++i)
    if (request.env[i].find('=') == std::string::npos || request.env[i].front() == '=')
      throw GraderError("RunRequest.env[" + std::to_string(i) + "] must look like KEY=VALUE (got \"" +
                        request.env[i] + "\")");
  const Limits& l = request.limits;
  const auto positive = [](const char* field, double value) {
    if (!(value > 0) || !std::isfinite(value))
      throw GraderError(std::string("RunRequest.limits.") + field + " must be a positive number of seconds (got " +
                        seconds_text(value) + ")");
  };
  positive("cpu_seconds", l.cpu_seconds);
  positive("wall_seconds", l.wall_seconds);
  if (!(l.idle_seconds >= 0) || !std::isfinite(l.idle_seconds))
    throw GraderError("RunRequest.limits.idle_seconds must be 0 (no limit) or a positive number of seconds (got " +
                      seconds_text(l.idle_seconds) + ")");
  const auto at_least = [](const char* field, std::uint64_t value, std::uint64_t minimum) {
    if (value < minimum)
      throw GraderError(std::string("RunRequest.limits.") + field + " must be >= " + std::to_string(minimum) +
                        " (got " + std::to_string(value) + ")");
  };
  at_least("memory_bytes", l.memory_bytes, 1 << 20);
  at_least("file_bytes", l.file_bytes, 1);
  at_least("processes", l.processes, 1);
  // stdin, stdout, stderr and the results channel are open from the start.
  at_least("open_files", l.open_files, 4);
}

// When the child runs as a uid of its own, it must be able to walk down to its
// folders as "others"; a folder under /root would otherwise fail later with a
// vague message.
void check_reachable_by_others(const fs::path& path, const std::string& field) {
  fs::path walked;
  for (const auto& part : fs::absolute(path).parent_path()) {
    walked /= part;
    struct stat info {};
    if (::stat(walked.c_str(), &info) == 0 && (info.st_mode & S_IXOTH) == 0)
      throw GraderError(field + " \"" + path.string() + "\" is not reachable by the unprivileged uid that runs " +
                        "the child because the grader runs as root: folder \"" + walked.string() +
                        "\" lacks o+x; use a folder under /tmp or chmod o+x its parents");
  }
}

// Root's child runs as a uid of its own, so its scratch dir is lent to that
// uid (chown of the folder itself) for the run. Afterwards the folder gets its
// owner back and whatever the child created there becomes the grader's, so no
// file of a vanished uid stays behind and a wrongly given folder is not left
// changed. A shared sticky folder such as /tmp is writable already and is not
// touched (what the child creates there stays its uid's). The child can create, rename and delete entries in the folder but
// cannot rewrite the grader's files in place.
class ScratchLoan {
 public:
  ScratchLoan(const fs::path& scratch, uid_t uid) : scratch_(scratch), uid_(uid) {
    struct stat info {};
    if (::stat(scratch_.c_str(), &info) != 0)
      throw GraderError("RunRequest.scratch_dir \"" + scratch_.string() + "\": " + errno_text(errno));
    if ((info.st_mode & S_ISVTX) != 0 && (info.st_mode & S_IWOTH) != 0) return;
    if (::chown(scratch_.c_str(), uid_, static_cast<gid_t>(uid_)) != 0)
      throw GraderError("RunRequest.scratch_dir \"" + scratch_.string() +
                        "\" cannot be lent to the sandbox's uid (chown): " + errno_text(errno));
    lent_ = true;
    old_uid_ = info.st_uid;
    old_gid_ = info.st_gid;
  }
  ScratchLoan(const ScratchLoan&) = delete;
  ScratchLoan& operator=(const ScratchLoan&) = delete;
  ~ScratchLoan() {
    // Every process of the run is dead by now: nothing can swap entries under
    // us. A sticky folder is not walked: it may be as large as the host's /tmp.
    if (!lent_) return;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(scratch_, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      struct stat entry {};
      if (::lstat(it->path().c_str(), &entry) == 0 && entry.st_uid == uid_)
        if (::lchown(it->path().c_str(), ::geteuid(), ::getegid()) != 0) continue;
    }
    if (::chown(scratch_.c_str(), old_uid_, old_gid_) != 0) return;
  }

 private:
  fs::path scratch_;
  uid_t uid_;
  bool lent_ = false;
  uid_t old_uid_ = 0;
  gid_t old_gid_ = 0;
};

std::vector<std::string> bubblewrap_args(const RunRequest& request, const fs::path& scratch) {
  std::vector<std::string> args = {bwrap_path, "--unshare-all", "--unshare-user", "--disable-userns",
                                   "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"};
  // Merged-/usr systems have these as symlinks into /usr; older ones as folders.
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    struct stat info {};
    if (::lstat(top, &info) != 0) continue;
    if (S_ISLNK(info.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(top, ec);
      if (!ec) args.insert(args.end(), {"--symlink", target.string(), top});
    } else if (S_ISDIR(info.st_mode)) {
      args.insert(args.end(), {"--ro-bind", top, top});
    }
  }
  // What the dynamic loader (and the alternatives of BLAS and friends) needs.
  for (const char* etc : {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
                          "/etc/localtime"})
    args.insert(args.end(), {"--ro-bind-try", etc, etc});
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--size",
                           std::to_string(request.limits.file_bytes), "--tmpfs", "/tmp"});
  for (const auto& path : request.read_only) {
    const std::string p = fs::absolute(path).string();
    args.insert(args.end(), {"--ro-bind", p, p});
  }
  // The scratch dir after the read-only paths, so it stays writable even when
  // it lies inside one of them; the executable last, read-only.
  if (request.private_scratch) {
    args.insert(args.end(), {"--size", std::to_string(request.limits.file_bytes), "--tmpfs", scratch.string()});
  } else {
    args.insert(args.end(), {"--bind", scratch.string(), scratch.string()});
  }
  args.insert(args.end(), {"--ro-bind", request.argv[0], request.argv[0]});
  // The sandbox's root is a tmpfs holding the mount points; read-only, so that
  // only the scratch dir and /tmp take writes.
  args.insert(args.end(), {"--remount-ro", "/", "--chdir", scratch.string(), "--clearenv"});
  for (const auto& entry : request.env) {
    const auto equals = entry.find('=');
    args.insert(args.end(), {"--setenv", entry.substr(0, equals), entry.substr(equals + 1)});
  }
  args.push_back("--");
  args.insert(args.end(), request.argv.begin(), request.argv.end());
  return args;
}

RunOutcome start_failed(RunOutcome outcome, std::string why) {
  outcome.termination = Termination::start_failed;
  outcome.error = std::move(why);
  return outcome;
}

// What a memory cgroup allows the whole run: the child's address space, the
// tmpfs mounts bubblewrap gives it (their pages are charged to the run) and a
// little for bwrap itself. One process alone meets RLIMIT_AS first, so the cap
// binds only runs of several processes (a fork bomb of memory bombs).
std::uint64_t memory_cap(const Limits& limits, bool bubblewrap) {
  const std::uint64_t tmpfs = bubblewrap ? 2 * limits.file_bytes : 0;  // /tmp and a private scratch
  return limits.memory_bytes + tmpfs + memory_slack;
}

// Without bubblewrap, a child of its own uid can still create files in the
// host's shared folders (/tmp, /dev/shm, ...) and System V IPC objects, which
// outlive it. Its processes are all dead now: remove what belongs to its uid.
void remove_leftovers_of(uid_t uid) {
  for (const char* dir : shared_writable_dirs) {
    DIR* listing = ::opendir(dir);
    if (listing == nullptr) continue;
    std::vector<fs::path> doomed;
    while (const dirent* item = ::readdir(listing)) {
      const std::string name = item->d_name;
      if (name == "." || name == "..") continue;
      const fs::path path = fs::path(dir) / name;
      struct stat info {};
      if (::lstat(path.c_str(), &info) == 0 && info.st_uid == uid) doomed.push_back(path);
    }
    ::closedir(listing);
    std::error_code ec;
    for (const fs::path& path : doomed) fs::remove_all(path, ec);  // never follows a symlink
  }
  // /proc/sysvipc/{shm,msg,sem}: the owner's uid is a column of each line.
  const struct {
    const char* file;
    std::size_t uid_column;
    int (*remove)(int id);
  } ipc_kinds[] = {
      {"/proc/sysvipc/shm", 7, [](int id) { return ::shmctl(id, IPC_RMID, nullptr); }},
      {"/proc/sysvipc/msg", 7, [](int id) { return ::msgctl(id, IPC_RMID, nullptr); }},
      {"/proc/sysvipc/sem", 4, [](int id) { return ::semctl(id, 0, IPC_RMID); }},
  };
  for (const auto& kind : ipc_kinds) {
    std::istringstream lines(read_small_file(kind.file).value_or(""));
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::vector<std::string> column;
      for (std::string field; fields >> field;) column.push_back(field);
      if (column.size() <= kind.uid_column) continue;
      if (std::strtoul(column[kind.uid_column].c_str(), nullptr, 10) == uid) kind.remove(std::atoi(column[1].c_str()));
    }
  }
}

// The run itself; use_bubblewrap is already decided.
RunOutcome run_checked(const RunRequest& request, bool use_bubblewrap) {
  RunOutcome outcome;
  outcome.limits = request.limits;
  outcome.bubblewrap = use_bubblewrap;
  const Limits& limits = request.limits;

  const std::string& exe = request.argv[0];
  struct stat exe_info {};
  if (::stat(exe.c_str(), &exe_info) != 0)
    return start_failed(outcome, "cannot run \"" + exe + "\": " + errno_text(errno));
  if (!S_ISREG(exe_info.st_mode)) return start_failed(outcome, "cannot run \"" + exe + "\": not a regular file");

  const fs::path scratch = fs::absolute(request.scratch_dir);
  const bool drop_privileges = ::geteuid() == 0;
  const uid_t child_uid = drop_privileges ? pick_run_uid() : ::getuid();
  std::optional<ScratchLoan> scratch_loan;
  if (drop_privileges) {
    check_reachable_by_others(scratch, "RunRequest.scratch_dir");
    for (std::size_t i = 0; i < request.read_only.size(); ++i)
      check_reachable_by_others(request.read_only[i], "RunRequest.read_only[" + std::to_string(i) + "]");
    scratch_loan.emplace(scratch, child_uid);
  }

  const std::uint64_t extra_tasks = use_bubblewrap ? bwrap_extra_tasks : 0;
  std::unique_ptr<RunCgroups> cgroup;
  if (request.pids_cgroup) cgroup = RunCgroups::create(limits.processes + extra_tasks, memory_cap(limits, use_bubblewrap));
  // Always: bwrap's monitor exits before reaping the pid-1 of its namespace,
  // whose CPU time (with the child's) we only get by reaping it ourselves.
  become_subreaper();

  ChildPlan plan;
  plan.parent = ::getpid();
  plan.drop_privileges = drop_privileges;
  plan.uid = child_uid;
  if (cgroup) plan.cgroup_procs = cgroup->procs_files();
  if (use_bubblewrap) {
    plan.exec_path = bwrap_path;
    plan.args = bubblewrap_args(request, scratch);
  } else {
    plan.exec_path = exe;
    plan.args = request.argv;
    // bwrap always sets PWD to the working dir; do the same so that both
    // modes give the child one environment.
    for (const auto& entry : request.env)
      if (entry.rfind("PWD=", 0) != 0) plan.env.push_back(entry);
    plan.env.push_back("PWD=" + scratch.string());
    plan.chdir_to = scratch.string();
  }
  plan.seal();
  // RLIMIT_NPROC counts every process of the uid, not only ours.
  const auto nproc = static_cast<rlim_t>(limits.processes + extra_tasks + count_processes_of(child_uid));
  plan.cpu_soft = static_cast<rlim_t>(std::ceil(limits.cpu_seconds));
  plan.rlimits = {{RLIMIT_CPU, plan.cpu_soft},
                  {RLIMIT_AS, static_cast<rlim_t>(limits.memory_bytes)},
                  {RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_bytes)},
                  {RLIMIT_NOFILE, static_cast<rlim_t>(limits.open_files)},
                  {RLIMIT_CORE, 0},
                  {RLIMIT_NPROC, nproc}};

  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe(), res = make_pipe(), report = make_pipe();
  // Fewer wakeups for a flood; the kernel may refuse, which only costs speed.
  for (const Pipe* p : {&out, &err, &res}) ::fcntl(p->read.get(), F_SETPIPE_SZ, 1 << 20);

  const SigpipeBlock sigpipe_block;
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return start_failed(outcome, "cannot fork: " + errno_text(errno));
  if (pid == 0) run_child(plan, in.read.get(), out.write.get(), err.write.get(), res.write.get(), report.write.get());
  const LiveRoot live_root(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  res.write.reset();
  report.write.reset();

  StrayRule strays;
  strays.by_uid = drop_privileges;
  strays.uid = child_uid;
  strays.grader_session = ::getsid(0);

  // EOF on the report pipe means exec succeeded (it is close-on-exec).
  ChildError child_error{};
  ssize_t got = 0;
  do {
    got = ::read(report.read.get(), &child_error, sizeof child_error);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    kill_sandbox(pid, cgroup.get(), strays);
    ::waitpid(pid, nullptr, 0);
    std::string stage(child_error.stage, strnlen(child_error.stage, sizeof child_error.stage));
    std::string why = stage == "execute" ? "cannot execute \"" + exe + "\""
                                         : "cannot " + stage + " to run \"" + exe + "\"";
    why += ": " + errno_text(child_error.error);
    if (drop_privileges && child_error.error == EACCES)
      why += " (the child runs as an unprivileged uid: the file needs o+rx and its folders o+x)";
    return start_failed(outcome, why);
  }

  std::array<Capture, 3> captures = {
      Capture{std::move(out.read), &outcome.out, &outcome.out_truncated, &outcome.out_total, limits.output_bytes},
      Capture{std::move(err.read), &outcome.err, &outcome.err_truncated, &outcome.err_total, limits.output_bytes},
      Capture{std::move(res.read), &outcome.results, &outcome.results_truncated, &outcome.results_total,
              limits.output_bytes}};
  for (auto& c : captures) set_nonblocking(c.fd.get());
  Fd stdin_fd = std::move(in.write);
  std::size_t stdin_written = 0;
  if (request.stdin_data.empty()) stdin_fd.reset();
  if (stdin_fd) set_nonblocking(stdin_fd.get());
  Fd pidfd;
  if (const auto opened = open_pidfd(pid)) pidfd.reset(*opened);

  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(limits.wall_seconds));
  const auto idle = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.idle_seconds));
  auto last_result = start;  // when the results channel last received something
  std::uint64_t results_seen = 0;
  bool timed_out = false, went_idle = false;
  for (;;) {
    if (has_exited(pid)) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    if (limits.idle_seconds > 0 && now >= last_result + idle) {
      went_idle = true;
      break;
    }
    std::vector<pollfd> polled;
    for (const auto& c : captures)
      if (c.fd) polled.push_back({c.fd.get(), POLLIN, 0});
    if (stdin_fd) polled.push_back({stdin_fd.get(), POLLOUT, 0});
    if (pidfd) polled.push_back({pidfd.get(), POLLIN, 0});
    int timeout = milliseconds_until(deadline);
    if (limits.idle_seconds > 0) timeout = std::min(timeout, milliseconds_until(last_result + idle));
    // Without a pidfd nothing wakes us when the child exits with its pipes
    // still held open by a descendant; check its state every 10 ms.
    if (!pidfd) timeout = std::min(timeout, 10);
    if (::poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (auto& c : captures)
      if (c.fd) c.pump();
    if (outcome.results_total != results_seen) {
      results_seen = outcome.results_total;
      last_result = Clock::now();
    }
    while (stdin_fd && stdin_written < request.stdin_data.size()) {
      const ssize_t n = ::write(stdin_fd.get(), request.stdin_data.data() + stdin_written,
                                request.stdin_data.size() - stdin_written);
      if (n > 0) {
        stdin_written += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) stdin_fd.reset();  // EPIPE: the child closed it
        break;
      }
    }
    if (stdin_fd && stdin_written == request.stdin_data.size()) stdin_fd.reset();
  }
  const auto end = Clock::now();
  stdin_fd.reset();

  const double descendants_cpu = kill_sandbox(pid, cgroup.get(), strays);
  if (drop_privileges && !use_bubblewrap) remove_leftovers_of(child_uid);
  // Every writer is dead: the pipes hold what was written and then EOF.
  const auto drain_deadline = Clock::now() + drain_grace;
  for (;;) {
    std::vector<pollfd> polled;
    for (const auto& c : captures)
      if (c.fd) polled.push_back({c.fd.get(), POLLIN, 0});
    if (polled.empty() || Clock::now() >= drain_deadline) break;
    ::poll(polled.data(), polled.size(), milliseconds_until(drain_deadline));
    for (auto& c : captures)
      if (c.fd) c.pump();
  }

  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  outcome.wall_seconds = std::chrono::duration<double>(end - start).count();
  outcome.cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime) + descendants_cpu;

  if (timed_out || went_idle) {
    outcome.termination = timed_out ? Termination::wall_limit : Termination::idle_limit;
    return outcome;
  }
  // The kernel killed a process of the run for the cgroup's memory cap; the
  // child died of it (or bwrap says so with 128 + SIGKILL).
  const bool killed = WIFSIGNALED(status) || (use_bubblewrap && WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL);
  if (killed && cgroup && cgroup->out_of_memory()) {
    outcome.termination = Termination::memory_limit;
    outcome.signal = SIGKILL;
    return outcome;
  }
  int sig = 0;
  if (WIFSIGNALED(status)) {
    sig = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    // bwrap reports its own failures (a bind, the exec) as exit code 1 with a
    // "bwrap: " message, and the child's death by signal N as exit code 128+N.
    if (use_bubblewrap && code == 1 && outcome.err.rfind("bwrap: ", 0) == 0) {
      return start_failed(outcome, outcome.err.substr(0, outcome.err.find('\n')));
    }
    if (use_bubblewrap && code > 128 && code < 128 + NSIG) {
      sig = code - 128;
    } else {
      outcome.termination = Termination::exited;
      outcome.exit_code = code;
      return outcome;
    }
  }
  outcome.signal = sig;
  const bool over_cpu = static_cast<double>(plan.cpu_soft) - outcome.cpu_seconds < 0.05;
  outcome.termination =
      sig == SIGXCPU || (sig == SIGKILL && over_cpu) ? Termination::cpu_limit : Termination::signaled;
  return outcome;
}

}  // namespace

std::string seconds_text(double seconds) {
  std::ostringstream out;
  out << seconds;
  return out.str();
}

std::string signal_description(int signal) {
  switch (signal) {
    case SIGSEGV: return "segmentation fault";
    case SIGABRT: return "abort";
    case SIGFPE: return "floating-point exception";
    case SIGBUS: return "bus error";
    case SIGILL: return "illegal instruction";
    case SIGKILL: return "killed";
    case SIGTERM: return "terminated";
    case SIGPIPE: return "broken pipe";
    case SIGXCPU: return "CPU time limit exceeded";
    case SIGXFSZ: return "file size limit exceeded";
    case SIGTRAP: return "trace trap";
    case SIGSYS: return "bad system call";
    case SIGHUP: return "hangup";
    case SIGINT: return "interrupt";
    case SIGQUIT: return "quit";
    case SIGALRM: return "alarm clock";
    case SIGUSR1: return "user signal 1";
    case SIGUSR2: return "user signal 2";
    default: break;
  }
  const char* name = ::strsignal(signal);
  return name != nullptr ? name : "unknown signal";
}

std::string RunOutcome::describe() const {
  switch (termination) {
    case Termination::exited:
      return exit_code == 0 ? "exited normally (code 0)" : "exited with code " + std::to_string(exit_code);
    case Termination::signaled: {
      std::string text =
          "was killed by signal " + std::to_string(signal) + " (" + signal_description(signal) + ")";
      if (signal == SIGSEGV || signal == SIGBUS)
        text += ": an invalid memory access, such as a null or dangling pointer, an index out of range, or "
                "unbounded recursion overflowing the stack";
      if (signal == SIGFPE) text += ", e.g. an integer division by zero";
      if (signal == SIGABRT)
        text += ", e.g. a failed assertion, an uncaught exception or one thrown out of a destructor";
      if (signal == SIGXFSZ) text += ": it wrote a file larger than " + std::to_string(limits.file_bytes) + " bytes";
      return text;
    }
    case Termination::cpu_limit:
      return "ran out of time: used more than " + seconds_text(limits.cpu_seconds) + " s of CPU time";
    case Termination::wall_limit:
      return "ran out of time: killed after " + seconds_text(limits.wall_seconds) + " s of wall-clock time";
    case Termination::idle_limit:
      return "ran out of time: killed after " + seconds_text(limits.idle_seconds) +
             " s of wall-clock time without a result";
    case Termination::memory_limit:
      return "ran out of memory: its processes together used more than " +
             std::to_string(memory_cap(limits, bubblewrap) >> 20) + " MiB";
    case Termination::start_failed: return "could not be started: " + error;
  }
  return "ended in an unknown way";
}

RunOutcome run_sandboxed(const RunRequest& request) {
  validate(request);
  bool use_bubblewrap = false;
  switch (request.mode) {
    case SandboxMode::automatic: use_bubblewrap = bubblewrap_usable(); break;
    case SandboxMode::bubblewrap:
      if (!bubblewrap_usable())
        throw GraderError(std::string("RunRequest.mode is bubblewrap, but ") + bwrap_path +
                          " is missing or cannot create a sandbox here (user namespaces disabled?); "
                          "use SandboxMode::automatic to fall back to rlimits_only");
      use_bubblewrap = true;
      break;
    case SandboxMode::rlimits_only: use_bubblewrap = false; break;
  }
  return run_checked(request, use_bubblewrap);
}

bool bubblewrap_usable() {
  static const bool usable = [] {
    if (::access(bwrap_path, X_OK) != 0) return false;
    const char* probe = ::access("/usr/bin/true", X_OK) == 0 ? "/usr/bin/true" : "/bin/true";
    char scratch[] = "/tmp/adc-bwrap-probe-XXXXXX";
    if (::mkdtemp(scratch) == nullptr) return false;
    RunRequest request;
    request.argv = {probe};
    request.scratch_dir = scratch;
    request.limits.wall_seconds = 10;
    bool ok = false;
    try {
      const RunOutcome outcome = run_checked(request, true);
      ok = outcome.termination == Termination::exited && outcome.exit_code == 0;
    } catch (const GraderError&) {
      ok = false;
    }
    std::error_code ec;
    fs::remove_all(scratch, ec);
    return ok;
  }();
  return usable;
}

}  // namespace grader
