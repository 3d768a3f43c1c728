#pragma once
/// \file What the grader and a probe say to each other.
///
/// The grader writes one Request (JSON) to the probe's stdin. The probe runs
/// the tasks from `start` on, and after each one writes one line to the
/// results channel (file descriptor 3, apart from stdout and stderr):
///
///     T <task> OK <count> <value> <value> …      values as C99 hex floats (exact)
///     T <task> ERR <category> <message>            message on one line
///     END
///
/// Lines are written and flushed one by one, so when the submission crashes in
/// task k the grader still has the replies of the tasks before it and starts a
/// new probe at k + 1. The grader parses the channel strictly: anything else
/// is reported as unparsable output. Only numbers cross this boundary; the
/// verdict is computed by the grader.
///
/// This header is compiled into the probe support library, which is linked into
/// every probe: it must not include any ad/ header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace grader::protocol {

/// What a probe task asks of the submission.
enum class TaskKind {
  forward_gradient,  ///< f(point) and ∇f by forward mode (one Dual pass per input)
  reverse_gradient,  ///< f(point) and ∇f by reverse mode, twice on the same tape (reset check)
  jacobian_forward,  ///< the Jacobian of the functions by ad::jacobian_forward
  jacobian_reverse,  ///< the Jacobian of the functions by ad::jacobian_reverse
  vjp_add,           ///< vjp_add into prefilled outputs
  vjp_scale,         ///< vjp_scale_a and vjp_scale_x (prefilled)
  vjp_matmul,        ///< vjp_matmul_x and vjp_matmul_w (prefilled)
  network_gradient,  ///< ad::gradient of the two-layer network
  network_step,      ///< ad::sgd_step with ad::gradient, `steps` times
  timing,            ///< time the submission beside the reference on growing graphs (grader/timing.hpp)
};

/// "forward_gradient", … (the names above).
const char* to_string(TaskKind kind);

/// A matrix as it crosses the boundary: shape and row-major values.
struct MatrixData {
  std::size_t rows = 0;        ///< number of rows
  std::size_t cols = 0;        ///< number of columns
  std::vector<double> values;  ///< rows·cols entries, row-major
};

/// What a timing task times (TaskKind::timing; see grader/timing.hpp).
struct TimingData {
  std::string method = "gradient";  ///< grader::timing::Method name: gradient, forward, reverse, …
  std::string graph = "chain";      ///< "chain" (sizes are input widths) or "diamonds" (sizes are depths)
  std::vector<std::size_t> sizes;   ///< in the order measured (ascending)
  std::size_t width = 8;            ///< chain: interior width
  std::size_t layers = 4;           ///< chain: number of layers
  std::size_t outputs = 1;          ///< chain: output width
  std::uint64_t seed = 1;           ///< chain: the weights follow from it
  int repeats = 5;                  ///< timed batches per size and implementation (their median counts)
  double batch_seconds = 0.002;     ///< CPU time one batch aims at
  double budget_seconds = 1.0;      ///< wall time after which the measurement stops
  /// Wall time the submission's first call (one evaluation at the first size,
  /// which the reference does in microseconds) may take before the
  /// measurement stops; 0: only the budget. A loop ends in this, not the budget.
  double first_call_seconds = 0.0;
};

/// One task: one evaluation of the submission.
struct Task {
  TaskKind kind = TaskKind::forward_gradient;
  std::vector<std::string> functions;  ///< expressions (gradient and Jacobian tasks)
  std::vector<std::string> variables;  ///< their variable names (empty: x1, x2, …)
  std::vector<double> point;           ///< where to differentiate
  std::vector<MatrixData> matrices;    ///< tensor inputs, in the order the kind defines
  std::vector<double> scalars;         ///< scalar inputs, in the order the kind defines
  int steps = 1;                       ///< network_step: how many steps
  TimingData timing;                   ///< timing: what to time
};

/// Everything one probe run does.
struct Request {
  std::size_t start = 0;    ///< first task to run (a restart after a crash skips the ones done)
  std::vector<Task> tasks;  ///< in order
  /// CPU time one task may take (a timing task: on top of its budget); 0: no
  /// limit. The probe stops itself past it and replies kCheckCpuLimit for the
  /// task (a fast path: the grader's wall-clock check limit stays the bound).
  double check_cpu_seconds = 0;
};

/// The category of the reply the probe gives, and then exits, when a task
/// used more than Request::check_cpu_seconds of CPU time.
inline constexpr const char* kCheckCpuLimit = "check_cpu_limit";

/// The CPU time task `t` of `request` may take: check_cpu_seconds, a timing
/// task's budget on top; 0 when the request sets no limit.
inline double task_cpu_limit(const Request& request, const Task& t) {
  if (!(request.check_cpu_seconds > 0)) return 0.0;
  return request.check_cpu_seconds + (t.kind == TaskKind::timing ? t.timing.budget_seconds : 0.0);
}

/// The request as JSON text.
std::string encode_request(const Request& request);
/// Parses a request; throws std::runtime_error on malformed text.
Request decode_request(const std::string& text);

/// "T <task> OK <count> <hex floats>\n".
std::string encode_ok(std::size_t task, const std::vector<double>& values);
/// "T <task> ERR <category> <message>\n" (newlines in the message become spaces).
std::string encode_error(std::size_t task, const std::string& category, const std::string& message);
/// "END\n": the probe finished every task.
std::string encode_end();

/// One reply of the probe.
struct Reply {
  std::size_t task = 0;         ///< which task
  bool ok = false;              ///< values, or an error
  std::vector<double> values;   ///< when ok
  std::string category;         ///< when not ok: not_implemented, shape_error, out_of_memory, exception, unknown_exception
  std::string message;          ///< when not ok: the exception's what()
};

/// What a results channel said.
struct Channel {
  std::vector<Reply> replies;   ///< complete, well-formed replies in order
  bool ended = false;           ///< an END line came
  std::string problem;          ///< the first malformed line, described; empty when all was well-formed
};

/// Parses a results channel strictly: replies must have increasing task numbers, counts must match.
Channel decode_channel(const std::string& text);

}  // namespace grader::protocol
