// `grader bench`, the arithmetic: reading ad_bench's JSON, ratios to the
// primal, growth fits, crossovers, matrix-chain costs, the peer table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "grader/bench.hpp"
#include "grader/error.hpp"
#include "grader/timing.hpp"

namespace grader::bench {

namespace {

using nlohmann::json;

/// Seconds from a Google Benchmark time in its unit.
double to_seconds(double value, const std::string& unit) {
  if (unit == "ns") return value * 1e-9;
  if (unit == "us") return value * 1e-6;
  if (unit == "ms") return value * 1e-3;
  return value;
}

/// "n:16" → 16 (0 when the part is not key:number).
std::size_t field(const std::string& part, const std::string& key) {
  if (part.rfind(key + ":", 0) != 0) return 0;
  return static_cast<std::size_t>(std::strtoull(part.c_str() + key.size() + 1, nullptr, 10));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

/// The grid configurations (h, m, n) with a primal time, keyed for lookups.
using Key = std::tuple<std::size_t, std::size_t, std::size_t>;  // h, m, n

std::map<std::string, std::map<Key, double>> grid_times(const std::vector<Entry>& entries) {
  std::map<std::string, std::map<Key, double>> t;
  for (const Entry& e : entries)
    if (e.suite == "grid" && e.error.empty() && e.seconds > 0) t[e.method][{e.h, e.m, e.n}] = e.seconds;
  return t;
}

std::vector<std::size_t> chain_widths(std::size_t n, std::size_t h, std::size_t m, std::size_t layers) {
  std::vector<std::size_t> w = {n};
  for (std::size_t l = 1; l < layers; ++l) w.push_back(h);
  w.push_back(m);
  return w;
}

double multiply_adds(const std::vector<std::size_t>& w) {
  double p = 0;
  for (std::size_t l = 1; l < w.size(); ++l) p += static_cast<double>(w[l]) * static_cast<double>(w[l - 1]);
  return p;
}

json number_or_null(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

const char* grid_methods[] = {"primal", "forward", "forward_vector", "reverse", "reverse_tensor"};

/// Forward and reverse methods compared for crossovers: (forward, reverse, description).
struct Pair {
  const char* forward;
  const char* reverse;
  const char* what;
};
const Pair pairs[] = {{"forward", "reverse", "one Dual pass per input vs scalar tape, one sweep per output"},
                      {"forward_vector", "reverse_tensor", "vector mode vs tensor nodes"}};

/// v with `digits` decimals.
std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// "1.2 µs" style for the Markdown table.
std::string duration(double s) {
  if (s < 1e-6) return fixed(s * 1e9, 0) + " ns";
  if (s < 1e-3) return fixed(s * 1e6, s < 1e-5 ? 2 : 1) + " µs";
  if (s < 1.0) return fixed(s * 1e3, s < 1e-2 ? 2 : 1) + " ms";
  return fixed(s, 2) + " s";
}

}  // namespace

std::vector<Entry> parse_benchmark_json(const std::string& text, const std::string& file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw GraderError(file + ": is not Google Benchmark JSON: " + e.what() + "; run ad_bench again");
  }
  if (!j.is_object() || !j.contains("benchmarks") || !j.at("benchmarks").is_array())
    throw GraderError(file + ": has no \"benchmarks\" array; is it ad_bench's --benchmark_out?");
  // With repetitions, the median of each benchmark stands for it; without,
  // its one run. Means, deviations and single repetitions are left out.
  std::set<std::string> with_median;
  for (const json& b : j.at("benchmarks"))
    if (b.value("run_type", "") == "aggregate" && b.value("aggregate_name", "") == "median")
      with_median.insert(b.value("run_name", ""));
  std::vector<Entry> out;
  for (const json& b : j.at("benchmarks")) {
    const std::string name = b.value("run_name", b.value("name", ""));
    const bool median = b.value("run_type", "iteration") == "aggregate" && b.value("aggregate_name", "") == "median";
    if (!(median || (b.value("run_type", "iteration") == "iteration" && with_median.count(name) == 0))) continue;
    const std::vector<std::string> parts = split(name, '/');
    if (parts.size() < 3) continue;
    Entry e;
    e.suite = parts[0];
    e.method = parts[1];
    for (std::size_t k = 2; k < parts.size(); ++k) {
      e.n = std::max(e.n, field(parts[k], "n"));
      e.m = std::max(e.m, field(parts[k], "m"));
      e.h = std::max(e.h, field(parts[k], "h"));
      e.w = std::max(e.w, field(parts[k], "w"));
    }
    if (b.contains("error_occurred") && b.at("error_occurred").get<bool>()) e.error = b.value("error_message", "error");
    if (b.contains("cpu_time")) e.seconds = to_seconds(b.at("cpu_time").get<double>(), b.value("time_unit", "ns"));
    if (e.suite != "grid" && e.suite != "peers") continue;
    out.push_back(std::move(e));
  }
  if (out.empty()) throw GraderError(file + ": holds no grid/… or peers/… benchmark; is it ad_bench's output?");
  return out;
}

ChainCosts chain_costs(const std::vector<std::size_t>& d) {
  if (d.size() < 2) throw GraderError("chain_costs: needs at least two widths");
  const std::size_t L = d.size() - 1;  // matrices J_1 … J_L, J_l is d_l × d_(l-1)
  const auto D = [&](std::size_t i) { return static_cast<double>(d[i]); };
  ChainCosts c;
  for (std::size_t l = 2; l <= L; ++l) c.forward += D(l) * D(l - 1) * D(0);
  for (std::size_t l = 1; l + 1 <= L; ++l) c.reverse += D(L) * D(l) * D(l - 1);
  // cost[i][j]: best cost of J_j ⋯ J_i (1 ≤ i ≤ j ≤ L), which is d_j × d_(i-1).
  std::vector<std::vector<double>> cost(L + 1, std::vector<double>(L + 1, 0.0));
  std::vector<std::vector<std::size_t>> split_at(L + 1, std::vector<std::size_t>(L + 1, 0));
  for (std::size_t len = 2; len <= L; ++len)
    for (std::size_t i = 1; i + len - 1 <= L; ++i) {
      const std::size_t j = i + len - 1;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (std::size_t k = i; k < j; ++k) {  // (J_j ⋯ J_(k+1)) (J_k ⋯ J_i)
        const double v = cost[k + 1][j] + cost[i][k] + D(j) * D(k) * D(i - 1);
        if (v < cost[i][j]) {
          cost[i][j] = v;
          split_at[i][j] = k;
        }
      }
    }
  c.optimal = cost[1][L];
  const std::function<std::string(std::size_t, std::size_t, bool)> order = [&](std::size_t i, std::size_t j,
                                                                                bool outer) -> std::string {
    if (i == j) return "J" + std::to_string(i);
    const std::size_t k = split_at[i][j];
    const std::string s = order(k + 1, j, false) + " " + order(i, k, false);
    return outer ? s : "(" + s + ")";
  };
  c.optimal_order = order(1, L, true);
  return c;
}

std::optional<double> crossover(const std::vector<double>& x, const std::vector<double>& forward,
                                const std::vector<double>& reverse) {
  const std::size_t n = std::min({x.size(), forward.size(), reverse.size()});
  for (std::size_t k = 0; k + 1 < n; ++k) {
    if (!(x[k] > 0) || !(x[k + 1] > 0) || !(forward[k] > 0) || !(reverse[k] > 0) || !(forward[k + 1] > 0) ||
        !(reverse[k + 1] > 0))
      continue;
    const double a = std::log(forward[k] / reverse[k]), b = std::log(forward[k + 1] / reverse[k + 1]);
    if (a == 0) return x[k];
    if ((a < 0) == (b < 0) && b != 0) continue;
    const double t = a / (a - b);  // where log(forward/reverse) crosses 0, linear in log x
    return std::exp(std::log(x[k]) + t * (std::log(x[k + 1]) - std::log(x[k])));
  }
  return std::nullopt;
}

json summary_json(const Summary& s) {
  json j;
  j["format"] = "adcourse-bench-summary/1";
  j["layers"] = s.layers;
  j["time"] = "CPU seconds per call; every ratio is to the primal timed in the same run";
  const auto times = grid_times(s.entries);
  const auto has = [&](const char* method, const Key& k) {
    const auto it = times.find(method);
    return it != times.end() && it->second.count(k) > 0;
  };
  const auto at = [&](const char* method, const Key& k) { return times.at(method).at(k); };
  std::set<std::size_t> hs, ms, ns;
  for (const Entry& e : s.entries)
    if (e.suite == "grid") {
      hs.insert(e.h);
      ms.insert(e.m);
      ns.insert(e.n);
    }

  // Every configuration, ratios to its own primal, with the matrix-chain prediction beside it.
  json grid = json::array();
  for (std::size_t h : hs)
    for (std::size_t m : ms)
      for (std::size_t n : ns) {
        const Key k{h, m, n};
        if (!has("primal", k)) continue;
        const double primal = at("primal", k);
        const std::vector<std::size_t> w = chain_widths(n, h, m, s.layers);
        const double p = multiply_adds(w);
        const ChainCosts c = chain_costs(w);
        json row = {{"n", n}, {"m", m}, {"h", h}, {"primal_seconds", primal}};
        for (const char* method : grid_methods) {
          if (std::string(method) == "primal" || !has(method, k)) continue;
          row["methods"][method] = {{"seconds", at(method, k)}, {"ratio_to_primal", at(method, k) / primal}};
        }
        // Tangent and adjoint propagation cost n·P and m·P multiply-adds (P
        // those of the primal); the matrix chain alone, without the identity
        // that seeds it, costs a little less: both are given.
        row["predicted"] = {
            {"primal_multiply_adds", p},
            {"forward_mode_multiply_adds", static_cast<double>(n) * p},
            {"reverse_mode_multiply_adds", static_cast<double>(m) * p},
            {"matrix_chain", {{"forward_order", c.forward}, {"reverse_order", c.reverse}, {"optimal", c.optimal},
                              {"optimal_order", c.optimal_order}}},
            {"seconds_at_primal_speed",
             {{"forward_mode", primal * static_cast<double>(n)}, {"reverse_mode", primal * static_cast<double>(m)},
              {"optimal_order", primal * c.optimal / p}}}};
        grid.push_back(std::move(row));
      }
  j["grid"] = std::move(grid);

  // Growth of each method against n (m, h fixed) and against m (n, h fixed).
  json against_n = json::array(), against_m = json::array();
  for (const char* method : grid_methods)
    for (std::size_t h : hs) {
      for (std::size_t m : ms) {
        std::vector<double> x, t;
        for (std::size_t n : ns)
          if (has(method, {h, m, n})) {
            x.push_back(static_cast<double>(n));
            t.push_back(at(method, {h, m, n}));
          }
        if (x.size() >= 2)
          against_n.push_back({{"method", method}, {"h", h}, {"m", m}, {"exponent", timing::fitted_exponent(x, t)}});
      }
      for (std::size_t n : ns) {
        std::vector<double> x, t;
        for (std::size_t m : ms)
          if (has(method, {h, m, n})) {
            x.push_back(static_cast<double>(m));
            t.push_back(at(method, {h, m, n}));
          }
        if (x.size() >= 2)
          against_m.push_back({{"method", method}, {"h", h}, {"n", n}, {"exponent", timing::fitted_exponent(x, t)}});
      }
    }
  j["fits"] = {{"what", "exponent k of time ∝ width^k, least squares in log-log"},
               {"against_n", std::move(against_n)},
               {"against_m", std::move(against_m)}};

  // Crossovers: the n where forward becomes slower than reverse (m, h fixed), and the m (n, h fixed).
  json cross = json::array();
  for (const Pair& pr : pairs)
    for (std::size_t h : hs) {
      for (std::size_t m : ms) {
        std::vector<double> x, f, r;
        for (std::size_t n : ns)
          if (has(pr.forward, {h, m, n}) && has(pr.reverse, {h, m, n})) {
            x.push_back(static_cast<double>(n));
            f.push_back(at(pr.forward, {h, m, n}));
            r.push_back(at(pr.reverse, {h, m, n}));
          }
        if (x.size() >= 2)
          cross.push_back({{"forward", pr.forward}, {"reverse", pr.reverse}, {"what", pr.what}, {"varying", "n"},
                           {"h", h}, {"m", m}, {"at", number_or_null(crossover(x, f, r))},
                           {"forward_faster_at_smallest", f.front() < r.front()}});
      }
      for (std::size_t n : ns) {
        std::vector<double> x, f, r;
        for (std::size_t m : ms)
          if (has(pr.forward, {h, m, n}) && has(pr.reverse, {h, m, n})) {
            x.push_back(static_cast<double>(m));
            f.push_back(at(pr.forward, {h, m, n}));
            r.push_back(at(pr.reverse, {h, m, n}));
          }
        if (x.size() >= 2)
          cross.push_back({{"forward", pr.forward}, {"reverse", pr.reverse}, {"what", pr.what}, {"varying", "m"},
                           {"h", h}, {"n", n}, {"at", number_or_null(crossover(x, f, r))},
                           {"forward_faster_at_smallest", f.front() < r.front()}});
      }
    }
  j["crossover"] = std::move(cross);

  // The peer table.
  std::map<std::size_t, std::map<std::string, const Entry*>> peers;
  for (const Entry& e : s.entries)
    if (e.suite == "peers") peers[e.w][e.method] = &e;
  json pj = json::array();
  for (const auto& [w, tools] : peers) {
    const auto primal = tools.find("primal");
    if (primal == tools.end() || !primal->second->error.empty()) continue;
    const double p = primal->second->seconds;
    json row = {{"w", w}, {"primal_seconds", p}};
    for (const auto& [tool, e] : tools) {
      if (tool == "primal") continue;
      row["tools"][tool] = e->error.empty() ? json{{"seconds", e->seconds}, {"ratio_to_primal", e->seconds / p}}
                                            : json{{"error", e->error}};
    }
    pj.push_back(std::move(row));
  }
  j["peers"] = std::move(pj);

  if (!s.submission_dir.empty()) {
    json rows = json::array();
    for (const SubmissionTiming& t : s.submission)
      rows.push_back({{"method", t.method}, {"n", t.n}, {"m", t.m}, {"h", t.h}, {"seconds", t.submission},
                      {"reference_seconds", t.reference}, {"primal_seconds", t.primal},
                      {"ratio_to_primal", t.submission / t.primal}, {"ratio_to_reference", t.submission / t.reference}});
    json fits = json::array();
    std::map<std::tuple<std::string, std::size_t, std::size_t>, std::pair<std::vector<double>, std::vector<double>>> by;
    for (const SubmissionTiming& t : s.submission) {
      auto& [x, y] = by[{t.method, t.h, t.m}];
      x.push_back(static_cast<double>(t.n));
      y.push_back(t.submission);
    }
    for (const auto& [key, xy] : by)
      if (xy.first.size() >= 2)
        fits.push_back({{"method", std::get<0>(key)}, {"h", std::get<1>(key)}, {"m", std::get<2>(key)},
                        {"exponent_against_n", timing::fitted_exponent(xy.first, xy.second)}});
    j["submission"] = {{"folder", s.submission_dir},
                       {"how", "timed by the submission's probe in the sandbox, beside the reference and the "
                               "reference's primal in the same process (medians of CPU-time batches)"},
                       {"timings", std::move(rows)},
                       {"fits", std::move(fits)},
                       {"notes", s.submission_notes}};
  }
  return j;
}

std::string peer_table_markdown(const Summary& s) {
  std::map<std::string, std::map<std::size_t, const Entry*>> by_tool;
  std::map<std::size_t, double> primal;
  std::set<std::size_t> widths;
  for (const Entry& e : s.entries) {
    if (e.suite != "peers") continue;
    widths.insert(e.w);
    if (e.method == "primal" && e.error.empty()) primal[e.w] = e.seconds;
    by_tool[e.method][e.w] = &e;
  }
  // The order of the table: the limit, the reference, then the peers.
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"primal", "primal (plain doubles)"},
      {"backprop", "hand-written backprop (the limit)"},
      {"reference_reverse", "reference: scalar tape, record + sweep"},
      {"reference_reverse_tensor", "reference: tensor nodes, record + sweep"},
      {"reference_forward_vector", "reference: vector forward, DualVec<N>"},
      {"reference_forward", "reference: forward, one Dual pass per input"},
      {"adolc_reverse", "ADOL-C: tape (trace_on/off) + reverse"},
      {"sacado_rad_reverse", "Sacado Rad: reverse"},
      {"sacado_sfad_forward", "Sacado SFad<N>: vector forward"},
      {"eigen_forward", "Eigen AutoDiffScalar<Matrix<N,1>>: vector forward"}};
  std::string out = "| tool |";
  for (std::size_t w : widths) out += " w = " + std::to_string(w) + " |";
  out += "\n|---|";
  for (std::size_t k = 0; k < widths.size(); ++k) out += "---|";
  out += "\n";
  for (const auto& [tool, label] : rows) {
    const auto it = by_tool.find(tool);
    if (it == by_tool.end()) continue;
    out += "| " + label + " |";
    for (std::size_t w : widths) {
      const auto e = it->second.find(w);
      if (e == it->second.end()) {
        out += " – |";
      } else if (!e->second->error.empty()) {
        out += " error |";
      } else if (tool == "primal") {
        out += " " + duration(e->second->seconds) + " |";
      } else {
        const double p = primal.count(w) ? primal[w] : 0.0;
        out += " " + (p > 0 ? fixed(e->second->seconds / p, 2) + "× (" : std::string("(")) +
               duration(e->second->seconds) + ") |";
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace grader::bench
