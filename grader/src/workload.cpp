// Names of the timed methods and graphs, and the input point of a workload.
#include "grader/workload.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace grader::timing {

namespace {

constexpr Method all_methods[] = {Method::primal,         Method::forward,  Method::forward_vector, Method::reverse,
                                  Method::reverse_tensor, Method::gradient, Method::backprop};

}  // namespace

const char* to_string(Method method) {
  switch (method) {
    case Method::primal: return "primal";
    case Method::forward: return "forward";
    case Method::forward_vector: return "forward_vector";
    case Method::reverse: return "reverse";
    case Method::reverse_tensor: return "reverse_tensor";
    case Method::gradient: return "gradient";
    case Method::backprop: return "backprop";
  }
  return "?";
}

Method parse_method(const std::string& text) {
  for (Method m : all_methods)
    if (text == to_string(m)) return m;
  throw std::invalid_argument("unknown method \"" + text +
                              "\"; use primal, forward, forward_vector, reverse, reverse_tensor, gradient or backprop");
}

const char* to_string(Graph graph) { return graph == Graph::chain ? "chain" : "diamonds"; }

Graph parse_graph(const std::string& text) {
  if (text == "chain") return Graph::chain;
  if (text == "diamonds") return Graph::diamonds;
  throw std::invalid_argument("unknown graph \"" + text + "\"; use chain or diamonds");
}

std::size_t input_count(const WorkloadSpec& spec) {
  if (spec.graph == Graph::diamonds) return 1;
  return spec.widths.empty() ? 0 : spec.widths.front();
}

std::vector<std::size_t> parse_widths(const std::string& text) {
  std::vector<std::size_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v == 0 || v > 4096)
      throw std::invalid_argument("\"" + item + "\" is not a width from 1 to 4096");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument("the list is empty");
  return out;
}

std::vector<double> input_point(const WorkloadSpec& spec) {
  std::vector<double> x(input_count(spec));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = spec.x.empty() ? 0.5 : spec.x[i % spec.x.size()];
  return x;
}

}  // namespace grader::timing
