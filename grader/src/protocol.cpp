#include "grader/protocol.hpp"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace grader::protocol {

namespace {

constexpr TaskKind all_kinds[] = {TaskKind::forward_gradient, TaskKind::reverse_gradient, TaskKind::jacobian_forward,
                                  TaskKind::jacobian_reverse, TaskKind::vjp_add,          TaskKind::vjp_scale,
                                  TaskKind::vjp_matmul,       TaskKind::network_gradient, TaskKind::network_step,
                                  TaskKind::timing};

TaskKind kind_from_string(const std::string& s) {
  for (TaskKind k : all_kinds)
    if (s == to_string(k)) return k;
  throw std::runtime_error("unknown task kind \"" + s + "\"");
}

// JSON has no NaN or Infinity, and values must survive exactly: send hex floats as strings.
std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

double unhex(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) throw std::runtime_error("not a number: \"" + s + "\"");
  return v;
}

nlohmann::json numbers(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(hex(x));
  return a;
}

std::vector<double> numbers_from(const nlohmann::json& a) {
  std::vector<double> v;
  v.reserve(a.size());
  for (const auto& x : a) v.push_back(unhex(x.get<std::string>()));
  return v;
}

}  // namespace

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::forward_gradient: return "forward_gradient";
    case TaskKind::reverse_gradient: return "reverse_gradient";
    case TaskKind::jacobian_forward: return "jacobian_forward";
    case TaskKind::jacobian_reverse: return "jacobian_reverse";
    case TaskKind::vjp_add: return "vjp_add";
    case TaskKind::vjp_scale: return "vjp_scale";
    case TaskKind::vjp_matmul: return "vjp_matmul";
    case TaskKind::network_gradient: return "network_gradient";
    case TaskKind::network_step: return "network_step";
    case TaskKind::timing: return "timing";
  }
  return "?";
}

std::string encode_request(const Request& request) {
  nlohmann::json j;
  j["start"] = request.start;
  j["check_cpu_seconds"] = hex(request.check_cpu_seconds);
  j["tasks"] = nlohmann::json::array();
  for (const Task& t : request.tasks) {
    nlohmann::json jt;
    jt["kind"] = to_string(t.kind);
    jt["functions"] = t.functions;
    jt["variables"] = t.variables;
    jt["point"] = numbers(t.point);
    jt["matrices"] = nlohmann::json::array();
    for (const MatrixData& m : t.matrices)
      jt["matrices"].push_back({{"rows", m.rows}, {"cols", m.cols}, {"values", numbers(m.values)}});
    jt["scalars"] = numbers(t.scalars);
    jt["steps"] = t.steps;
    if (t.kind == TaskKind::timing) {
      const TimingData& d = t.timing;
      jt["timing"] = {{"method", d.method},   {"graph", d.graph},     {"sizes", d.sizes},
                      {"width", d.width},     {"layers", d.layers},   {"outputs", d.outputs},
                      {"seed", d.seed},       {"repeats", d.repeats}, {"batch_seconds", hex(d.batch_seconds)},
                      {"budget_seconds", hex(d.budget_seconds)}, {"first_call_seconds", hex(d.first_call_seconds)}};
    }
    j["tasks"].push_back(std::move(jt));
  }
  return j.dump();
}

Request decode_request(const std::string& text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    Request r;
    r.start = j.at("start").get<std::size_t>();
    r.check_cpu_seconds = unhex(j.at("check_cpu_seconds").get<std::string>());
    if (!(r.check_cpu_seconds >= 0)) throw std::runtime_error("check_cpu_seconds must be >= 0");
    for (const auto& jt : j.at("tasks")) {
      Task t;
      t.kind = kind_from_string(jt.at("kind").get<std::string>());
      t.functions = jt.at("functions").get<std::vector<std::string>>();
      t.variables = jt.at("variables").get<std::vector<std::string>>();
      t.point = numbers_from(jt.at("point"));
      for (const auto& jm : jt.at("matrices")) {
        MatrixData m{jm.at("rows").get<std::size_t>(), jm.at("cols").get<std::size_t>(), numbers_from(jm.at("values"))};
        if (m.values.size() != m.rows * m.cols) throw std::runtime_error("matrix values do not fit its shape");
        t.matrices.push_back(std::move(m));
      }
      t.scalars = numbers_from(jt.at("scalars"));
      t.steps = jt.at("steps").get<int>();
      if (t.kind == TaskKind::timing) {
        const auto& jd = jt.at("timing");
        TimingData& d = t.timing;
        d.method = jd.at("method").get<std::string>();
        d.graph = jd.at("graph").get<std::string>();
        d.sizes = jd.at("sizes").get<std::vector<std::size_t>>();
        d.width = jd.at("width").get<std::size_t>();
        d.layers = jd.at("layers").get<std::size_t>();
        d.outputs = jd.at("outputs").get<std::size_t>();
        d.seed = jd.at("seed").get<std::uint64_t>();
        d.repeats = jd.at("repeats").get<int>();
        d.batch_seconds = unhex(jd.at("batch_seconds").get<std::string>());
        d.budget_seconds = unhex(jd.at("budget_seconds").get<std::string>());
        d.first_call_seconds = unhex(jd.at("first_call_seconds").get<std::string>());
      }
      r.tasks.push_back(std::move(t));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed probe request: ") + e.what());
  }
}

std::string encode_ok(std::size_t task, const std::vector<double>& values) {
  std::string line = "T " + std::to_string(task) + " OK " + std::to_string(values.size());
  for (double v : values) line += " " + hex(v);
  line += "\n";
  return line;
}

std::string encode_error(std::size_t task, const std::string& category, const std::string& message) {
  std::string m = message;
  for (char& c : m)
    if (c == '\n' || c == '\r') c = ' ';
  if (m.size() > 2000) m = m.substr(0, 2000) + " [...]";
  return "T " + std::to_string(task) + " ERR " + category + " " + m + "\n";
}

std::string encode_end() { return "END\n"; }

Channel decode_channel(const std::string& text) {
  Channel ch;
  std::istringstream in(text);
  std::string line;
  std::size_t line_no = 0;
  bool next_must_be_first = true;
  std::size_t last_task = 0;
  const auto fail = [&](const std::string& why) {
    ch.problem = "line " + std::to_string(line_no) + " of the results channel " + why;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (in.eof()) {  // a last line without '\n' was cut off mid-write: ignore it
      break;
    }
    if (ch.ended) {
      fail("comes after END");
      break;
    }
    if (line == "END") {
      ch.ended = true;
      continue;
    }
    std::istringstream ls(line);
    std::string tag, status;
    std::size_t task = 0;
    if (!(ls >> tag >> task >> status) || tag != "T" || (status != "OK" && status != "ERR")) {
      fail("is not a reply: \"" + line.substr(0, 80) + "\"");
      break;
    }
    if (!next_must_be_first && task <= last_task) {
      fail("repeats or reorders task " + std::to_string(task));
      break;
    }
    Reply r;
    r.task = task;
    r.ok = status == "OK";
    if (r.ok) {
      std::size_t count = 0;
      if (!(ls >> count)) {
        fail("has no value count");
        break;
      }
      std::string tok;
      bool bad = false;
      while (ls >> tok) {
        char* end = nullptr;
        const double v = std::strtod(tok.c_str(), &end);
        if (end != tok.c_str() + tok.size()) {
          bad = true;
          break;
        }
        r.values.push_back(v);
      }
      if (bad || r.values.size() != count) {
        fail("has malformed values");
        break;
      }
    } else {
      ls >> r.category;
      std::getline(ls, r.message);
      if (!r.message.empty() && r.message.front() == ' ') r.message.erase(0, 1);
    }
    ch.replies.push_back(std::move(r));
    last_task = task;
    next_must_be_first = false;
  }
  return ch;
}

}  // namespace grader::protocol
