#pragma once
/// \file What the benchmark and the complexity problems time: one AD computation
/// on a chain graph, behind an interface with plain types only.
///
/// The same template code (grader/probe/ad_workloads.hpp) is compiled once per
/// AD implementation: against the reference for the benchmark, against a
/// submission in its probe, and against the reference with its namespace
/// renamed (grader/src/reference_workloads.cpp) so that the reference and a
/// submission, which both live in namespace `ad`, can be timed side by side in
/// one process. Nothing here includes an ad/ header.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grader::timing {

/// What is computed.
enum class Method {
  primal,          ///< the chain on plain doubles
  forward,         ///< the full Jacobian by ad::jacobian_forward: one Dual pass per input
  forward_vector,  ///< the full Jacobian by vector mode: DualVec<N>, N the next power of two >= n (at most 256)
  reverse,         ///< the full Jacobian by reverse mode: record the chain as scalars, one sweep per output
  reverse_tensor,  ///< the full Jacobian with the chain recorded as tensor nodes, one sweep per output
  gradient,        ///< ad::gradient of output 0 (a fresh tape every time, as a student's code sees it)
  backprop,        ///< hand-written backpropagation of output 0: the limit no tape can beat
};

/// The graph it is computed on.
enum class Graph {
  chain,     ///< ad::Chain with `widths` (tanh layers, weights from `seed`)
  diamonds,  ///< ad::diamond_chain of `depth` on one input
};

/// "primal", "forward", … (the names above).
const char* to_string(Method method);
/// The inverse of to_string(Method); throws std::invalid_argument naming the text.
Method parse_method(const std::string& text);
/// "chain" or "diamonds".
const char* to_string(Graph graph);
/// The inverse of to_string(Graph); throws std::invalid_argument naming the text.
Graph parse_graph(const std::string& text);

/// One computation to time.
struct WorkloadSpec {
  Method method = Method::primal;
  Graph graph = Graph::chain;
  std::vector<std::size_t> widths;  ///< chain: w0 (inputs) … wL (outputs)
  std::uint64_t seed = 1;           ///< chain: the weights follow from it
  std::size_t depth = 0;            ///< diamonds: number of diamonds
  std::vector<double> x;            ///< the point; cycled when the graph has more inputs than it holds
};

/// Number of inputs of the spec's graph.
std::size_t input_count(const WorkloadSpec& spec);
/// The input point: spec.x cycled to input_count(spec) entries (0.5 when spec.x is empty).
std::vector<double> input_point(const WorkloadSpec& spec);

/// A comma-separated list of widths, "1,4,16" → {1, 4, 16}, each from 1 to
/// 4096; throws std::invalid_argument naming the item that is not one (or
/// saying the list is empty). The callers add the option's name and the fix.
std::vector<std::size_t> parse_widths(const std::string& text);

/// A computation set up once (weights drawn, memory reserved) and run many times.
class Workload {
 public:
  virtual ~Workload() = default;
  /// One complete computation (what is timed): e.g. record, sweep and read the Jacobian.
  virtual void run() = 0;
  /// What the last run() computed: the primal outputs, or the Jacobian row-major (m × n).
  virtual std::vector<double> result() const = 0;
};

/// Makes the workload of a spec; throws std::invalid_argument for a spec it cannot run.
using WorkloadFactory = std::unique_ptr<Workload> (*)(const WorkloadSpec&);

/// The reference implementation's workloads, compiled with its namespace renamed
/// and hidden (grader/src/reference_workloads.cpp). Defined in the probe
/// support library only, which every probe links, so that a submission is
/// timed beside the reference; the grader itself uses the reference directly.
std::unique_ptr<Workload> reference_workload(const WorkloadSpec& spec);

}  // namespace grader::timing
