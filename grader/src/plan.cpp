#include "grader/plan.hpp"

#include <cmath>
#include <cstdio>

#include "ad/chain.hpp"
#include "ad/network.hpp"

namespace grader {

namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string point_label(const CaseSpec& c, const std::vector<double>& p) {
  std::string names, values;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::string name = c.variables.empty() ? "x" + std::to_string(i + 1) : c.variables[i];
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6g", p[i]);
    names += (i ? ", " : "") + name;
    values += (i ? ", " : "") + std::string(buf);
  }
  return p.size() == 1 ? "at " + names + " = " + values : "at (" + names + ") = (" + values + ")";
}

protocol::MatrixData random_matrix(Draw& d, std::size_t rows, std::size_t cols, double low, double high) {
  protocol::MatrixData m{rows, cols, std::vector<double>(rows * cols)};
  for (double& v : m.values) v = d.uniform(low, high);
  return m;
}

protocol::MatrixData from_matrix(const ad::Matrix& m) { return {m.rows(), m.cols(), m.values()}; }

std::string shape_label(std::size_t r, std::size_t c) { return std::to_string(r) + "x" + std::to_string(c); }

}  // namespace

Draw::Draw(std::uint64_t grading_seed, const std::string& problem_id, std::uint64_t case_seed)
    : state_(grading_seed * 0x9E3779B97F4A7C15ULL ^ fnv1a(problem_id) ^ (case_seed * 0xD1B54A32D192ED03ULL)) {}

double Draw::uniform(double low, double high) {
  const double u = 0.5 * (ad::splitmix_uniform(state_) + 1.0);  // [0, 1)
  return low + (high - low) * u;
}

Plan plan_problem(const ProblemSpec& problem, std::uint64_t seed, bool visible_only) {
  Plan plan;
  plan.problem = &problem;
  plan.seed = seed;
  double total_weight = 0.0;
  for (const CaseSpec& c : problem.cases) total_weight += c.weight;
  for (std::size_t ci = 0; ci < problem.cases.size(); ++ci) {
    const CaseSpec& c = problem.cases[ci];
    const Visibility vis = c.visibility.value_or(problem.visibility);
    if (visible_only && vis != Visibility::visible) continue;
    PlannedCase pc;
    pc.spec_index = ci;
    pc.visibility = vis;
    pc.max_score = total_weight > 0 ? problem.points * c.weight / total_weight : 0.0;
    const std::size_t case_index = plan.cases.size();
    const auto add = [&](protocol::Task t, std::string label) {
      pc.tasks.push_back(plan.tasks.size());
      plan.tasks.push_back(std::move(t));
      plan.labels.push_back(std::move(label));
      plan.task_case.push_back(case_index);
    };
    // The stream is named by the case's name too, so two cases that share a
    // seed still draw different inputs, and reordering cases changes nothing.
    Draw draw(seed, problem.id + "/" + c.name, c.random ? c.random->seed : 0);
    const int trials = c.random ? c.random->trials : 0;
    const double low = c.random ? c.random->low : -1.0, high = c.random ? c.random->high : 1.0;
    switch (problem.kind) {
      case ProblemKind::forward_gradient:
      case ProblemKind::reverse_gradient:
      case ProblemKind::jacobian: {
        std::vector<std::vector<double>> points = c.at;
        for (int t = 0; t < trials; ++t) {
          std::vector<double> p(c.arity);
          for (double& v : p) v = draw.uniform(low, high);
          points.push_back(std::move(p));
        }
        std::vector<protocol::TaskKind> kinds;
        if (problem.kind == ProblemKind::forward_gradient) kinds = {protocol::TaskKind::forward_gradient};
        if (problem.kind == ProblemKind::reverse_gradient) kinds = {protocol::TaskKind::reverse_gradient};
        if (problem.kind == ProblemKind::jacobian) {
          if (c.mode != "reverse") kinds.push_back(protocol::TaskKind::jacobian_forward);
          if (c.mode != "forward") kinds.push_back(protocol::TaskKind::jacobian_reverse);
        }
        for (const auto& p : points)
          for (protocol::TaskKind k : kinds) {
            protocol::Task t;
            t.kind = k;
            t.functions = c.functions;
            t.variables = c.variables;
            t.point = p;
            std::string label = point_label(c, p);
            if (problem.kind == ProblemKind::jacobian)
              label = (k == protocol::TaskKind::jacobian_forward ? "forward mode, " : "reverse mode, ") + label;
            add(std::move(t), std::move(label));
          }
        break;
      }
      case ProblemKind::vjp_add:
      case ProblemKind::vjp_scale:
        for (int t = 0; t < trials; ++t) {
          const std::size_t r = c.shape[0], k = c.shape[1];
          protocol::Task task;
          task.kind = problem.kind == ProblemKind::vjp_add ? protocol::TaskKind::vjp_add : protocol::TaskKind::vjp_scale;
          if (problem.kind == ProblemKind::vjp_add) {
            task.matrices = {random_matrix(draw, r, k, low, high), random_matrix(draw, r, k, low, high)};
          } else {
            task.matrices = {random_matrix(draw, r, k, low, high), random_matrix(draw, r, k, low, high),
                             random_matrix(draw, r, k, low, high)};
            task.scalars = {draw.uniform(low, high)};
          }
          add(std::move(task), "shape " + shape_label(r, k) + ", trial " + std::to_string(t + 1));
        }
        break;
      case ProblemKind::vjp_matmul:
        for (int t = 0; t < trials; ++t) {
          const std::size_t m = c.x_shape[0], k = c.x_shape[1], n = c.w_shape[1];
          protocol::Task task;
          task.kind = protocol::TaskKind::vjp_matmul;
          // X, W, dZ, and the values dX and dW hold before the call (a VJP adds to them).
          task.matrices = {random_matrix(draw, m, k, low, high), random_matrix(draw, k, n, low, high),
                           random_matrix(draw, m, n, low, high), random_matrix(draw, m, k, low, high),
                           random_matrix(draw, k, n, low, high)};
          add(std::move(task), "X " + shape_label(m, k) + ", W " + shape_label(k, n) + ", trial " + std::to_string(t + 1));
        }
        break;
      case ProblemKind::network_gradient:
      case ProblemKind::network_step:
        for (int t = 0; t < trials; ++t) {
          // Weights and data from the same deterministic generators as the reference,
          // seeded from the draw so every trial differs.
          const auto s1 = static_cast<std::uint64_t>(draw.uniform(0, 1) * 9.0e15);
          const auto s2 = static_cast<std::uint64_t>(draw.uniform(0, 1) * 9.0e15);
          ad::TwoLayerNet net = ad::TwoLayerNet::init(c.inputs, c.hidden, s1);
          for (std::size_t i = 0; i < net.b1.size(); ++i) net.b1[i] = draw.uniform(-0.5, 0.5);
          net.b2 = draw.uniform(-0.5, 0.5);
          const ad::Dataset data = ad::Dataset::synthetic(c.samples, c.inputs, s2);
          protocol::Task task;
          task.kind = problem.kind == ProblemKind::network_gradient ? protocol::TaskKind::network_gradient
                                                                    : protocol::TaskKind::network_step;
          task.matrices = {from_matrix(net.w1), from_matrix(net.b1), from_matrix(net.w2), from_matrix(data.x),
                           from_matrix(data.y)};
          task.scalars = {net.b2, c.learning_rate};
          task.steps = c.steps;
          add(std::move(task), std::to_string(c.inputs) + " inputs, " + std::to_string(c.hidden) + " hidden, " +
                                   std::to_string(c.samples) + " samples, trial " + std::to_string(t + 1));
        }
        break;
      case ProblemKind::complexity: {
        // One task times every size, the submission beside the reference.
        protocol::Task task;
        task.kind = protocol::TaskKind::timing;
        protocol::TimingData& d = task.timing;
        d.method = c.mode == "reverse" ? "gradient" : "forward";
        d.graph = c.graph;
        d.sizes = c.sizes;
        d.width = c.width;
        d.layers = c.layers;
        d.outputs = c.outputs;
        d.seed = static_cast<std::uint64_t>(draw.uniform(0, 1) * 9.0e15);
        d.repeats = c.repeats;
        d.budget_seconds = c.budget_seconds;
        d.first_call_seconds = problem.limits.check_cpu();
        task.point.resize(c.graph == "chain" ? c.sizes.front() : 1);
        for (double& v : task.point) v = draw.uniform(-1.0, 1.0);
        std::string sizes;
        for (std::size_t size : c.sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
        std::string label = c.mode == "reverse" ? "reverse mode (ad::gradient), " : "forward mode (ad::jacobian_forward), ";
        label += c.graph == "chain" ? "chain n → " + std::to_string(c.width) + " → … → " + std::to_string(c.outputs) +
                                          " (" + std::to_string(c.layers) + " layers) with n = " + sizes
                                    : "a chain of diamonds of depth " + sizes;
        add(std::move(task), std::move(label));
        break;
      }
    }
    plan.cases.push_back(std::move(pc));
  }
  return plan;
}

}  // namespace grader
