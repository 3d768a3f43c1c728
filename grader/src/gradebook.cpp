// The gradebook: records of graded submissions in, CSV, summary and histogram out.
#include "grader/gradebook.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <set>
#include <sstream>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/sandbox.hpp"

namespace grader {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kRecordFormat = "adcourse-record/1";
constexpr const char* kHiddenSuffix = " (hidden cases)";

/// The grade report's pseudo-tests that are not problems (no points of their own).
bool is_problem(const TestResult& t) {
  return t.problem_id != "compilation" && t.problem_id != "grader" && t.problem_id != "upload";
}

/// Whether a message comes from a run stopped at its CPU or wall-clock limit
/// (the wording of RunOutcome::describe() and of grade's "ran out of time twice").
bool says_timed_out(const std::string& message) {
  return message.find("ran out of time") != std::string::npos || message.find(" s of CPU time") != std::string::npos;
}

std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t") != std::string::npos) return line;
  return "";
}

/// The compiler's first line that says "error", else its first line.
std::string first_error_line(const std::string& errors) {
  std::istringstream in(errors);
  std::string line;
  while (std::getline(in, line))
    if (line.find("error") != std::string::npos) return line;
  return first_line(errors);
}

/// Points as people write them: 12.5, 15, 0.3333.
std::string points(double value) {
  if (!std::isfinite(value)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", value);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

/// A CSV cell: quoted when it holds a separator, a quote or a line break; a
/// text starting like a formula gets a leading quote so that a spreadsheet
/// shows it instead of running it (a name such as "=HYPERLINK(...)").
std::string csv_cell(const std::string& raw, bool text) {
  std::string value = sanitize_utf8(raw);
  if (text && !value.empty() && std::string("=+-@\t\r").find(value.front()) != std::string::npos)
    value = "'" + value;
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

/// Text for one line of Markdown: control characters and line breaks become
/// spaces, and characters with a meaning in Markdown are escaped.
std::string md(const std::string& raw, std::size_t max_bytes = 300) {
  std::string out;
  for (char c : truncate_text(sanitize_utf8(raw), max_bytes)) {
    if (c == '\n' || c == '\t') {
      out += ' ';
      continue;
    }
    // Not '_': GitHub's Markdown leaves it alone inside words such as problem ids.
    if (std::string("\\`*[]<>|#").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return 0.0;
  double sum = 0.0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

std::string percent(std::size_t part, std::size_t whole) {
  if (whole == 0) return "0%";
  return std::to_string(static_cast<long>(std::lround(100.0 * static_cast<double>(part) / static_cast<double>(whole)))) + "%";
}

/// One row of the gradebook: a student and the submission that counts for them.
struct Row {
  const Submitter* who;
  const StudentRecord* record;
};

std::vector<Row> rows_of(const Gradebook& book) {
  std::vector<Row> rows;
  for (const StudentRecord& r : book.records)
    for (const Submitter& s : r.submitters) rows.push_back({&s, &r});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.who->id < b.who->id; });
  return rows;
}

double score_of(const StudentRecord& r, const std::string& problem_id) {
  for (const ProblemScore& p : r.problems)
    if (p.id == problem_id) return p.score;
  return 0.0;
}

bool passed(const StudentRecord& r, const std::string& problem_id) {
  for (const ProblemScore& p : r.problems)
    if (p.id == problem_id) return p.passed;
  return false;
}

std::string ids_of(const StudentRecord& r) {
  std::string out;
  for (const Submitter& s : r.submitters) out += (out.empty() ? "" : ", ") + s.id;
  return out;
}

double max_total(const Gradebook& book) {
  double best = 0.0;
  for (const StudentRecord& r : book.records) best = std::max(best, r.max_score);
  if (best <= 0.0)
    for (const ProblemScore& p : book.problems) best += p.max_score;
  return best;
}

std::string find_gnuplot() {
  for (const char* p : {"/usr/bin/gnuplot", "/usr/local/bin/gnuplot", "/bin/gnuplot"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) return p;
  }
  return "";
}

}  // namespace

std::string to_string(RecordStatus status) {
  switch (status) {
    case RecordStatus::graded: return "graded";
    case RecordStatus::compile_error: return "compile_error";
    case RecordStatus::not_graded: return "not_graded";
  }
  return "not_graded";
}

StudentRecord make_record(const GradeReport& report) {
  StudentRecord r;
  r.score = report.score;
  r.max_score = report.max_score;
  r.seconds = report.execution_time;
  r.graded_at = now_utc();
  std::map<std::string, std::size_t> index;
  for (const TestResult& t : report.tests) {
    if (t.problem_id == "compilation") {
      r.status = RecordStatus::compile_error;
      const std::string marker = "The compiler said:\n";
      const auto at = t.output.find(marker);
      r.message = first_error_line(at == std::string::npos ? t.output : t.output.substr(at + marker.size()));
    }
    if (t.problem_id == "grader" || t.problem_id == "upload") {
      r.status = RecordStatus::not_graded;
      r.message = first_line(t.output);
    }
    if (!is_problem(t)) continue;
    auto [it, fresh] = index.emplace(t.problem_id, r.problems.size());
    if (fresh) {
      ProblemScore p;
      p.id = t.problem_id;
      p.title = t.name;
      if (p.title.size() > std::string(kHiddenSuffix).size() &&
          p.title.compare(p.title.size() - std::string(kHiddenSuffix).size(), std::string::npos, kHiddenSuffix) == 0)
        p.title.erase(p.title.size() - std::string(kHiddenSuffix).size());
      p.passed = true;
      r.problems.push_back(p);
    }
    ProblemScore& p = r.problems[it->second];
    p.score += t.score;
    p.max_score += t.max_score;
    p.passed = p.passed && t.passed;
    for (const CaseResult& c : t.cases) {
      if (!c.passed) r.failed_cases.push_back(p.title + " / " + c.name);
      if (says_timed_out(c.message)) r.timed_out = true;
    }
  }
  if (report.grader_error) r.status = RecordStatus::not_graded;
  if (r.status == RecordStatus::not_graded && r.message.empty()) r.message = first_line(report.output);
  return r;
}

json to_json(const StudentRecord& r) {
  json submitters = json::array();
  for (const Submitter& s : r.submitters)
    submitters.push_back({{"id", sanitize_utf8(s.id)}, {"name", sanitize_utf8(s.name)}, {"email", sanitize_utf8(s.email)}});
  json problems = json::array();
  for (const ProblemScore& p : r.problems)
    problems.push_back({{"id", p.id}, {"title", sanitize_utf8(p.title)}, {"score", std::isfinite(p.score) ? p.score : 0.0},
                        {"max_score", std::isfinite(p.max_score) ? p.max_score : 0.0}, {"passed", p.passed}});
  json failed = json::array();
  for (const std::string& c : r.failed_cases) failed.push_back(sanitize_utf8(c));
  return {{"format", kRecordFormat},
          {"key", r.key},
          {"source", sanitize_utf8(r.source)},
          {"submitters", submitters},
          {"fingerprint", r.fingerprint},
          {"config", r.config},
          {"score", std::isfinite(r.score) ? r.score : 0.0},
          {"max_score", std::isfinite(r.max_score) ? r.max_score : 0.0},
          {"problems", problems},
          {"failed_cases", failed},
          {"status", to_string(r.status)},
          {"timed_out", r.timed_out},
          {"message", sanitize_utf8(r.message)},
          {"seconds", std::isfinite(r.seconds) ? r.seconds : 0.0},
          {"graded_at", r.graded_at}};
}

namespace {

/// A string field that may be absent ("" then). Not json::value(key, ""):
/// inlined at -O2, GCC 12 warns of a null dereference inside it (a false
/// positive), and a field of another type would throw a type_error there.
std::string optional_string(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? std::string() : it->get<std::string>();
}

}  // namespace

StudentRecord record_from_json(const json& j, const std::string& file) {
  const std::string fix = "; delete the file to grade that submission again";
  if (!j.is_object() || !j.contains("format") || j.at("format") != json(kRecordFormat))
    throw GraderError(file + ": \"format\" must be \"" + kRecordFormat + "\" (got " +
                      (j.is_object() && j.contains("format") ? j["format"].dump() : std::string("nothing")) + ")" + fix);
  try {
    StudentRecord r;
    r.key = j.at("key").get<std::string>();
    r.source = j.at("source").get<std::string>();
    for (const json& s : j.at("submitters"))
      r.submitters.push_back({s.at("id").get<std::string>(), optional_string(s, "name"), optional_string(s, "email")});
    r.fingerprint = j.at("fingerprint").get<std::string>();
    r.config = j.at("config").get<std::string>();
    r.score = j.at("score").get<double>();
    r.max_score = j.at("max_score").get<double>();
    for (const json& p : j.at("problems"))
      r.problems.push_back({p.at("id").get<std::string>(), p.at("title").get<std::string>(), p.at("score").get<double>(),
                            p.at("max_score").get<double>(), p.at("passed").get<bool>()});
    for (const json& c : j.at("failed_cases")) r.failed_cases.push_back(c.get<std::string>());
    const std::string status = j.at("status").get<std::string>();
    if (status == "graded") r.status = RecordStatus::graded;
    else if (status == "compile_error") r.status = RecordStatus::compile_error;
    else if (status == "not_graded") r.status = RecordStatus::not_graded;
    else throw GraderError(file + ": \"status\" must be \"graded\", \"compile_error\" or \"not_graded\" (got \"" + status + "\")" + fix);
    r.timed_out = j.at("timed_out").get<bool>();
    r.message = j.at("message").get<std::string>();
    r.seconds = j.at("seconds").get<double>();
    r.graded_at = j.at("graded_at").get<std::string>();
    if (r.key.empty()) throw GraderError(file + ": \"key\" must not be empty" + fix);
    if (r.submitters.empty()) r.submitters.push_back({r.key, "", ""});
    return r;
  } catch (const json::exception& e) {
    throw GraderError(file + ": not a batch record (" + e.what() + ")" + fix);
  }
}

fs::path student_dir(const fs::path& batch_dir, const std::string& key) { return batch_dir / "students" / key; }

Gradebook load_gradebook(const std::vector<fs::path>& dirs) {
  Gradebook book;
  std::map<std::string, std::pair<StudentRecord, fs::path>> by_key;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir / "students", ec))
      throw GraderError("\"" + dir.string() + "\" is not a batch folder (it has no students/ folder); pass folders "
                        "written by `grader batch --out DIR`");
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(dir / "students", ec))
      if (e.is_directory()) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    std::size_t unfinished = 0;
    for (const fs::path& entry : entries) {
      const fs::path file = entry / "record.json";
      if (!fs::exists(file, ec)) {
        ++unfinished;
        continue;
      }
      StudentRecord r;
      try {
        r = record_from_json(json::parse(read_file(file)), file.string());
      } catch (const json::exception& e) {
        book.warnings.push_back(file.string() + ": not valid JSON (" + e.what() + "); skipped: delete it and rerun "
                                "`grader batch` to grade that submission again");
        continue;
      } catch (const GraderError& e) {
        book.warnings.push_back(std::string(e.what()) + "; skipped");
        continue;
      }
      const std::string key = r.key;  // not r.key: the pair below is made by moving r
      auto found = by_key.find(key);
      if (found == by_key.end()) {
        by_key.emplace(key, std::make_pair(std::move(r), dir));
        continue;
      }
      const bool newer = r.graded_at > found->second.first.graded_at;
      book.warnings.push_back("submission \"" + r.key + "\" was graded in both \"" + found->second.second.string() +
                              "\" and \"" + dir.string() + "\": kept the one graded last (" +
                              (newer ? r.graded_at : found->second.first.graded_at) + ")");
      if (newer) found->second = std::make_pair(std::move(r), dir);
    }
    if (unfinished > 0)
      book.warnings.push_back(std::to_string(unfinished) + " submission(s) in \"" + dir.string() +
                              "\" have no record yet (grading was interrupted or is running): rerun `grader batch` "
                              "with the same arguments to finish them");
  }
  // A student in two submissions counts once: with the one graded last.
  std::vector<StudentRecord> records;
  for (auto& [key, entry] : by_key) records.push_back(std::move(entry.first));
  std::sort(records.begin(), records.end(),
            [](const StudentRecord& a, const StudentRecord& b) { return a.graded_at > b.graded_at; });
  std::map<std::string, std::string> owner;
  for (StudentRecord& r : records) {
    std::vector<Submitter> kept;
    for (const Submitter& s : r.submitters) {
      auto [it, fresh] = owner.emplace(s.id, r.key);
      if (fresh) {
        kept.push_back(s);
      } else {
        book.warnings.push_back("student \"" + s.id + "\" is in submissions \"" + it->second + "\" and \"" + r.key +
                                "\": the gradebook counts \"" + it->second + "\", graded last");
      }
    }
    r.submitters = std::move(kept);
  }
  records.erase(std::remove_if(records.begin(), records.end(), [](const StudentRecord& r) { return r.submitters.empty(); }),
                records.end());
  std::sort(records.begin(), records.end(), [](const StudentRecord& a, const StudentRecord& b) { return a.key < b.key; });
  // Columns: the problems in the order of the record that has the most, then any other.
  const StudentRecord* widest = nullptr;
  for (const StudentRecord& r : records)
    if (widest == nullptr || r.problems.size() > widest->problems.size()) widest = &r;
  std::map<std::string, std::size_t> column;
  const auto add_columns = [&](const StudentRecord& r) {
    for (const ProblemScore& p : r.problems) {
      auto [it, fresh] = column.emplace(p.id, book.problems.size());
      if (fresh) {
        ProblemScore c;
        c.id = p.id;
        c.title = p.title;
        book.problems.push_back(c);
      }
      book.problems[it->second].max_score = std::max(book.problems[it->second].max_score, p.max_score);
    }
  };
  if (widest != nullptr) add_columns(*widest);
  for (const StudentRecord& r : records) add_columns(r);
  book.records = std::move(records);
  return book;
}

std::string gradebook_csv(const Gradebook& book) {
  std::string out = "student_id,name,email,submission";
  for (const ProblemScore& p : book.problems) out += "," + csv_cell(p.id, true);
  out += ",total,max_score,status,timed_out\n";
  for (const Row& row : rows_of(book)) {
    const StudentRecord& r = *row.record;
    out += csv_cell(row.who->id, true) + "," + csv_cell(row.who->name, true) + "," + csv_cell(row.who->email, true) +
           "," + csv_cell(r.key, true);
    for (const ProblemScore& p : book.problems) out += "," + points(score_of(r, p.id));
    // A submission that could not be graded has no points available of its own.
    out += "," + points(r.score) + "," + points(r.max_score > 0 ? r.max_score : max_total(book)) + "," +
           to_string(r.status) + "," +
           (r.timed_out ? "yes" : "no") + "\n";
  }
  return out;
}

std::vector<std::size_t> histogram(const Gradebook& book, std::size_t bins) {
  std::vector<std::size_t> counts(std::max<std::size_t>(bins, 1), 0);
  const double top = max_total(book);
  for (const Row& row : rows_of(book)) {
    std::size_t bin = 0;
    if (top > 0 && std::isfinite(row.record->score)) {
      const double at = std::clamp(row.record->score / top, 0.0, 1.0) * static_cast<double>(counts.size());
      bin = std::min(counts.size() - 1, static_cast<std::size_t>(at));
    }
    ++counts[bin];
  }
  return counts;
}

std::string gradebook_summary(const Gradebook& book, const std::string& image) {
  const std::vector<Row> rows = rows_of(book);
  std::ostringstream out;
  out << "# Gradebook summary\n\n";
  std::vector<double> totals;
  for (const Row& row : rows) totals.push_back(row.record->score);
  out << rows.size() << " students in " << book.records.size() << " submissions. Total score: mean "
      << points(mean_of(totals)) << ", median " << points(median_of(totals)) << " out of " << points(max_total(book))
      << ".\n\n";

  out << "## Problems\n\n| problem | points | mean | median | pass rate |\n| --- | ---: | ---: | ---: | ---: |\n";
  for (const ProblemScore& p : book.problems) {
    std::vector<double> scores;
    std::size_t passes = 0;
    for (const Row& row : rows) {
      scores.push_back(score_of(*row.record, p.id));
      passes += passed(*row.record, p.id) ? 1 : 0;
    }
    out << "| " << md(p.id) << ": " << md(p.title) << " | " << points(p.max_score) << " | " << points(mean_of(scores))
        << " | " << points(median_of(scores)) << " | " << percent(passes, rows.size()) << " (" << passes << "/"
        << rows.size() << ") |\n";
  }

  std::map<std::string, std::size_t> failures;
  for (const Row& row : rows)
    for (const std::string& c : std::set<std::string>(row.record->failed_cases.begin(), row.record->failed_cases.end()))
      ++failures[c];
  std::vector<std::pair<std::string, std::size_t>> worst(failures.begin(), failures.end());
  std::stable_sort(worst.begin(), worst.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out << "\n## Cases that fail most\n\n";
  if (worst.empty()) {
    out << "No case failed.\n";
  } else {
    out << "| case | failed by |\n| --- | ---: |\n";
    for (std::size_t i = 0; i < worst.size() && i < 10; ++i)
      out << "| " << md(worst[i].first) << " | " << worst[i].second << " of " << rows.size() << " ("
          << percent(worst[i].second, rows.size()) << ") |\n";
  }

  const auto list = [&](const std::string& title, auto pick, bool with_message) {
    std::vector<const StudentRecord*> picked;
    for (const StudentRecord& r : book.records)
      if (pick(r)) picked.push_back(&r);
    out << "\n## " << title << " (" << picked.size() << ")\n\n";
    if (picked.empty()) out << "None.\n";
    for (const StudentRecord* r : picked) {
      out << "- " << md(r->key) << " (" << md(ids_of(*r)) << ")";
      if (with_message && !r->message.empty()) out << ": " << md(r->message);
      out << "\n";
    }
  };
  list("Did not compile", [](const StudentRecord& r) { return r.status == RecordStatus::compile_error; }, true);
  list("Timed out", [](const StudentRecord& r) { return r.timed_out; }, false);
  list("Could not be graded", [](const StudentRecord& r) { return r.status == RecordStatus::not_graded; }, true);

  out << "\n## Histogram of total scores\n\n";
  if (!image.empty()) out << "![Histogram of total scores](" << image << ")\n\n";
  const std::vector<std::size_t> counts = histogram(book, 10);
  const double top = max_total(book);
  std::size_t most = 1;
  for (std::size_t c : counts) most = std::max(most, c);
  out << "```\n";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    char label[64];
    std::snprintf(label, sizeof label, "%6s-%-6s", points(top * static_cast<double>(i) / 10.0).c_str(),
                  points(top * static_cast<double>(i + 1) / 10.0).c_str());
    const std::size_t bar = (counts[i] * 40 + most - 1) / most;
    out << label << " | " << std::string(bar, '#') << " " << counts[i] << "\n";
  }
  out << "```\n";
  if (!book.warnings.empty()) {
    out << "\n## Warnings\n\n";
    for (const std::string& w : book.warnings) out << "- " << md(w, 1000) << "\n";
  }
  return out.str();
}

GradebookFiles write_gradebook(const Gradebook& book, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw GraderError("cannot create the gradebook folder \"" + dir.string() + "\": " + ec.message() +
                      "; choose a writable --out folder");
  GradebookFiles files;
  files.csv = dir / "gradebook.csv";
  files.summary = dir / "summary.md";
  write_file_atomically(files.csv, gradebook_csv(book));

  // The image: gnuplot, in the sandbox like every program the grader starts,
  // on numbers only (no student's text reaches its script).
  const std::string gnuplot = find_gnuplot();
  if (gnuplot.empty()) {
    files.note = "histogram.png not drawn: gnuplot is not installed (apt-get install gnuplot-nox)";
  } else {
    const TempFolder plot("adcourse-plot", "plot", "draw the histogram in");
    const std::vector<std::size_t> counts = histogram(book, 10);
    const double top = max_total(book);
    std::string data;
    for (std::size_t i = 0; i < counts.size(); ++i)
      data += "\"" + points(top * static_cast<double>(i) / 10.0) + "-" + points(top * static_cast<double>(i + 1) / 10.0) +
              "\" " + std::to_string(counts[i]) + "\n";
    write_file_atomically(plot.path() / "histogram.dat", data);
    const std::string script =
        "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 800,480 } "
        "else { set terminal png size 800,480 }\n"
        "set output 'histogram.png'\n"
        "set title 'Total scores (" + std::to_string(rows_of(book).size()) + " students)'\n"
        "set xlabel 'total score (out of " + points(top) + ")'\nset ylabel 'students'\n"
        "set style fill solid 0.8 border -1\nset boxwidth 0.8\nset yrange [0:*]\nset xtics rotate by -30\n"
        "set grid ytics\nunset key\n" + std::string(*std::max_element(counts.begin(), counts.end()) <= 10 ? "set ytics 1\n" : "") +
        "plot 'histogram.dat' using 0:2:xtic(1) with boxes lc rgb '#4472c4'\n";
    write_file_atomically(plot.path() / "histogram.gp", script);
    RunRequest req;
    req.argv = {gnuplot, "histogram.gp"};
    req.scratch_dir = plot.path();
    req.env = {"PATH=/usr/bin:/bin", "LANG=C", "HOME=" + plot.path().string()};
    req.limits.cpu_seconds = 20;
    req.limits.wall_seconds = 30;
    req.limits.memory_bytes = 2ull << 30;
    req.limits.processes = 8;
    req.limits.file_bytes = 64ull << 20;
    req.limits.output_bytes = 16 << 10;
    // gnuplot reads its font configuration from /etc, outside bubblewrap's view.
    req.mode = SandboxMode::rlimits_only;
    const RunOutcome out = run_sandboxed(req);
    if (out.termination == Termination::exited && out.exit_code == 0 && fs::exists(plot.path() / "histogram.png", ec)) {
      files.histogram = dir / "histogram.png";
      write_file_atomically(files.histogram, read_file(plot.path() / "histogram.png"));
    } else {
      files.note = "histogram.png not drawn: gnuplot " + out.describe() + (out.err.empty() ? "" : ": " + first_line(out.err));
    }
  }
  std::string summary = gradebook_summary(book, files.histogram.empty() ? "" : "histogram.png");
  if (!files.note.empty()) summary += "\n" + md(files.note, 1000) + "\n";
  write_file_atomically(files.summary, summary);
  return files;
}

}  // namespace grader
