#pragma once
/// \file Problem specs: problems/<id>.json, parsed and validated.
///
/// The schema is documented in problems/README.md. Loading validates every
/// field: an unknown field, a wrong type or a value out of range throws
/// GraderError naming the file, the field (as a JSON path), the value and the
/// fix, before anything runs.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "grader/result.hpp"

namespace grader {

/// What a problem exercises, which decides how the probe runs its cases.
enum class ProblemKind {
  forward_gradient,  ///< ∇f of expressions by forward mode (Dual)
  reverse_gradient,  ///< ∇f of expressions by reverse mode (Tape), with reset checks
  jacobian,          ///< Jacobians of vector functions by forward and/or reverse mode
  vjp_add,           ///< VJP of vector add
  vjp_scale,         ///< VJPs of scalar-vector multiply
  vjp_matmul,        ///< VJPs of matmul
  network_gradient,  ///< the two-layer network's gradient
  network_step,      ///< gradient-descent steps of the two-layer network
  complexity,        ///< how the cost of forward/reverse mode grows, timed beside the reference
};

/// "forward_gradient", … as written in specs.
std::string to_string(ProblemKind kind);

/// Random trials: `trials` points (or tensor inputs) drawn uniformly from [low, high].
struct RandomTrials {
  int trials = 0;           ///< how many
  std::uint64_t seed = 0;   ///< mixed with the grading seed
  double low = -1.0;        ///< lower bound of every drawn value
  double high = 1.0;        ///< upper bound
};

/// Comparison tolerances against the reference AD, on top of rounding:
/// |got - want| <= absolute + relative·|want| + 8·(the rounding-error bound of want).
/// The bound is derived per number by the judge; these are the floor a spec may add.
struct Tolerance {
  double relative = 1e-12;  ///< relative part: slack for other correct formulas (tight enough to catch finite differences)
  double absolute = 0.0;    ///< absolute part
};

/// Limits of one probe run (one problem, or what is left of it after a crash).
struct ProblemLimits {
  double cpu_seconds = 10.0;         ///< CPU time
  double wall_seconds = 20.0;        ///< wall-clock time
  /// Wall-clock time one check may take (for a timing check: on top of its
  /// measuring budget); the run is killed when no answer comes for this long.
  double check_seconds = 1.0;
  /// CPU time one check may take (a timing check: on top of its budget); the
  /// probe stops itself past it, so that a busy loop ends sooner than the wall
  /// clock check limit. Negative: not given, a quarter of check_seconds.
  double check_cpu_seconds = -1.0;
  /// check_cpu_seconds as it applies.
  double check_cpu() const { return check_cpu_seconds > 0 ? check_cpu_seconds : check_seconds / 4; }
  std::uint64_t memory_mb = 1024;    ///< address space
  std::uint64_t output_kb = 64;      ///< captured stdout and stderr, each
};

/// One case: what is checked and what it is worth.
struct CaseSpec {
  std::string name;                       ///< shown to the student
  double weight = 1.0;                    ///< share of the problem's points (relative to the other cases)
  std::optional<Visibility> visibility;   ///< overrides the problem's
  // gradient and Jacobian kinds
  std::vector<std::string> functions;     ///< one expression (gradient kinds) or several (jacobian)
  std::vector<std::string> variables;     ///< variable names; empty: x1, x2, …
  std::size_t arity = 0;                  ///< number of variables (derived)
  std::vector<std::vector<double>> at;    ///< chosen points
  std::string mode;                       ///< jacobian: "forward", "reverse" or "both"
  std::string kink;                       ///< gradient kinds: the rule expected at a kink ("zero", "left", "right"); empty: no point may sit on one
  // tensor kinds
  std::vector<std::size_t> shape;         ///< vjp_add / vjp_scale: rows, cols
  std::vector<std::size_t> x_shape;       ///< vjp_matmul: X
  std::vector<std::size_t> w_shape;       ///< vjp_matmul: W
  // network kinds
  std::size_t inputs = 0, hidden = 0, samples = 0;  ///< network sizes
  double learning_rate = 0.0;             ///< network_step
  int steps = 1;                          ///< network_step
  // complexity kind (`mode` is "forward" or "reverse")
  std::string graph;                      ///< "chain" (sizes are input widths) or "diamonds" (sizes are depths)
  std::vector<std::size_t> sizes;         ///< ascending, at least two
  std::size_t width = 8;                  ///< chain: interior width
  std::size_t layers = 4;                 ///< chain: number of layers
  std::size_t outputs = 1;                ///< chain: output width (1 for reverse mode: a gradient)
  double max_exponent = 0.5;              ///< largest allowed fitted exponent of (time / reference time) against size
  double budget_seconds = 1.0;            ///< the measurement stops after this much wall time
  int repeats = 5;                        ///< timed batches per size (their median counts)
  std::optional<RandomTrials> random;     ///< random trials (points, tensors, networks)
};

/// One problem: one file of problems/.
struct ProblemSpec {
  std::filesystem::path file;       ///< where it was loaded from
  std::string id;                   ///< equals the file's stem
  std::string title;                ///< shown to students
  int order = 1000;                 ///< problems are listed by order, then id
  double points = 0.0;              ///< what the whole problem is worth
  ProblemKind kind = ProblemKind::forward_gradient;
  std::vector<std::string> exercises;  ///< tags, e.g. "forward-mode"
  std::string description;          ///< optional explanation for students
  Visibility visibility = Visibility::visible;
  Tolerance tolerance;              ///< against the reference AD
  ProblemLimits limits;
  std::vector<CaseSpec> cases;      ///< at least one
};

/// Loads and validates one spec file; throws GraderError naming file, field, value and fix.
ProblemSpec load_problem(const std::filesystem::path& file);
/// Loads every *.json of a folder, sorted by "order", then id.
std::vector<ProblemSpec> load_problems(const std::filesystem::path& dir);

/// One problem of a folder that failed validation.
struct SpecIssue {
  std::filesystem::path file;  ///< the spec file
  std::string message;         ///< what is wrong and how to fix it
};
/// Validates every spec of a folder without stopping at the first bad one (grader validate).
std::vector<SpecIssue> validate_problems(const std::filesystem::path& dir);

/// The visible part of a spec as JSON text (hidden cases and problems removed), for students' copies.
std::optional<std::string> visible_spec_text(const ProblemSpec& spec);

}  // namespace grader
