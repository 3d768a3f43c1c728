// Timing a submission beside the reference on growing graphs, in a forked
// child stopped at a budget; the reply layout; exponent fits.
#include "grader/timing.hpp"

#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace grader::timing {

namespace {

constexpr std::size_t header_size = 5;  // stop, stopped_at, signal, seconds, count

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size() / 2;
  return v.size() % 2 == 1 ? v[k] : 0.5 * (v[k - 1] + v[k]);
}

/// A workload and how many calls make one batch of it.
struct Timed {
  Workload* workload = nullptr;
  std::size_t calls = 1;
  std::vector<double> per_call;  ///< one entry per batch

  /// One untimed call (tapes grow to size, caches warm), one timed call to size the batches.
  void calibrate(double batch_seconds) {
    workload->run();
    const double t0 = thread_cpu_seconds();
    workload->run();
    const double one = thread_cpu_seconds() - t0;
    const double wanted = one > 0.0 ? batch_seconds / one : 1e6;
    calls = static_cast<std::size_t>(std::clamp(wanted, 1.0, 1e7));
  }
  void batch() {
    const double t0 = thread_cpu_seconds();
    for (std::size_t k = 0; k < calls; ++k) workload->run();
    per_call.push_back((thread_cpu_seconds() - t0) / static_cast<double>(calls));
  }
};

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

void write_line(int fd, const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(3);  // the parent is gone: nothing left to report to
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > 2000) s = s.substr(0, 2000) + " [...]";
  return s;
}

/// The measurement itself, in the child: a line per finding on `fd`.
///   R <count> <hex>…       the submission's result at the first size
///   M <size> <s> <r> <p>   one size measured
///   E <category> <message> the submission threw; nothing follows
///   D                      done
void measure_into(const protocol::Task& task, WorkloadFactory submission, WorkloadFactory reference,
                  ErrorClassifier classify, int fd) {
  const protocol::TimingData& d = task.timing;
#ifdef __GLIBC__
  // A fresh tape per call (ad::gradient) frees and allocates the same blocks
  // again and again; glibc would hand them back to the kernel each time (heap
  // trimming, mmap for large blocks) and take page faults on the next call, a
  // cost that jumps with the size. Keeping them makes times grow smoothly.
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  ::mallopt(M_MMAP_THRESHOLD, 1 << 30);
#endif
  try {
    for (std::size_t k = 0; k < d.sizes.size(); ++k) {
      const std::size_t size = d.sizes[k];
      const std::unique_ptr<Workload> sw = submission(spec_at(task, size));
      const std::unique_ptr<Workload> rw = reference(spec_at(task, size));
      const std::unique_ptr<Workload> pw = reference(spec_at(task, size, "primal"));
      Timed s{sw.get(), 1, {}}, r{rw.get(), 1, {}}, p{pw.get(), 1, {}};
      if (k == 0) {
        s.workload->run();
        const std::vector<double> result = s.workload->result();
        std::string line = "R " + std::to_string(result.size());
        for (double v : result) line += " " + hex(v);
        write_line(fd, line + "\n");
      }
      s.calibrate(d.batch_seconds);
      r.calibrate(d.batch_seconds);
      p.calibrate(d.batch_seconds);
      // Alternating the order spreads drifts of the machine over all three.
      for (int rep = 0; rep < std::max(1, d.repeats); ++rep) {
        if (rep % 2 == 0) {
          s.batch();
          r.batch();
          p.batch();
        } else {
          p.batch();
          r.batch();
          s.batch();
        }
      }
      write_line(fd, "M " + std::to_string(size) + " " + hex(median(s.per_call)) + " " + hex(median(r.per_call)) +
                         " " + hex(median(p.per_call)) + "\n");
    }
  } catch (...) {
    const MeasureError e = classify(std::current_exception());
    write_line(fd, "E " + one_line(e.category) + " " + one_line(e.message) + "\n");
    return;
  }
  write_line(fd, "D\n");
}

/// Reads what the child wrote; returns false on a malformed line.
bool parse_line(const std::string& line, GrowthMeasurement& out, MeasureError& error, bool& errored, bool& done) {
  std::istringstream in(line);
  std::string tag;
  in >> tag;
  const auto number = [&](double& v) {
    std::string tok;
    if (!(in >> tok)) return false;
    char* end = nullptr;
    v = std::strtod(tok.c_str(), &end);
    return end == tok.c_str() + tok.size();
  };
  if (tag == "R") {
    double count = 0;
    if (!number(count) || count < 0 || count > 1e7) return false;
    out.result.resize(static_cast<std::size_t>(count));
    for (double& v : out.result)
      if (!number(v)) return false;
    return true;
  }
  if (tag == "M") {
    SizeTiming t;
    if (!number(t.size) || !number(t.submission) || !number(t.reference) || !number(t.primal)) return false;
    out.sizes.push_back(t);
    return true;
  }
  if (tag == "E") {
    in >> error.category;
    std::getline(in, error.message);
    if (!error.message.empty() && error.message.front() == ' ') error.message.erase(0, 1);
    errored = true;
    return true;
  }
  if (tag == "D") {
    done = true;
    return true;
  }
  return false;
}

}  // namespace

std::vector<double> encode_growth(const GrowthMeasurement& m) {
  std::vector<double> v = {static_cast<double>(static_cast<int>(m.stop)), m.stopped_at, m.signal, m.seconds,
                           static_cast<double>(m.sizes.size())};
  for (const SizeTiming& t : m.sizes) v.insert(v.end(), {t.size, t.submission, t.reference, t.primal});
  v.insert(v.end(), m.result.begin(), m.result.end());
  return v;
}

GrowthMeasurement decode_growth(const std::vector<double>& v) {
  if (v.size() < header_size) throw std::invalid_argument("a timing reply needs at least 5 numbers");
  GrowthMeasurement m;
  const double stop = v[0];
  if (stop != 0.0 && stop != 1.0 && stop != 2.0 && stop != 3.0)
    throw std::invalid_argument("a timing reply has no valid stop code");
  m.stop = static_cast<Stop>(static_cast<int>(stop));
  m.stopped_at = v[1];
  m.signal = v[2];
  m.seconds = v[3];
  const double count = v[4];
  if (!(count >= 0.0) || count != std::floor(count) || header_size + 4 * count > static_cast<double>(v.size()))
    throw std::invalid_argument("a timing reply's size count does not fit its length");
  std::size_t k = header_size;
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i, k += 4)
    m.sizes.push_back({v[k], v[k + 1], v[k + 2], v[k + 3]});
  m.result.assign(v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return m;
}

WorkloadSpec spec_at(const protocol::Task& task, std::size_t size, const std::string& method) {
  const protocol::TimingData& d = task.timing;
  WorkloadSpec s;
  s.method = parse_method(method.empty() ? d.method : method);
  s.graph = parse_graph(d.graph);
  s.seed = d.seed;
  s.x = task.point;
  if (s.graph == Graph::chain) {
    s.widths.assign(std::max<std::size_t>(d.layers, 1) + 1, d.width);
    s.widths.front() = size;
    s.widths.back() = d.outputs;
  } else {
    s.depth = size;
  }
  return s;
}

double time_per_call(Workload& w, int repeats, double batch_seconds) {
  Timed t{&w, 1, {}};
  t.calibrate(batch_seconds);
  for (int r = 0; r < std::max(1, repeats); ++r) t.batch();
  return median(t.per_call);
}

bool measure_growth(const protocol::Task& task, WorkloadFactory submission, WorkloadFactory reference,
                    ErrorClassifier classify, GrowthMeasurement& out, MeasureError& error) {
  out = GrowthMeasurement{};
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::vector<std::size_t>& sizes = task.timing.sizes;
  const auto size_after = [&](std::size_t measured) {
    return measured < sizes.size() ? static_cast<double>(sizes[measured]) : 0.0;
  };
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("timing: cannot create a pipe");
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("timing: cannot start the measuring process (fork failed)");
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::setpgid(0, 0);  // its own group, so that whatever it starts is stopped with it
    measure_into(task, submission, reference, classify, fds[1]);
    _exit(0);  // not exit(): the parent's buffers and atexit handlers are not the child's
  }
  ::close(fds[1]);
  ::setpgid(pid, pid);
  bool done = false, errored = false, malformed = false, budget_hit = false, first_call_hit = false;
  bool answered = false;  // a line came: the first call ended
  std::string buffer;
  const double budget = task.timing.budget_seconds, first_call = task.timing.first_call_seconds;
  while (!done && !errored && !malformed) {
    const bool first_call_bound = !answered && first_call > 0 && first_call < budget;
    const double left = (first_call_bound ? first_call : budget) - elapsed();
    if (left <= 0) {
      (first_call_bound ? first_call_hit : budget_hit) = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::ceil(std::min(left, 3600.0) * 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline is checked above
    char chunk[4096];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child is gone
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > (64u << 20)) {
      malformed = true;
      break;
    }
    for (std::size_t eol; !done && !errored && (eol = buffer.find('\n')) != std::string::npos;) {
      const std::string line = buffer.substr(0, eol);
      buffer.erase(0, eol + 1);
      if (!parse_line(line, out, error, errored, done)) malformed = true;
      answered = true;
    }
  }
  ::close(fds[0]);
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.seconds = elapsed();
  if (errored) return false;
  if (done && !malformed) {
    out.stop = Stop::completed;
    return true;
  }
  out.stopped_at = size_after(out.sizes.size());
  if (first_call_hit) {
    out.stop = Stop::first_call;
  } else if (budget_hit) {
    out.stop = Stop::budget;
  } else {
    out.stop = Stop::crashed;
    // Killed by us (malformed output) or ended on its own: which signal, if any.
    out.signal = !malformed && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  return true;
}

double fitted_exponent(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    ++n;
  }
  if (n < 2) return 0.0;
  const double nn = static_cast<double>(n);
  const double den = sxx - sx * sx / nn;
  if (!(std::fabs(den) > 1e-12)) return 0.0;
  return (sxy - sx * sy / nn) / den;
}

}  // namespace grader::timing
