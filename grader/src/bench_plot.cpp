// `grader bench`, the picture: a gnuplot script and its data. Two log-log
// panels: time against the input width n (output width fixed) and against
// the output width m (input width fixed), forward and reverse mode, with the
// crossover marked.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "grader/bench.hpp"

namespace grader::bench {

namespace {

struct Series {
  std::string title;
  std::string style;  ///< gnuplot "with …" options
  std::vector<std::pair<double, double>> points;
};

struct Panel {
  std::string title, xlabel;
  std::vector<Series> series;
  std::optional<double> crossover;
  std::string crossover_label;
};

struct Plot {
  std::vector<Panel> panels;
  std::size_t layers = 8;
};

/// v with `digits` decimals.
std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// v in full precision for data and coordinates.
std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

/// gnuplot strings in single quotes: a quote is doubled.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// The configuration drawn: the middle width of the grid, the widest interior.
struct Choice {
  std::size_t fixed_m = 0, fixed_n = 0, h = 0;
};

Choice choose(const Summary& s) {
  std::set<std::size_t> ms, ns, hs;
  for (const Entry& e : s.entries)
    if (e.suite == "grid" && e.error.empty()) {
      ms.insert(e.m);
      ns.insert(e.n);
      hs.insert(e.h);
    }
  Choice c;
  if (ms.empty()) return c;
  const std::vector<std::size_t> mv(ms.begin(), ms.end()), nv(ns.begin(), ns.end());
  c.fixed_m = mv[mv.size() / 2];
  c.fixed_n = nv[nv.size() / 2];
  c.h = *hs.rbegin();
  return c;
}

const struct {
  const char* method;
  const char* title;
  const char* style;
} methods[] = {
    {"primal", "primal (plain doubles)", "lines dashtype 2 linewidth 2 linecolor rgb '#777777'"},
    {"forward", "forward: one Dual pass per input", "linespoints pointtype 7 linewidth 2 linecolor rgb '#1f77b4'"},
    {"forward_vector", "forward: vector mode DualVec<N>", "linespoints pointtype 5 linewidth 2 linecolor rgb '#17becf'"},
    {"reverse", "reverse: scalar tape, one sweep per output", "linespoints pointtype 9 linewidth 2 linecolor rgb '#d62728'"},
    {"reverse_tensor", "reverse: tensor nodes", "linespoints pointtype 11 linewidth 2 linecolor rgb '#ff7f0e'"},
};

Plot build(const Summary& s) {
  Plot p;
  p.layers = s.layers;
  const Choice c = choose(s);
  if (c.h == 0) return p;
  for (int panel = 0; panel < 2; ++panel) {
    const bool vary_n = panel == 0;
    Panel pl;
    pl.xlabel = vary_n ? "input width n" : "output width m";
    pl.title = vary_n ? "n → " + std::to_string(c.h) + " → … → " + std::to_string(c.h) + " → " +
                            std::to_string(c.fixed_m) + "  (m = " + std::to_string(c.fixed_m) + ")"
                      : std::to_string(c.fixed_n) + " → " + std::to_string(c.h) + " → … → " + std::to_string(c.h) +
                            " → m  (n = " + std::to_string(c.fixed_n) + ")";
    std::map<std::string, std::vector<std::pair<double, double>>> by;
    for (const Entry& e : s.entries) {
      if (e.suite != "grid" || !e.error.empty() || e.h != c.h) continue;
      if (vary_n && e.m == c.fixed_m) by[e.method].push_back({static_cast<double>(e.n), e.seconds});
      if (!vary_n && e.n == c.fixed_n) by[e.method].push_back({static_cast<double>(e.m), e.seconds});
    }
    for (const auto& m : methods) {
      auto it = by.find(m.method);
      if (it == by.end() || it->second.size() < 2) continue;
      std::sort(it->second.begin(), it->second.end());
      pl.series.push_back({m.title, m.style, it->second});
    }
    // The submission and the reference beside it in the same probe process.
    for (const bool mine : {true, false})
      for (const std::string method : {"forward", "reverse"}) {
        std::vector<std::pair<double, double>> pts;
        for (const SubmissionTiming& t : s.submission)
          if (t.method == method && t.h == c.h && (vary_n ? t.m == c.fixed_m : t.n == c.fixed_n))
            pts.push_back({static_cast<double>(vary_n ? t.n : t.m), mine ? t.submission : t.reference});
        std::sort(pts.begin(), pts.end());
        const std::string colour = mine ? (method == "forward" ? "#2ca02c" : "#9467bd") : "#aaaaaa";
        if (pts.size() >= 2)
          pl.series.push_back({(mine ? "submission: " : "reference beside it: ") + method + " (in the probe)",
                               "linespoints dashtype 3 pointtype " + std::string(mine ? "6" : "1") +
                                   " linewidth 2 linecolor rgb '" + colour + "'",
                               pts});
      }
    // The crossover of the scalar modes.
    std::vector<double> x, f, r;
    std::map<double, double> fm, rm;
    for (const auto& pt : by["forward"]) fm[pt.first] = pt.second;
    for (const auto& pt : by["reverse"]) rm[pt.first] = pt.second;
    for (const auto& [xv, fv] : fm)
      if (rm.count(xv)) {
        x.push_back(xv);
        f.push_back(fv);
        r.push_back(rm[xv]);
      }
    pl.crossover = crossover(x, f, r);
    if (pl.crossover)
      pl.crossover_label = std::string("crossover ") + (vary_n ? "n" : "m") + " ≈ " + fixed(*pl.crossover, 0);
    p.panels.push_back(std::move(pl));
  }
  return p;
}

}  // namespace

std::string plot_data(const Summary& s) {
  const Plot p = build(s);
  std::string out = "# grader bench: CPU seconds per call; one block per series (gnuplot index)\n";
  for (const Panel& pl : p.panels)
    for (const Series& se : pl.series) {
      out += "# " + se.title + "\n";
      for (const auto& [x, y] : se.points) out += exact(x) + " " + exact(y) + "\n";
      out += "\n\n";
    }
  return out;
}

std::string plot_script(const Summary& s, const std::filesystem::path& data, const std::filesystem::path& png) {
  const Plot p = build(s);
  std::string g;
  g += "# grader bench: forward versus reverse mode. Run: gnuplot " + png.stem().string() + ".gp\n";
  g += "set terminal pngcairo size 1500,820 enhanced font 'Sans,11'\n";
  g += "set output " + quoted(png.string()) + "\n";
  g += "set multiplot layout 1," + std::to_string(std::max<std::size_t>(1, p.panels.size())) + " title " +
       quoted("Forward versus reverse mode: the full Jacobian of a chain of " + std::to_string(p.layers) +
              " tanh layers (log-log)") +
       "\n";
  g += "set logscale xy\nset grid\nset key below maxrows 5\nset autoscale xfix\nset offsets graph 0.04, graph 0.04, 0, 0\n"
       "set ylabel 'CPU seconds per Jacobian'\nset format y '10^{%L}'\n";
  std::size_t index = 0;
  for (const Panel& pl : p.panels) {
    g += "set title " + quoted(pl.title) + "\nset xlabel " + quoted(pl.xlabel) + "\n";
    g += "unset arrow\nunset label\n";
    if (pl.crossover) {
      const std::string x = exact(*pl.crossover);
      g += "set arrow from " + x + ", graph 0 to " + x + ", graph 1 nohead dashtype 4 linewidth 2 linecolor rgb '#000000'\n";
      g += "set label " + quoted(pl.crossover_label) + " at " + x + ", graph 0.06 offset 0.5,0 font 'Sans,11'\n";
    }
    std::string cmd;
    for (const Series& se : pl.series) {
      cmd += std::string(cmd.empty() ? "plot " : ", \\\n     ") + quoted(data.string()) + " index " +
             std::to_string(index++) + " using 1:2 with " + se.style + " title " + quoted(se.title);
    }
    if (cmd.empty()) cmd = "plot 1/0 notitle";  // nothing measured: an empty panel rather than an error
    g += cmd + "\n";
  }
  g += "unset multiplot\n";
  return g;
}

}  // namespace grader::bench
