// The probe: compiled with each submission's own headers and sources, run by
// the grader in a sandbox. It reads a protocol::Request on stdin, runs each
// task through the submission's AD types and reports the raw numbers on the
// results channel (inherited as fd 3). It judges nothing: the verdict is the
// grader's.
//
// What a submission can and cannot do to the channel: its code runs in this
// process, so nothing here can hide the channel from code that looks for it
// (/proc/self/fd, or the probe's own memory). The probe only keeps honest
// mistakes and naive attacks off it: before any static initializer of the
// submission runs, the channel moves to a descriptor picked at random and
// marked close-on-exec, and fd 3 is closed, so a stray write(3, ...) or
// close(3), a file the submission opens, or a program it starts never reaches
// the channel. What a determined submission writes there is parsed strictly
// by the grader and can at most make its own checks fail: replies must come in
// order, for the tasks of this run, and only numbers cross, which the grader
// judges against its own oracles; a forged END does not skip a task.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ad/dual.hpp"
#include "ad/error.hpp"
#include "ad/jacobian.hpp"
#include "ad/network.hpp"
#include "ad/tape.hpp"
#include "ad/tensor.hpp"
#include "grader/expr.hpp"
#include "grader/protocol.hpp"
#include "probe_timing.hpp"  // TaskKind::timing: the submission timed beside the reference

namespace {

using grader::protocol::MatrixData;
using grader::protocol::Task;
using grader::protocol::TaskKind;

/// Where the results channel is; see hide_channel.
int channel_fd = 3;
/// The grader's request (stdin), read by take_request_and_channel. A pointer,
/// constant-initialized, so that no later dynamic initialization resets it.
std::string* request_text = nullptr;

/// Moves the results channel from fd 3 to a random descriptor in the upper
/// half of what RLIMIT_NOFILE allows (close-on-exec) and closes fd 3.
void hide_channel() {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  const long top = files.rlim_cur == RLIM_INFINITY ? 1024 : static_cast<long>(std::min<rlim_t>(files.rlim_cur, 1024));
  unsigned pick = 0;
  if (::getrandom(&pick, sizeof pick, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof pick))
    pick = static_cast<unsigned>(::getpid());
  const long low = std::max(10L, top / 2);
  long target = top > low ? low + static_cast<long>(pick % static_cast<unsigned>(top - low)) : 10;
  int moved = ::fcntl(3, F_DUPFD_CLOEXEC, static_cast<int>(target));
  if (moved < 0) moved = ::fcntl(3, F_DUPFD_CLOEXEC, 10);
  if (moved < 0) return;  // no channel, or no room: keep fd 3 (the grader sees what it gets)
  ::close(3);
  channel_fd = moved;
}

/// Runs before the submission's static initializers (priority constructors
/// run before every unprioritized one): hides the channel, and reads the whole
/// request, so that a submission reading stdin (even before main) gets EOF
/// instead of the grader's tasks.
__attribute__((constructor(101))) void take_request_and_channel() {
  hide_channel();
  request_text = new std::string;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(0, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    request_text->append(buffer, static_cast<std::size_t>(n));
  }
}

/// Thrown by the probe's own checks on what the submission returned.
struct BadResult : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void write_all(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(120);  // the grader closed the channel: nothing left to report to
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

ad::Matrix to_matrix(const MatrixData& m) { return ad::Matrix(m.rows, m.cols, m.values); }

void append(std::vector<double>& out, const ad::Matrix& m) { out.insert(out.end(), m.values().begin(), m.values().end()); }

void expect_shape(const ad::Matrix& m, const MatrixData& like, const char* what) {
  if (m.rows() != like.rows || m.cols() != like.cols)
    throw BadResult(std::string(what) + " has shape " + std::to_string(m.rows()) + "x" + std::to_string(m.cols()) +
                    ", expected " + std::to_string(like.rows) + "x" + std::to_string(like.cols));
}

std::vector<grader::Expression> parse_all(const Task& t) {
  std::vector<grader::Expression> fs;
  std::vector<std::string> names = t.variables;
  if (names.empty())
    for (std::size_t i = 0; i < t.point.size(); ++i) names.push_back("x" + std::to_string(i + 1));
  for (const std::string& text : t.functions) fs.push_back(grader::Expression::parse(text, names));
  return fs;
}

std::vector<double> forward_gradient(const Task& t) {
  const grader::Expression f = parse_all(t).at(0);
  const std::size_t n = t.point.size();
  std::vector<double> out(1 + n);
  std::vector<ad::Dual> x(n);
  const auto constant = [](double c) { return ad::Dual(c); };
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t i = 0; i < n; ++i) x[i] = ad::Dual(t.point[i], i == j ? 1.0 : 0.0);
    const ad::Dual y = f.evaluate(x, constant);
    if (j == 0) out[0] = y.value;
    out[1 + j] = y.tangent;
  }
  if (n == 0) out[0] = f.evaluate(x, constant).value;
  return out;
}

std::vector<double> reverse_gradient(const Task& t) {
  const grader::Expression f = parse_all(t).at(0);
  const std::size_t n = t.point.size();
  ad::Tape tape;
  const auto record = [&](std::vector<ad::Var>& x) {
    x.clear();
    for (double v : t.point) x.push_back(tape.variable(v));
    return f.evaluate(x, [&](double c) { return tape.variable(c); });
  };
  std::vector<ad::Var> x;
  std::vector<double> out;
  out.reserve(1 + 3 * n);
  // Three sweeps: the gradient; the same output swept again (adjoints must be
  // reset, not accumulated); and after clear() and recording again.
  ad::Var y = record(x);
  out.push_back(y.value());
  tape.backward(y);
  for (const ad::Var& xi : x) out.push_back(tape.adjoint(xi));
  tape.backward(y);
  for (const ad::Var& xi : x) out.push_back(tape.adjoint(xi));
  tape.clear();
  y = record(x);
  tape.backward(y);
  for (const ad::Var& xi : x) out.push_back(tape.adjoint(xi));
  return out;
}

std::vector<double> jacobian(const Task& t, bool forward) {
  const std::vector<grader::Expression> fs = parse_all(t);
  const auto f = [&](const auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    std::vector<T> y;
    for (const grader::Expression& e : fs) {
      if constexpr (std::is_same_v<T, ad::Var>) {
        y.push_back(e.evaluate(x, [&](double c) { return x.at(0).tape()->variable(c); }));
      } else {
        y.push_back(e.evaluate(x, [](double c) { return T(c); }));
      }
    }
    return y;
  };
  const ad::Matrix j = forward ? ad::jacobian_forward(f, t.point) : ad::jacobian_reverse(f, t.point);
  if (j.rows() != fs.size() || j.cols() != t.point.size())
    throw BadResult("the Jacobian has shape " + std::to_string(j.rows()) + "x" + std::to_string(j.cols()) +
                    ", expected " + std::to_string(fs.size()) + "x" + std::to_string(t.point.size()));
  return j.values();
}

std::vector<double> vjp_add(const Task& t) {
  const ad::Matrix dz = to_matrix(t.matrices.at(0));
  ad::Matrix dx = to_matrix(t.matrices.at(1));
  ad::vjp_add(dz, dx);
  return dx.values();
}

std::vector<double> vjp_scale(const Task& t) {
  const ad::Matrix x = to_matrix(t.matrices.at(0));
  const ad::Matrix dz = to_matrix(t.matrices.at(1));
  ad::Matrix dx = to_matrix(t.matrices.at(2));
  std::vector<double> out{ad::vjp_scale_a(x, dz)};
  ad::vjp_scale_x(t.scalars.at(0), dz, dx);
  append(out, dx);
  return out;
}

std::vector<double> vjp_matmul(const Task& t) {
  const ad::Matrix x = to_matrix(t.matrices.at(0));
  const ad::Matrix w = to_matrix(t.matrices.at(1));
  const ad::Matrix dz = to_matrix(t.matrices.at(2));
  ad::Matrix dx = to_matrix(t.matrices.at(3));
  ad::Matrix dw = to_matrix(t.matrices.at(4));
  ad::vjp_matmul_x(w, dz, dx);
  ad::vjp_matmul_w(x, dz, dw);
  std::vector<double> out;
  append(out, dx);
  append(out, dw);
  return out;
}

ad::TwoLayerNet net_of(const Task& t) {
  ad::TwoLayerNet net;
  net.w1 = to_matrix(t.matrices.at(0));
  net.b1 = to_matrix(t.matrices.at(1));
  net.w2 = to_matrix(t.matrices.at(2));
  net.b2 = t.scalars.at(0);
  return net;
}

ad::Dataset data_of(const Task& t) { return ad::Dataset{to_matrix(t.matrices.at(3)), to_matrix(t.matrices.at(4))}; }

/// W1, b1, w2 (checked against the shapes the task gave) and b2, flattened in that order.
std::vector<double> flatten_parameters(const Task& t, const ad::Matrix& w1, const ad::Matrix& b1, const ad::Matrix& w2,
                                       double b2, const std::string& what) {
  expect_shape(w1, t.matrices.at(0), ("W1" + what).c_str());
  expect_shape(b1, t.matrices.at(1), ("b1" + what).c_str());
  expect_shape(w2, t.matrices.at(2), ("w2" + what).c_str());
  std::vector<double> out;
  append(out, w1);
  append(out, b1);
  append(out, w2);
  out.push_back(b2);
  return out;
}

std::vector<double> network_gradient(const Task& t) {
  const ad::NetGradient g = ad::gradient(net_of(t), data_of(t));
  return flatten_parameters(t, g.w1, g.b1, g.w2, g.b2, " (its gradient)");
}

std::vector<double> network_step(const Task& t) {
  ad::TwoLayerNet net = net_of(t);
  const ad::Dataset data = data_of(t);
  for (int s = 0; s < t.steps; ++s) ad::sgd_step(net, ad::gradient(net, data), t.scalars.at(1));
  return flatten_parameters(t, net.w1, net.b1, net.w2, net.b2, " after the step");
}

std::vector<double> run(const Task& t) {
  switch (t.kind) {
    case TaskKind::forward_gradient: return forward_gradient(t);
    case TaskKind::reverse_gradient: return reverse_gradient(t);
    case TaskKind::jacobian_forward: return jacobian(t, true);
    case TaskKind::jacobian_reverse: return jacobian(t, false);
    case TaskKind::vjp_add: return vjp_add(t);
    case TaskKind::vjp_scale: return vjp_scale(t);
    case TaskKind::vjp_matmul: return vjp_matmul(t);
    case TaskKind::network_gradient: return network_gradient(t);
    case TaskKind::network_step: return network_step(t);
    case TaskKind::timing: return timing_task(t);
  }
  throw std::logic_error("unknown task kind");
}

// The CPU-time watchdog of one task. A task that spins longer than the
// request's check_cpu_seconds ends here: SIGPROF (ITIMER_PROF counts this
// process's CPU time) writes the reply prepared before the task, which names
// it, and exits. The state the submission's code left behind cannot be
// trusted, so nothing else runs; the grader starts a new probe for the tasks
// after it. A fast path only: a submission can block or catch SIGPROF, and
// then the grader's wall-clock check limit ends the run, as it ends one that
// sleeps.

/// The reply to write when the timer fires (filled before each task).
char cpu_limit_reply[512];
volatile std::size_t cpu_limit_reply_size = 0;

extern "C" void on_cpu_limit(int) {
  const char* p = cpu_limit_reply;
  std::size_t left = cpu_limit_reply_size;
  while (left > 0) {
    const ssize_t n = ::write(channel_fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::_exit(121);
}

void install_cpu_watchdog() {
  struct sigaction sa {};
  sa.sa_handler = on_cpu_limit;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGPROF, &sa, nullptr);
}

/// Starts (seconds > 0) or stops (0) the watchdog for task `task`.
void arm_cpu_watchdog(std::size_t task, double seconds) {
  itimerval t{};
  if (seconds > 0) {
    const std::string line = grader::protocol::encode_error(
        task, grader::protocol::kCheckCpuLimit, "this check used more than its CPU time limit");
    const std::size_t size = std::min(line.size(), sizeof cpu_limit_reply);
    std::memcpy(cpu_limit_reply, line.data(), size);
    cpu_limit_reply_size = size;
    const long long micros = std::max(1LL, static_cast<long long>(seconds * 1e6));
    t.it_value.tv_sec = static_cast<time_t>(micros / 1000000);
    t.it_value.tv_usec = static_cast<suseconds_t>(micros % 1000000);
  }
  ::setitimer(ITIMER_PROF, &t, nullptr);
}

}  // namespace

int main() {
  const int results_fd = channel_fd;
  const std::string input = request_text != nullptr ? std::move(*request_text) : std::string();
  grader::protocol::Request request;
  try {
    request = grader::protocol::decode_request(input);
  } catch (const std::exception& e) {
    write_all(results_fd, grader::protocol::encode_error(0, "probe_error", e.what()));
    return 2;
  }
  if (request.check_cpu_seconds > 0) install_cpu_watchdog();
  for (std::size_t i = request.start; i < request.tasks.size(); ++i) {
    const grader::protocol::Task& task = request.tasks[i];
    std::string line;
    if (request.check_cpu_seconds > 0) arm_cpu_watchdog(i, grader::protocol::task_cpu_limit(request, task));
    try {
      line = grader::protocol::encode_ok(i, run(task));
    } catch (const ad::NotImplemented& e) {
      line = grader::protocol::encode_error(i, "not_implemented", e.what());
    } catch (const ad::ShapeError& e) {
      line = grader::protocol::encode_error(i, "shape_error", e.what());
    } catch (const BadResult& e) {
      line = grader::protocol::encode_error(i, "bad_result", e.what());
    } catch (const std::bad_alloc&) {
      line = grader::protocol::encode_error(i, "out_of_memory", "ran out of memory (std::bad_alloc)");
    } catch (const std::exception& e) {
      line = grader::protocol::encode_error(i, "exception", e.what());
    } catch (...) {
      line = grader::protocol::encode_error(i, "unknown_exception", "threw something that is not a std::exception");
    }
    if (request.check_cpu_seconds > 0) arm_cpu_watchdog(i, 0);
    write_all(results_fd, line);
  }
  write_all(results_fd, grader::protocol::encode_end());
  return 0;
}
