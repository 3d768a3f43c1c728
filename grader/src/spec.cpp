// Parsing and validating problem specs. All checks live here so that a bad
// spec is refused before anything is built or run.
#include "grader/spec.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "grader/error.hpp"
#include "grader/expr.hpp"
#include "grader/numdiff.hpp"

namespace grader {

namespace {

using nlohmann::json;

std::string short_value(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

/// Edit distance, for "did you mean" on a misspelt field.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Validates one JSON object: only known keys, typed getters with messages naming file and path.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string path, const std::filesystem::path& file, std::set<std::string> allowed)
      : obj_(obj), path_(std::move(path)), file_(file) {
    if (!obj.is_object()) fail(path_.empty() ? "the file" : path_, "must be a JSON object", obj, "");
    for (const auto& [key, value] : obj.items()) {
      if (allowed.count(key) == 0) {
        std::string known, closest;
        std::size_t best = 3;  // suggest only near misses
        for (const auto& k : allowed) {
          known += (known.empty() ? "" : ", ") + k;
          if (const std::size_t d = edit_distance(key, k); d < best) {
            best = d;
            closest = k;
          }
        }
        if (!closest.empty()) fail(field(key), "is not a known field", value, "did you mean \"" + closest + "\"?");
        fail(field(key), "is not a known field", value, "remove it, or use one of: " + known);
      }
    }
  }

  [[noreturn]] void fail(const std::string& where, const std::string& what, const json& value,
                         const std::string& fix) const {
    std::string msg = file_.string() + ": \"" + where + "\" " + what + " (got " + short_value(value) + ")";
    if (!fix.empty()) msg += "; " + fix;
    throw GraderError(msg);
  }

  [[noreturn]] void fail_missing(const std::string& key, const std::string& fix) const {
    throw GraderError(file_.string() + ": \"" + field(key) + "\" is missing; " + fix);
  }

  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  bool has(const std::string& key) const { return obj_.contains(key); }
  const json& at(const std::string& key) const { return obj_.at(key); }

  std::string string(const std::string& key, bool required, const std::string& fallback, const std::string& fix) const {
    if (!has(key)) {
      if (required) fail_missing(key, fix);
      return fallback;
    }
    const json& v = obj_.at(key);
    if (!v.is_string()) fail(field(key), "must be a string", v, fix);
    return v.get<std::string>();
  }

  double number(const std::string& key, bool required, double fallback, double min, double max, bool min_exclusive,
                const std::string& fix) const {
    if (!has(key)) {
      if (required) fail_missing(key, fix);
      return fallback;
    }
    const json& v = obj_.at(key);
    if (!v.is_number()) fail(field(key), "must be a number", v, fix);
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || (min_exclusive && d == min) || d > max) {
      std::ostringstream range;
      range << "must be " << (min_exclusive ? "> " : ">= ") << min << " and <= " << max;
      fail(field(key), range.str(), v, fix);
    }
    return d;
  }

  long long integer(const std::string& key, bool required, long long fallback, long long min, long long max,
                    const std::string& fix) const {
    if (!has(key)) {
      if (required) fail_missing(key, fix);
      return fallback;
    }
    const json& v = obj_.at(key);
    if (!v.is_number_integer() && !v.is_number_unsigned())
      fail(field(key), "must be a whole number", v, fix);
    const long long i = v.get<long long>();
    if (i < min || i > max)
      fail(field(key), "must be between " + std::to_string(min) + " and " + std::to_string(max), v, fix);
    return i;
  }

  std::vector<std::string> strings(const std::string& key, bool required, const std::string& fix) const {
    if (!has(key)) {
      if (required) fail_missing(key, fix);
      return {};
    }
    const json& v = obj_.at(key);
    if (!v.is_array()) fail(field(key), "must be an array of strings", v, fix);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(field(key) + "[" + std::to_string(i) + "]", "must be a string", v[i], fix);
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

  std::vector<std::size_t> shape(const std::string& key, const std::string& fix) const {
    if (!has(key)) fail_missing(key, fix);
    const json& v = obj_.at(key);
    const bool ok = v.is_array() && v.size() == 2 && v[0].is_number_unsigned() && v[1].is_number_unsigned() &&
                    v[0].get<long long>() >= 1 && v[1].get<long long>() >= 1 && v[0].get<long long>() <= 2048 &&
                    v[1].get<long long>() <= 2048;
    if (!ok) fail(field(key), "must be [rows, cols], two whole numbers from 1 to 2048", v, fix);
    return {v[0].get<std::size_t>(), v[1].get<std::size_t>()};
  }

  const std::string& path() const { return path_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  const json& obj_;
  std::string path_;
  const std::filesystem::path& file_;
};

const std::map<std::string, ProblemKind>& kinds() {
  static const std::map<std::string, ProblemKind> k = {
      {"forward_gradient", ProblemKind::forward_gradient}, {"reverse_gradient", ProblemKind::reverse_gradient},
      {"jacobian", ProblemKind::jacobian},                 {"vjp_add", ProblemKind::vjp_add},
      {"vjp_scale", ProblemKind::vjp_scale},               {"vjp_matmul", ProblemKind::vjp_matmul},
      {"network_gradient", ProblemKind::network_gradient}, {"network_step", ProblemKind::network_step},
      {"complexity", ProblemKind::complexity}};
  return k;
}

Visibility read_visibility(const ObjectReader& r, const std::string& key, Visibility fallback) {
  if (!r.has(key)) return fallback;
  const std::string text = r.string(key, false, "", "");
  const auto v = parse_visibility(text);
  if (!v)
    r.fail(r.field(key), "is not a Gradescope visibility", r.at(key),
           "use \"visible\", \"hidden\", \"after_due_date\" or \"after_published\"");
  return *v;
}

RandomTrials read_random(const json& j, const std::string& path, const std::filesystem::path& file) {
  ObjectReader r(j, path, file, {"trials", "seed", "low", "high"});
  RandomTrials t;
  t.trials = static_cast<int>(r.integer("trials", true, 0, 1, 1000, "give the number of random trials, 1 to 1000"));
  t.seed = static_cast<std::uint64_t>(r.integer("seed", true, 0, 0, 9007199254740991LL, "give a whole-number seed"));
  t.low = r.number("low", false, -1.0, -1e12, 1e12, false, "");
  t.high = r.number("high", false, 1.0, -1e12, 1e12, false, "");
  if (!(t.low < t.high)) r.fail(r.field("high"), "must be greater than \"low\"", r.at("high"), "widen the range");
  return t;
}

void read_points(const ObjectReader& r, CaseSpec& c) {
  if (!r.has("at")) return;
  const json& v = r.at("at");
  const std::string where = r.field("at");
  if (!v.is_array() || v.empty()) r.fail(where, "must be a non-empty array of points", v, "e.g. [[2, 5], [1, -1]]");
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string pw = where + "[" + std::to_string(i) + "]";
    if (!v[i].is_array()) r.fail(pw, "must be an array of numbers (one per variable)", v[i], "");
    if (v[i].size() != c.arity)
      r.fail(pw, "has " + std::to_string(v[i].size()) + " coordinates but the function has " +
                     std::to_string(c.arity) + " variables",
             v[i], "give one number per variable");
    std::vector<double> p;
    for (const auto& x : v[i]) {
      if (!x.is_number() || !std::isfinite(x.get<double>())) r.fail(pw, "must contain finite numbers only", v[i], "");
      p.push_back(x.get<double>());
    }
    c.at.push_back(std::move(p));
  }
}

void read_functions(const ObjectReader& r, CaseSpec& c, bool many) {
  const std::string key = many ? "functions" : "function";
  if (many) {
    c.functions = r.strings(key, true, "give the outputs as expressions, e.g. [\"x1*x2\", \"sin(x1)\"]");
    if (c.functions.empty()) r.fail(r.field(key), "must not be empty", r.at(key), "give at least one expression");
  } else {
    c.functions = {r.string(key, true, "", "give the function as an expression, e.g. \"log(x1) + x1*x2\"")};
  }
  c.variables = r.strings("variables", false, "give the variable names in order, e.g. [\"x\", \"y\"]");
  // Parse every expression now, so a typo stops the grader before anything runs.
  std::size_t arity = c.variables.size();
  for (std::size_t i = 0; i < c.functions.size(); ++i) {
    const std::string where = many ? r.field(key) + "[" + std::to_string(i) + "]" : r.field(key);
    try {
      const Expression e = Expression::parse(c.functions[i], c.variables);
      arity = std::max(arity, e.arity());
    } catch (const GraderError& e) {
      throw GraderError(r.file().string() + ": \"" + where + "\": " + e.what());
    }
  }
  if (arity == 0)
    r.fail(r.field(key), "does not depend on any variable", r.at(key), "use at least one variable such as x1");
  c.arity = arity;
}

/// A chosen point never sits on a kink (abs or relu at 0) unless the case is
/// about the kink and states the rule expected there ("kink"); a case that
/// states one has a point on a kink. (Random points land on one with
/// probability 0; finite differences step around a kink nearby.)
void check_kinks(const ObjectReader& r, CaseSpec& c) {
  if (r.has("kink")) {
    c.kink = r.string("kink", false, "", "");
    if (c.kink != "zero" && c.kink != "left" && c.kink != "right")
      r.fail(r.field("kink"), "is not a rule at a kink", r.at("kink"),
             "use \"zero\" (abs'(0) = relu'(0) = 0, the course's convention), \"left\" or \"right\" (the one-sided "
             "derivative)");
  }
  bool any_on_kink = false;
  for (std::size_t i = 0; i < c.at.size(); ++i)
    for (const std::string& text : c.functions) {
      const std::string kink = kink_at(Expression::parse(text, c.variables), c.at[i]);
      if (kink.empty()) continue;
      any_on_kink = true;
      if (c.kink.empty())
        r.fail(r.field("at") + "[" + std::to_string(i) + "]", "sits on a kink of \"" + text + "\" (" + kink + ")",
               r.at("at")[i],
               "move the point off the kink, or, if the case is about the kink, state the rule expected there with "
               "\"kink\": \"zero\", \"left\" or \"right\"");
    }
  if (!c.kink.empty() && !any_on_kink)
    r.fail(r.field("kink"), "is given but no point of \"at\" sits on a kink", r.at("kink"),
           "remove \"kink\", or add a point where the argument of abs or relu is exactly 0");
}

/// The fields of a complexity case (see problems/README.md).
void read_complexity(const ObjectReader& r, CaseSpec& c) {
  c.mode = r.string("mode", true, "", "say which mode is timed: \"reverse\" (ad::gradient) or \"forward\" (ad::jacobian_forward)");
  if (c.mode != "forward" && c.mode != "reverse")
    r.fail(r.field("mode"), "must be \"forward\" or \"reverse\"", r.at("mode"), "");
  c.graph = r.string("graph", true, "", "say which graphs grow: \"chain\" (input width) or \"diamonds\" (depth)");
  if (c.graph != "chain" && c.graph != "diamonds")
    r.fail(r.field("graph"), "must be \"chain\" or \"diamonds\"", r.at("graph"), "");
  const std::string sizes_fix = "give 2 to 12 ascending whole numbers, e.g. [4, 16, 64, 256]";
  if (!r.has("sizes")) r.fail_missing("sizes", sizes_fix);
  const json& v = r.at("sizes");
  const long long top = c.graph == "chain" ? 4096 : 100000;
  if (!v.is_array() || v.size() < 2 || v.size() > 12) r.fail(r.field("sizes"), "must be an array of 2 to 12 sizes", v, sizes_fix);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number_unsigned() || v[i].get<long long>() < 1 || v[i].get<long long>() > top)
      r.fail(r.field("sizes") + "[" + std::to_string(i) + "]", "must be a whole number from 1 to " + std::to_string(top), v[i],
             sizes_fix);
    c.sizes.push_back(v[i].get<std::size_t>());
    if (i > 0 && c.sizes[i] <= c.sizes[i - 1])
      r.fail(r.field("sizes"), "must be strictly ascending", v, "sort the sizes and drop repeats");
  }
  for (const char* key : {"width", "layers", "outputs"})
    if (c.graph != "chain" && r.has(key))
      r.fail(r.field(key), "is only for \"graph\": \"chain\"", r.at(key), "remove it");
  c.width = static_cast<std::size_t>(r.integer("width", false, 8, 1, 1024, "give the interior width, 1 to 1024"));
  c.layers = static_cast<std::size_t>(r.integer("layers", false, 4, 1, 64, "give the number of layers, 1 to 64"));
  c.outputs = static_cast<std::size_t>(r.integer("outputs", false, 1, 1, 1024, "give the output width, 1 to 1024"));
  if (c.mode == "reverse" && c.outputs != 1)
    r.fail(r.field("outputs"), "must be 1 in reverse mode (what is timed is the gradient of a scalar output)",
           r.at("outputs"), "drop \"outputs\" or time forward mode");
  c.max_exponent = r.number("max_exponent", false, 0.5, 0.0, 4.0, true,
                            "give how fast the time may grow beside the reference's, e.g. 0.5");
  c.budget_seconds = r.number("budget_seconds", false, 1.0, 0.0, 600.0, true, "give the measuring budget in seconds, e.g. 1");
  c.repeats = static_cast<int>(r.integer("repeats", false, 5, 1, 51, "give the number of timed batches per size, 1 to 51"));
}

CaseSpec read_case(const json& j, std::size_t index, ProblemKind kind, const std::filesystem::path& file) {
  const std::string path = "cases[" + std::to_string(index) + "]";
  std::set<std::string> allowed = {"name", "weight", "visibility", "random"};
  switch (kind) {
    case ProblemKind::forward_gradient:
    case ProblemKind::reverse_gradient: allowed.insert({"function", "variables", "at", "kink"}); break;
    case ProblemKind::jacobian: allowed.insert({"functions", "variables", "at", "mode", "kink"}); break;
    case ProblemKind::vjp_add:
    case ProblemKind::vjp_scale: allowed.insert("shape"); break;
    case ProblemKind::vjp_matmul: allowed.insert({"x_shape", "w_shape"}); break;
    case ProblemKind::network_gradient: allowed.insert({"inputs", "hidden", "samples"}); break;
    case ProblemKind::network_step: allowed.insert({"inputs", "hidden", "samples", "learning_rate", "steps"}); break;
    case ProblemKind::complexity:
      allowed.insert({"mode", "graph", "sizes", "width", "layers", "outputs", "max_exponent", "budget_seconds", "repeats"});
      break;
  }
  ObjectReader r(j, path, file, allowed);
  CaseSpec c;
  c.name = r.string("name", true, "", "give every case a short name, e.g. \"product rule\"");
  if (c.name.empty()) r.fail(r.field("name"), "must not be empty", r.at("name"), "give the case a short name");
  c.weight = r.number("weight", false, 1.0, 0.0, 1e6, true, "use a positive weight (default 1)");
  if (r.has("visibility")) c.visibility = read_visibility(r, "visibility", Visibility::visible);
  if (r.has("random")) c.random = read_random(r.at("random"), r.field("random"), file);
  switch (kind) {
    case ProblemKind::forward_gradient:
    case ProblemKind::reverse_gradient:
    case ProblemKind::jacobian: {
      read_functions(r, c, kind == ProblemKind::jacobian);
      read_points(r, c);
      if (c.at.empty() && !c.random)
        r.fail(path, "has neither \"at\" nor \"random\"", j, "give points with \"at\" or draw them with \"random\"");
      check_kinks(r, c);
      if (kind == ProblemKind::jacobian) {
        c.mode = r.string("mode", false, "both", "");
        if (c.mode != "forward" && c.mode != "reverse" && c.mode != "both")
          r.fail(r.field("mode"), "must be \"forward\", \"reverse\" or \"both\"", r.at("mode"), "");
      }
      break;
    }
    case ProblemKind::vjp_add:
    case ProblemKind::vjp_scale: c.shape = r.shape("shape", "e.g. \"shape\": [3, 1] for a vector of 3"); break;
    case ProblemKind::vjp_matmul: {
      c.x_shape = r.shape("x_shape", "e.g. \"x_shape\": [2, 3]");
      c.w_shape = r.shape("w_shape", "e.g. \"w_shape\": [3, 4]");
      if (c.x_shape[1] != c.w_shape[0])
        r.fail(r.field("w_shape"), "must have as many rows as X has columns (" + std::to_string(c.x_shape[1]) + ")",
               r.at("w_shape"), "make x_shape [m, k] and w_shape [k, n]");
      break;
    }
    case ProblemKind::network_gradient:
    case ProblemKind::network_step: {
      c.inputs = static_cast<std::size_t>(r.integer("inputs", true, 0, 1, 256, "give the input width, 1 to 256"));
      c.hidden = static_cast<std::size_t>(r.integer("hidden", true, 0, 1, 256, "give the hidden width, 1 to 256"));
      c.samples = static_cast<std::size_t>(r.integer("samples", true, 0, 1, 4096, "give the sample count, 1 to 4096"));
      if (kind == ProblemKind::network_step) {
        c.learning_rate = r.number("learning_rate", true, 0.0, 0.0, 10.0, true, "give a learning rate such as 0.1");
        c.steps = static_cast<int>(r.integer("steps", false, 1, 1, 100, "take 1 to 100 steps"));
      }
      break;
    }
    case ProblemKind::complexity: read_complexity(r, c); break;
  }
  const bool needs_random = kind != ProblemKind::forward_gradient && kind != ProblemKind::reverse_gradient &&
                            kind != ProblemKind::jacobian && kind != ProblemKind::complexity;
  if (needs_random && !c.random)
    r.fail(path, "has no \"random\" block", j, "add \"random\": {\"trials\": 3, \"seed\": 1} to draw its inputs");
  return c;
}

json parse_json_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw GraderError(file.string() + ": cannot be read; check that the file exists and is readable");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw GraderError(file.string() + ": is not valid JSON: " + e.what() + "; fix the syntax (a JSON linter helps)");
  }
}

}  // namespace

std::string to_string(ProblemKind kind) {
  for (const auto& [name, k] : kinds())
    if (k == kind) return name;
  return "?";
}

ProblemSpec load_problem(const std::filesystem::path& file) {
  const json j = parse_json_file(file);
  ObjectReader r(j, "", file,
                 {"$schema", "id", "title", "order", "points", "kind", "exercises", "description", "visibility", "tolerance",
                  "limits", "cases"});
  ProblemSpec p;
  p.file = file;
  p.id = r.string("id", true, "", "give the problem an id equal to the file name without .json");
  if (!std::regex_match(p.id, std::regex("[a-z0-9][a-z0-9_]{0,63}")))
    r.fail("id", "must be 1-64 lowercase letters, digits or underscores", r.at("id"), "");
  if (p.id != file.stem().string())
    r.fail("id", "must equal the file name without .json (\"" + file.stem().string() + "\")", r.at("id"),
           "rename the file or the id");
  p.title = r.string("title", true, "", "give the problem a title for students");
  p.order = static_cast<int>(r.integer("order", false, 1000, 0, 1000000, "give a whole number; lower comes first"));
  p.points = r.number("points", true, 0.0, 0.0, 1e6, false, "give the points the problem is worth (>= 0)");
  const std::string kind = r.string("kind", true, "", "say what the problem exercises");
  if (kinds().count(kind) == 0) {
    std::string known;
    for (const auto& [name, k] : kinds()) known += (known.empty() ? "" : ", ") + name;
    r.fail("kind", "is not a known kind", r.at("kind"), "use one of: " + known);
  }
  p.kind = kinds().at(kind);
  p.exercises = r.strings("exercises", false, "list tags such as [\"forward-mode\"]");
  p.description = r.string("description", false, "", "");
  p.visibility = read_visibility(r, "visibility", Visibility::visible);
  if (r.has("tolerance")) {
    ObjectReader t(r.at("tolerance"), "tolerance", file, {"relative", "absolute"});
    p.tolerance.relative = t.number("relative", false, p.tolerance.relative, 0.0, 1.0, true,
                                    "use a relative tolerance > 0, e.g. 1e-9");
    p.tolerance.absolute = t.number("absolute", false, p.tolerance.absolute, 0.0, 1.0, false,
                                    "use an absolute tolerance >= 0, e.g. 1e-12");
  }
  if (r.has("limits")) {
    ObjectReader l(r.at("limits"), "limits", file,
                   {"cpu_seconds", "wall_seconds", "check_seconds", "check_cpu_seconds", "memory_mb", "output_kb"});
    p.limits.cpu_seconds = l.number("cpu_seconds", false, p.limits.cpu_seconds, 0.0, 3600, true, "");
    p.limits.wall_seconds = l.number("wall_seconds", false, p.limits.wall_seconds, 0.0, 3600, true, "");
    p.limits.check_seconds = l.number("check_seconds", false, p.limits.check_seconds, 0.0, 3600, true,
                                      "give the time one check may take in seconds, e.g. 1");
    if (l.has("check_cpu_seconds")) {
      p.limits.check_cpu_seconds = l.number("check_cpu_seconds", false, p.limits.check_cpu_seconds, 0.0, 3600, true,
                                            "give the CPU time one check may take in seconds, e.g. 0.25");
      if (p.limits.check_cpu_seconds > p.limits.check_seconds)
        l.fail("limits.check_cpu_seconds",
               "must be at most check_seconds (" + short_value(json(p.limits.check_seconds)) +
                   "): the check's wall-clock limit would end it first",
               l.at("check_cpu_seconds"), "lower check_cpu_seconds or raise check_seconds");
    }
    p.limits.memory_mb = static_cast<std::uint64_t>(l.integer("memory_mb", false, 1024, 16, 65536, ""));
    p.limits.output_kb = static_cast<std::uint64_t>(l.integer("output_kb", false, 64, 1, 65536, ""));
    if (p.limits.wall_seconds < p.limits.cpu_seconds) {
      // wall_seconds may be absent: then its default is what falls short of the cpu_seconds given.
      const bool given = l.has("wall_seconds");
      l.fail("limits.wall_seconds",
             std::string(given ? "" : "(the default) ") + "must be at least cpu_seconds (" +
                 short_value(json(p.limits.cpu_seconds)) + ")",
             given ? l.at("wall_seconds") : json(p.limits.wall_seconds), "raise wall_seconds or lower cpu_seconds");
    }
  }
  if (!r.has("cases")) r.fail_missing("cases", "give at least one case");
  const json& cases = r.at("cases");
  if (!cases.is_array() || cases.empty()) r.fail("cases", "must be a non-empty array", cases, "give at least one case");
  std::set<std::string> names;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    p.cases.push_back(read_case(cases[i], i, p.kind, file));
    if (!names.insert(p.cases.back().name).second)
      r.fail("cases[" + std::to_string(i) + "].name", "repeats the name of an earlier case", cases[i].at("name"),
             "give every case of a problem its own name");
  }
  return p;
}

std::vector<ProblemSpec> load_problems(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw GraderError(dir.string() + ": is not a folder of problem specs; pass --problems DIR");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw GraderError(dir.string() + ": holds no *.json problem specs; pass --problems DIR");
  std::vector<ProblemSpec> problems;
  for (const auto& f : files) problems.push_back(load_problem(f));
  std::stable_sort(problems.begin(), problems.end(), [](const ProblemSpec& a, const ProblemSpec& b) {
    return a.order < b.order || (a.order == b.order && a.id < b.id);
  });
  return problems;
}

std::vector<SpecIssue> validate_problems(const std::filesystem::path& dir) {
  std::vector<SpecIssue> issues;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    issues.push_back({dir, dir.string() + ": is not a folder of problem specs"});
    return issues;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) issues.push_back({dir, dir.string() + ": holds no *.json problem specs"});
  for (const auto& f : files) {
    try {
      load_problem(f);
    } catch (const GraderError& e) {
      issues.push_back({f, e.what()});
    }
  }
  return issues;
}

std::optional<std::string> visible_spec_text(const ProblemSpec& spec) {
  // A case is visible when its own visibility, or else the problem's, is "visible".
  json j = parse_json_file(spec.file);
  json kept = json::array();
  for (std::size_t i = 0; i < spec.cases.size(); ++i) {
    if (spec.cases[i].visibility.value_or(spec.visibility) != Visibility::visible) continue;
    json c = j.at("cases").at(i);
    c.erase("visibility");
    kept.push_back(std::move(c));
  }
  if (kept.empty()) return std::nullopt;
  j["cases"] = kept;
  j["visibility"] = "visible";
  return j.dump(2) + "\n";
}

}  // namespace grader
