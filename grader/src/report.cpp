#include "grader/report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "grader/fsutil.hpp"

namespace grader {
namespace {

using nlohmann::json;

/// A number as people read points: at most two decimals, no trailing zeros
/// ("37.5", "50", "0.33"). Callers pass finite numbers only.
std::string format_points(double value) {
  char buffer[64];
  // %.2f of a huge number would not fit the buffer; points are never that big
  // unless something is broken, and then the magnitude is what matters.
  if (std::fabs(value) >= 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text(buffer);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string format_seconds(double seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f", std::isfinite(seconds) ? seconds : 0.0);
  return buffer;
}

/// A finite stand-in for a number the judge should never have produced: a NaN
/// in a results file is rejected by Gradescope, and a silent 0 would hide the
/// fault, so the caller adds a note whenever `replaced` turns true.
double finite_or_zero(double value, bool& replaced) {
  if (std::isfinite(value)) return value;
  replaced = true;
  return 0.0;
}

/// Points for display with the same NaN rule as the results file.
std::string shown_points(double value, bool& replaced) {
  return format_points(finite_or_zero(value, replaced));
}

const char* const kNonFiniteNote =
    "Note: the grader produced a non-finite number (NaN or infinity) here; it is shown as 0. "
    "This is a fault of the grader, not of your submission; please tell the course staff.";

/// Every line of `text` prefixed by `prefix`; no trailing newline.
std::string indent(std::string_view text, std::string_view prefix) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (!out.empty() || start > 0) out += '\n';
    out += prefix;
    out.append(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

/// Child output made safe and short enough to show.
std::string shown_output(const std::string& raw) {
  std::string text = sanitize_utf8(truncate_text(raw, kShownOutputBytes));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

std::string test_display_name(const TestResult& test) {
  if (!test.name.empty()) return sanitize_utf8(test.name);
  if (!test.problem_id.empty()) return sanitize_utf8(test.problem_id);
  if (!test.number.empty()) return "Test " + sanitize_utf8(test.number);
  return "Unnamed test";
}

// ---------------------------------------------------------------- Gradescope

/// The text of one Gradescope test: summary, then every case with its verdict.
std::string gradescope_test_output(const TestResult& test, bool& replaced) {
  std::vector<std::string> blocks;
  if (!test.output.empty()) blocks.push_back(sanitize_utf8(test.output));
  if (!test.cases.empty()) {
    std::string cases;
    for (const CaseResult& c : test.cases) {
      if (!cases.empty()) cases += '\n';
      cases += (c.passed ? "✓ " : "✗ ") + sanitize_utf8(c.name);
      if (c.max_score != 0.0 || c.score != 0.0) {
        cases += " (" + shown_points(c.score, replaced) + " / " +
                 shown_points(c.max_score, replaced) + ")";
      }
      if (!c.message.empty()) cases += '\n' + indent(sanitize_utf8(c.message), "    ");
      if (!c.diagnosis.empty()) {
        cases += '\n' + indent("Likely mistake: " + sanitize_utf8(c.diagnosis), "    ");
      }
    }
    blocks.push_back(cases);
  }
  // Hidden tests may run on inputs the student must not learn, and a program
  // can print its inputs: their output stays with the staff.
  if (test.visibility == Visibility::visible) {
    if (!test.child_stdout.empty()) {
      blocks.push_back("Your program printed:\n" + shown_output(test.child_stdout));
    }
    if (!test.child_stderr.empty()) {
      blocks.push_back("Your program printed to stderr:\n" + shown_output(test.child_stderr));
    }
  }
  std::string out;
  for (const std::string& block : blocks) {
    if (!out.empty()) out += "\n\n";
    out += block;
  }
  return out;
}

json gradescope_test(const TestResult& test) {
  bool replaced = false;
  json j = json::object();
  j["name"] = test_display_name(test);
  if (!test.number.empty()) j["number"] = sanitize_utf8(test.number);
  j["score"] = finite_or_zero(test.score, replaced);
  j["max_score"] = finite_or_zero(test.max_score, replaced);
  j["status"] = test.passed ? "passed" : "failed";
  std::string output = gradescope_test_output(test, replaced);
  if (replaced) output = output.empty() ? kNonFiniteNote : output + "\n\n" + kNonFiniteNote;
  j["output"] = output;
  j["visibility"] = to_string(test.visibility);
  json tags = json::array();
  for (const std::string& tag : test.tags) tags.push_back(sanitize_utf8(tag));
  j["tags"] = tags;
  return j;
}

// ---------------------------------------------------------------- validation

const std::set<std::string> kVisibilities = {"visible", "hidden", "after_due_date",
                                             "after_published"};
const std::set<std::string> kFormats = {"text", "html", "simple_format", "md", "ansi"};
const std::set<std::string> kTopKeys = {
    "score",      "execution_time",    "output",     "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
    "leaderboard"};
const std::set<std::string> kTestKeys = {"score",  "max_score",     "status", "name",
                                         "name_format", "number", "output", "output_format",
                                         "tags",   "visibility",    "extra_data"};

/// A short rendering of an offending value for a violation message.
std::string describe(const json& value) {
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    const double v = value.get<double>();
    return std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
  }
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = truncate_text(text, 60);
  return text;
}

class Validator {
 public:
  std::vector<std::string> violations;

  void add(std::string message) { violations.push_back(std::move(message)); }

  /// Checks `object[key]`'s type when present (or reports it missing when required).
  /// Returns the value when it is present and of the right type.
  const json* field(const json& object, const std::string& where, const std::string& key,
                    bool required, json::value_t type) {
    const std::string name = where.empty() ? key : where + "." + key;
    const auto it = object.find(key);
    if (it == object.end()) {
      if (required) add(name + " is required");
      return nullptr;
    }
    const bool ok = type == json::value_t::number_float ? it->is_number()
                                                        : it->type() == type;
    if (!ok) {
      add(name + " must be " + type_words(type) + " (got " + it->type_name() + " " +
          describe(*it) + ")");
      return nullptr;
    }
    return &*it;
  }

  void one_of(const json& object, const std::string& where, const std::string& key,
              const std::set<std::string>& allowed) {
    const json* value = field(object, where, key, false, json::value_t::string);
    if (value == nullptr || allowed.count(value->get<std::string>()) != 0) return;
    std::string list;
    for (const std::string& option : allowed) list += (list.empty() ? "\"" : ", \"") + option + "\"";
    add((where.empty() ? key : where + "." + key) + " must be one of " + list + " (got " +
        describe(*value) + ")");
  }

  void unknown_keys(const json& object, const std::string& where,
                    const std::set<std::string>& known) {
    for (const auto& item : object.items()) {
      if (known.count(item.key()) == 0) {
        add((where.empty() ? "" : where + ": ") + "unknown key \"" + item.key() +
            "\" (not in Gradescope's results format; check its spelling)");
      }
    }
  }

  /// NaN and infinity are not JSON; invalid UTF-8 makes json::dump throw.
  void walk(const json& value, const std::string& where) {
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      add(where + " must be a finite number (got " + describe(value) + ")");
    } else if (value.is_string() && !is_valid_utf8(value.get_ref<const std::string&>())) {
      add(where + " must be valid UTF-8");
    } else if (value.is_object()) {
      for (const auto& item : value.items()) {
        if (!is_valid_utf8(item.key())) add(where + " has a key that is not valid UTF-8");
        walk(item.value(), where.empty() ? item.key() : where + "." + item.key());
      }
    } else if (value.is_array()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        walk(value[i], where + "[" + std::to_string(i) + "]");
      }
    }
  }

  void test(const json& t, const std::string& where) {
    if (!t.is_object()) {
      add(where + " must be an object (got " + t.type_name() + ")");
      return;
    }
    unknown_keys(t, where, kTestKeys);
    if (const json* name = field(t, where, "name", true, json::value_t::string)) {
      if (name->get_ref<const std::string&>().empty()) add(where + ".name must not be empty");
    }
    field(t, where, "score", false, json::value_t::number_float);
    field(t, where, "max_score", false, json::value_t::number_float);
    one_of(t, where, "status", {"passed", "failed"});
    field(t, where, "number", false, json::value_t::string);
    field(t, where, "output", false, json::value_t::string);
    one_of(t, where, "output_format", kFormats);
    one_of(t, where, "name_format", kFormats);
    one_of(t, where, "visibility", kVisibilities);
    field(t, where, "extra_data", false, json::value_t::object);
    if (const json* tags = field(t, where, "tags", false, json::value_t::array)) {
      for (std::size_t i = 0; i < tags->size(); ++i) {
        if (!(*tags)[i].is_string()) {
          add(where + ".tags[" + std::to_string(i) + "] must be a string (got " +
              (*tags)[i].type_name() + ")");
        }
      }
    }
  }

  void leaderboard_entry(const json& e, const std::string& where) {
    if (!e.is_object()) {
      add(where + " must be an object (got " + e.type_name() + ")");
      return;
    }
    field(e, where, "name", true, json::value_t::string);
    const auto value = e.find("value");
    if (value == e.end()) {
      add(where + ".value is required");
    } else if (!value->is_number() && !value->is_string()) {
      add(where + ".value must be a number or a string (got " + value->type_name() + ")");
    }
    one_of(e, where, "order", {"asc", "desc"});
  }

 private:
  static std::string type_words(json::value_t type) {
    switch (type) {
      case json::value_t::string: return "a string";
      case json::value_t::array: return "an array";
      case json::value_t::object: return "an object";
      case json::value_t::number_float: return "a number";
      default: return "of another type";
    }
  }
};

// ---------------------------------------------------------------- JUnit

/// `text` as XML character data or attribute value: valid UTF-8 without the
/// control characters XML 1.0 forbids, markup characters escaped.
std::string xml_escape(std::string_view text, bool attribute) {
  const std::string clean = sanitize_utf8(text);
  std::string out;
  out.reserve(clean.size());
  for (std::size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    // U+FFFE and U+FFFF are valid UTF-8 but not XML characters.
    if (c == '\xEF' && i + 2 < clean.size() && clean[i + 1] == '\xBF' &&
        (clean[i + 2] == '\xBE' || clean[i + 2] == '\xBF')) {
      out += "\xEF\xBF\xBD";
      i += 2;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      // Attribute normalization would turn raw newlines and tabs into spaces.
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      default: out += c;
    }
  }
  return out;
}

std::string attr(const std::string& name, std::string_view value) {
  return " " + name + "=\"" + xml_escape(value, true) + "\"";
}

/// The body of a <failure>: everything a person needs to see why it failed.
std::string case_failure_text(const CaseResult& c) {
  std::string text = c.message;
  if (!c.diagnosis.empty()) text += (text.empty() ? "" : "\n") + ("Likely mistake: " + c.diagnosis);
  return text;
}

struct JunitCase {
  std::string name;
  bool failed = false;
  std::string message;
  std::string text;
};

// ---------------------------------------------------------------- terminal

struct Palette {
  std::string green, red, yellow, bold, reset;
  explicit Palette(bool color) {
    if (!color) return;
    green = "\x1b[32m";
    red = "\x1b[31m";
    yellow = "\x1b[33m";
    bold = "\x1b[1m";
    reset = "\x1b[0m";
  }
};

}  // namespace

// ---------------------------------------------------------------- public API

nlohmann::json to_gradescope_json(const GradeReport& report) {
  bool replaced = false;
  json j = json::object();
  j["score"] = finite_or_zero(report.score, replaced);
  j["execution_time"] = finite_or_zero(report.execution_time, replaced);
  std::string output = sanitize_utf8(report.output);
  if (replaced) output = output.empty() ? kNonFiniteNote : output + "\n\n" + kNonFiniteNote;
  j["output"] = output;
  j["visibility"] = "visible";
  // The grader's own stdout is for staff debugging, never for students.
  j["stdout_visibility"] = "hidden";
  json tests = json::array();
  for (const TestResult& test : report.tests) tests.push_back(gradescope_test(test));
  j["tests"] = tests;
  j["extra_data"] = {{"seed", report.seed},
                     {"grader_error", report.grader_error},
                     {"run_seconds", finite_or_zero(report.run_seconds, replaced)}};
  if (!report.staff_notes.empty()) {
    json notes = json::array();
    for (const std::string& n : report.staff_notes) notes.push_back(sanitize_utf8(n));
    j["extra_data"]["staff_notes"] = notes;
  }
  return j;
}

std::vector<std::string> validate_gradescope_json(const nlohmann::json& results) {
  Validator v;
  if (!results.is_object()) {
    v.add(std::string("the results must be a JSON object (got ") + results.type_name() + ")");
    return v.violations;
  }
  v.walk(results, "");
  v.unknown_keys(results, "", kTopKeys);
  // Gradescope would sum the tests' scores when "score" is absent; ours always
  // states it, so its absence means a broken writer.
  v.field(results, "", "score", true, json::value_t::number_float);
  v.field(results, "", "execution_time", false, json::value_t::number_float);
  v.field(results, "", "output", false, json::value_t::string);
  v.one_of(results, "", "output_format", kFormats);
  v.one_of(results, "", "test_output_format", kFormats);
  v.one_of(results, "", "test_name_format", kFormats);
  v.one_of(results, "", "visibility", kVisibilities);
  v.one_of(results, "", "stdout_visibility", kVisibilities);
  v.field(results, "", "extra_data", false, json::value_t::object);
  if (const json* tests = v.field(results, "", "tests", false, json::value_t::array)) {
    for (std::size_t i = 0; i < tests->size(); ++i) {
      v.test((*tests)[i], "tests[" + std::to_string(i) + "]");
    }
  }
  if (const json* board = v.field(results, "", "leaderboard", false, json::value_t::array)) {
    for (std::size_t i = 0; i < board->size(); ++i) {
      v.leaderboard_entry((*board)[i], "leaderboard[" + std::to_string(i) + "]");
    }
  }
  return v.violations;
}

void write_gradescope(const GradeReport& report, const std::filesystem::path& path) {
  // replace: strings are already sanitized; this only guards against a future slip.
  write_file_atomically(
      path, to_gradescope_json(report).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

std::string to_junit_xml(const GradeReport& report) {
  std::string suites;
  std::size_t total_tests = 0;
  std::size_t total_failures = 0;
  std::size_t total_errors = 0;
  for (const TestResult& test : report.tests) {
    std::vector<JunitCase> cases;
    bool any_case_failed = false;
    for (const CaseResult& c : test.cases) {
      JunitCase jc{c.name.empty() ? test_display_name(test) : c.name, !c.passed, {}, {}};
      if (!c.passed) {
        any_case_failed = true;
        jc.message = first_line(c.message.empty() ? "failed" : c.message);
        jc.text = case_failure_text(c);
      }
      cases.push_back(jc);
    }
    // A problem can fail with no failed case (it crashed before any case, or
    // it has no cases, like "compilation"): CI must still show a failure.
    if (cases.empty() || (!test.passed && !any_case_failed)) {
      JunitCase jc{test_display_name(test), !test.passed, {}, {}};
      if (!test.passed) {
        jc.message = first_line(test.output.empty() ? "failed" : test.output);
        jc.text = test.output;
      }
      cases.push_back(jc);
    }
    std::size_t failures = 0;
    for (const JunitCase& jc : cases) failures += jc.failed ? 1 : 0;
    total_tests += cases.size();
    total_failures += failures;

    bool replaced = false;
    const std::string suite_name =
        (test.number.empty() ? "" : test.number + ". ") + test_display_name(test);
    suites += "  <testsuite" + attr("name", suite_name) +
              attr("tests", std::to_string(cases.size())) +
              attr("failures", std::to_string(failures)) + attr("errors", "0") +
              attr("skipped", "0") + attr("time", format_seconds(test.seconds)) + ">\n";
    suites += "    <properties>\n";
    suites += "      <property" + attr("name", "problem_id") + attr("value", test.problem_id) + "/>\n";
    suites += "      <property" + attr("name", "score") +
              attr("value", shown_points(test.score, replaced)) + "/>\n";
    suites += "      <property" + attr("name", "max_score") +
              attr("value", shown_points(test.max_score, replaced)) + "/>\n";
    suites += "      <property" + attr("name", "visibility") +
              attr("value", to_string(test.visibility)) + "/>\n";
    suites += "      <property" + attr("name", "seed") + attr("value", std::to_string(report.seed)) +
              "/>\n";
    if (replaced) suites += "      <property" + attr("name", "note") + attr("value", kNonFiniteNote) + "/>\n";
    suites += "    </properties>\n";
    // The sandbox times a problem, not a case; spreading its time evenly keeps
    // the sums right for CI readers that add up case times.
    const double case_seconds =
        std::isfinite(test.seconds) ? test.seconds / static_cast<double>(cases.size()) : 0.0;
    const std::string classname = "adcourse." + test.problem_id;
    for (const JunitCase& jc : cases) {
      suites += "    <testcase" + attr("classname", classname) + attr("name", jc.name) +
                attr("time", format_seconds(case_seconds));
      if (!jc.failed) {
        suites += "/>\n";
        continue;
      }
      suites += ">\n      <failure" + attr("message", jc.message) + attr("type", "failed") + ">" +
                xml_escape(jc.text, false) + "</failure>\n    </testcase>\n";
    }
    // Same rule as for Gradescope: what hidden tests' programs print stays out.
    if (test.visibility == Visibility::visible && !test.child_stdout.empty()) {
      suites += "    <system-out>" + xml_escape(shown_output(test.child_stdout), false) +
                "</system-out>\n";
    }
    if (test.visibility == Visibility::visible && !test.child_stderr.empty()) {
      suites += "    <system-err>" + xml_escape(shown_output(test.child_stderr), false) +
                "</system-err>\n";
    }
    suites += "  </testsuite>\n";
  }
  if (report.grader_error) {
    total_tests += 1;
    total_errors += 1;
    suites += "  <testsuite" + attr("name", "grader") + attr("tests", "1") + attr("failures", "0") +
              attr("errors", "1") + attr("skipped", "0") + attr("time", "0.000") + ">\n";
    suites += "    <testcase" + attr("classname", "adcourse.grader") + attr("name", "grader") +
              attr("time", "0.000") + ">\n      <error" +
              attr("message", first_line(report.output.empty() ? "grader error" : report.output)) +
              attr("type", "GraderError") + ">" + xml_escape(report.output, false) +
              "</error>\n    </testcase>\n  </testsuite>\n";
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += "<testsuites" + attr("name", "adcourse " + report.submission) +
         attr("tests", std::to_string(total_tests)) +
         attr("failures", std::to_string(total_failures)) +
         attr("errors", std::to_string(total_errors)) +
         attr("time", format_seconds(report.execution_time)) + ">\n";
  xml += suites;
  xml += "</testsuites>\n";
  return xml;
}

void write_junit(const GradeReport& report, const std::filesystem::path& path) {
  write_file_atomically(path, to_junit_xml(report));
}

void print_terminal(const GradeReport& report, std::ostream& out,
                    const TerminalOptions& options) {
  const Palette p(options.color);
  bool replaced = false;
  const auto shown = [&](const TestResult& t) {
    return options.show_hidden || t.visibility == Visibility::visible;
  };

  out << p.bold << "Submission: " << sanitize_utf8(report.submission) << p.reset << '\n';
  const double score = finite_or_zero(report.score, replaced);
  const double max_score = finite_or_zero(report.max_score, replaced);
  const std::string& score_color =
      score >= max_score && max_score > 0 ? p.green : (score > 0 ? p.yellow : p.red);
  out << p.bold << "Score: " << score_color << format_points(score) << " / "
      << format_points(max_score) << p.reset << '\n';
  if (report.grader_error) {
    out << p.red << p.bold << "Grader error" << p.reset
        << " (a fault of the grader, not of the submission):\n";
  }
  if (!report.output.empty()) out << indent(sanitize_utf8(report.output), "  ") << '\n';
  out << '\n';

  // Points go first, padded to one width, so that names line up whatever their script.
  std::size_t width = 0;
  for (const TestResult& t : report.tests) {
    if (!shown(t)) continue;
    bool ignored = false;
    width = std::max(width, (shown_points(t.score, ignored) + " / " +
                             shown_points(t.max_score, ignored)).size());
  }

  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t hidden = 0;
  for (const TestResult& t : report.tests) {
    if (!shown(t)) {
      ++hidden;
      continue;
    }
    (t.passed ? passed : failed) += 1;
    bool test_replaced = false;
    std::string points =
        shown_points(t.score, test_replaced) + " / " + shown_points(t.max_score, test_replaced);
    points.insert(0, width - points.size(), ' ');
    out << "  " << (t.passed ? p.green + "✓" : p.red + "✗") << p.reset << ' ' << points << "  "
        << (t.number.empty() ? "" : sanitize_utf8(t.number) + ". ") << test_display_name(t);
    if (t.visibility != Visibility::visible) out << " [" << to_string(t.visibility) << ']';
    out << '\n';
    if (!t.passed && !t.output.empty()) out << indent(sanitize_utf8(t.output), "      ") << '\n';
    for (const CaseResult& c : t.cases) {
      if (c.passed) continue;
      out << "      " << p.red << "✗" << p.reset << ' ' << sanitize_utf8(c.name);
      if (c.max_score != 0.0 || c.score != 0.0) {
        out << " (" << shown_points(c.score, test_replaced) << " / "
            << shown_points(c.max_score, test_replaced) << ')';
      }
      out << '\n';
      if (!c.message.empty()) out << indent(sanitize_utf8(c.message), "          ") << '\n';
      if (!c.diagnosis.empty()) {
        out << "          " << p.yellow << "Likely mistake: " << p.reset
            << indent(sanitize_utf8(c.diagnosis), "          ").substr(10) << '\n';
      }
    }
    if (options.show_output && !t.child_stdout.empty()) {
      out << "      Your program printed:\n"
          << indent(shown_output(t.child_stdout), "        ") << '\n';
    }
    if (options.show_output && !t.child_stderr.empty()) {
      out << "      Your program printed to stderr:\n"
          << indent(shown_output(t.child_stderr), "        ") << '\n';
    }
    if (test_replaced) out << "      " << p.yellow << kNonFiniteNote << p.reset << '\n';
  }
  if (replaced) out << p.yellow << kNonFiniteNote << p.reset << '\n';
  if (options.show_hidden && !report.staff_notes.empty()) {
    out << '\n' << p.yellow << "Notes for staff:" << p.reset << '\n';
    for (const std::string& n : report.staff_notes) out << "  - " << sanitize_utf8(n) << '\n';
  }

  out << '\n' << p.green << passed << " passed" << p.reset << ", "
      << (failed > 0 ? p.red : std::string()) << failed << " failed"
      << (failed > 0 ? p.reset : std::string());
  if (hidden > 0) {
    out << ", " << hidden << (hidden == 1 ? " hidden test" : " hidden tests") << " not shown";
  }
  out << '\n';
}

bool want_color(int fd) {
  if (::isatty(fd) == 0) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string_view(term) != "dumb";
}

}  // namespace grader
