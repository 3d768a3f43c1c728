#include "grader/assign.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view begin_keyword = "BEGIN SOLUTION";
constexpr std::string_view end_keyword = "END SOLUTION";
constexpr std::string_view begin_marker = "\"// BEGIN SOLUTION\"";
constexpr std::string_view end_marker = "\"// END SOLUTION\"";

/// The folders of a reference (and of a template) that hold the assignment's code.
const std::vector<std::string> code_dirs = {"include", "src"};

/// One line of a text: its content and its terminator ("\n", "\r\n" or "" at the end of the file).
struct Line {
  std::string_view content;
  std::string_view terminator;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) {
      lines.push_back({text.substr(start), {}});
      break;
    }
    std::size_t end = newline;
    if (end > start && text[end - 1] == '\r') --end;
    lines.push_back({text.substr(start, end - start), text.substr(end, newline + 1 - end)});
    start = newline + 1;
  }
  return lines;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

enum class MarkerKind { none, begin, end };

/// What a line is to the region parser.
struct Marker {
  MarkerKind kind = MarkerKind::none;
  std::string_view indent;       ///< whitespace before the marker
  std::string_view description;  ///< BEGIN only: the text between the quotes
};

[[noreturn]] void fail(const std::string& file_name, std::size_t line_number, const std::string& what) {
  throw GraderError(file_name + ":" + std::to_string(line_number) + ": " + what);
}

/// Classifies one line. Anything that looks like a marker but is not a well-formed one is an
/// error rather than plain text: copied as is, it would leave a solution in the template.
Marker classify(std::string_view content, const std::string& file_name, std::size_t line_number) {
  // Find a "//" followed (after optional blanks) by a marker keyword.
  std::size_t slashes = content.find("//");
  std::size_t keyword_at = std::string_view::npos;
  MarkerKind kind = MarkerKind::none;
  while (slashes != std::string_view::npos) {
    std::size_t k = slashes + 2;
    while (k < content.size() && is_blank(content[k])) ++k;
    const std::string_view after = content.substr(k);
    if (starts_with(after, begin_keyword)) kind = MarkerKind::begin;
    if (starts_with(after, end_keyword)) kind = MarkerKind::end;
    if (kind != MarkerKind::none) {
      keyword_at = k;
      break;
    }
    slashes = content.find("//", slashes + 1);
  }
  if (kind == MarkerKind::none) return {};

  const std::string_view marker_name = kind == MarkerKind::begin ? begin_marker : end_marker;
  std::size_t indent_size = 0;
  while (indent_size < content.size() && is_blank(content[indent_size])) ++indent_size;
  if (slashes != indent_size) {
    fail(file_name, line_number,
         std::string(marker_name) + " must be on a line of its own (got \"" + std::string(trim(content)) +
             "\"); move the code before it to a line of its own");
  }

  Marker marker;
  marker.kind = kind;
  marker.indent = content.substr(0, indent_size);
  if (kind == MarkerKind::end) {
    const std::string_view rest = trim(content.substr(keyword_at + end_keyword.size()));
    if (!rest.empty()) {
      fail(file_name, line_number,
           std::string(end_marker) + " takes nothing after it (got \"" + std::string(rest) + "\"); remove \"" +
               std::string(rest) + "\"");
    }
    return marker;
  }

  const std::string_view rest = trim(content.substr(keyword_at + begin_keyword.size()));
  const std::string usage = "write // BEGIN SOLUTION \"what the student has to write\"";
  if (rest.empty()) {
    fail(file_name, line_number, std::string(begin_marker) + " without a description; " + usage);
  }
  if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') {
    fail(file_name, line_number,
         std::string(begin_marker) + " needs its description in double quotes (got " + std::string(rest) +
             "); " + usage);
  }
  marker.description = rest.substr(1, rest.size() - 2);
  // The description becomes a C string literal in the template; refusing these two
  // characters keeps that literal exactly the text written in the marker.
  if (marker.description.find_first_of("\"\\") != std::string_view::npos) {
    fail(file_name, line_number,
         "the description of " + std::string(begin_marker) +
             " must not contain a double quote or a backslash (got " + std::string(rest) +
             "); reword it without them");
  }
  if (trim(marker.description).empty()) {
    fail(file_name, line_number, std::string(begin_marker) + " has an empty description; " + usage);
  }
  return marker;
}

/// What stripping one text found.
struct Stripped {
  std::string text;         ///< the template text
  std::size_t regions = 0;  ///< number of solution regions replaced
};

Stripped strip(const std::string& text, const std::string& file_name) {
  Stripped out;
  out.text.reserve(text.size());
  bool in_region = false;
  std::size_t region_start = 0;
  Marker open;
  const std::vector<Line> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t line_number = i + 1;
    const Line& line = lines[i];
    const Marker marker = classify(line.content, file_name, line_number);
    switch (marker.kind) {
      case MarkerKind::none:
        if (!in_region) {
          out.text.append(line.content);
          out.text.append(line.terminator);
        }
        break;
      case MarkerKind::begin:
        if (in_region) {
          fail(file_name, line_number,
               std::string(begin_marker) + " inside the region opened at line " + std::to_string(region_start) +
                   " (regions cannot nest); close that region with " + std::string(end_marker) + " first");
        }
        in_region = true;
        region_start = line_number;
        open = marker;
        break;
      case MarkerKind::end:
        if (!in_region) {
          fail(file_name, line_number,
               std::string(end_marker) + " without a matching " + std::string(begin_marker) +
                   "; add the BEGIN marker above the solution lines or remove this line");
        }
        in_region = false;
        ++out.regions;
        out.text.append(open.indent);
        out.text.append("ADC_TODO(\"");
        out.text.append(open.description);
        out.text.append("\");");
        // The END line's terminator, so that a file ending without a newline still does.
        out.text.append(line.terminator);
        break;
    }
  }
  if (in_region) {
    fail(file_name, region_start,
         std::string(begin_marker) + " without a matching " + std::string(end_marker) +
             " (the file ends inside the region); add " + std::string(end_marker) + " after the solution lines");
  }
  return out;
}

/// The last component of a directory, for messages ("reference", "student_template").
std::string dir_label(const fs::path& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().generic_string();
}

/// Relative paths (generic form) of the non-directory entries under dir/include and dir/src.
std::set<std::string> code_files(const fs::path& dir) {
  std::set<std::string> files;
  for (const std::string& sub : code_dirs) {
    const fs::path root = dir / sub;
    if (!fs::is_directory(root)) continue;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_directory()) continue;
      files.insert(entry.path().lexically_relative(dir).generic_string());
    }
  }
  return files;
}

/// The template's files, relative path -> text, computed in memory so that a malformed
/// marker anywhere is found before anything is written.
std::map<std::string, std::string> render_template(const fs::path& reference_dir) {
  const std::string label = dir_label(reference_dir);
  for (const std::string& sub : code_dirs) {
    if (!fs::is_directory(reference_dir / sub)) {
      throw GraderError((reference_dir / sub).string() +
                        ": no such folder; pass the reference folder, the one holding include/ and src/");
    }
  }
  std::map<std::string, std::string> files;
  for (const std::string& sub : code_dirs) {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(reference_dir / sub)) {
      if (!entry.is_regular_file()) continue;
      const std::string rel = entry.path().lexically_relative(reference_dir).generic_string();
      const std::string shown_as = label + "/" + rel;
      files.emplace(rel, strip(read_file(entry.path()), shown_as).text);
    }
  }
  return files;
}

/// 1-based number of the first line where a and b differ (a and b must differ).
std::size_t first_difference_line(const std::string& a, const std::string& b) {
  std::size_t line = 1;
  const std::size_t common = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (a[i] != b[i]) return line;
    if (a[i] == '\n') ++line;
  }
  return line;
}

/// Filesystem faults (permissions, a file where a folder should be) are grader faults too.
[[noreturn]] void rethrow_as_grader_error(const fs::filesystem_error& e) {
  throw GraderError(e.path1().string() + ": " + e.code().message() + "; check that the path exists and is writable");
}

}  // namespace

std::string strip_solutions(const std::string& text, const std::string& file_name) {
  return strip(text, file_name).text;
}

std::size_t count_solutions(const std::string& text, const std::string& file_name) {
  return strip(text, file_name).regions;
}

std::vector<std::string> generate_template(const fs::path& reference_dir, const fs::path& out_dir) try {
  std::error_code ec;
  if (fs::equivalent(reference_dir, out_dir, ec)) {
    throw GraderError(out_dir.string() + ": is the reference folder itself; pass another output folder");
  }
  const std::map<std::string, std::string> files = render_template(reference_dir);
  std::vector<std::string> written;
  for (const auto& [rel, text] : files) {
    const fs::path target = out_dir / rel;
    fs::create_directories(target.parent_path());
    // Rewriting an unchanged file would only bump its time stamp and force a rebuild.
    if (!(fs::is_regular_file(target) && read_file(target) == text)) write_file_atomically(target, text);
    written.push_back(rel);
  }

  for (const std::string& rel : code_files(out_dir)) {
    if (files.count(rel) == 0) fs::remove(out_dir / rel);
  }
  // Folders left empty by the removals, deepest first, unless the reference has them too.
  std::vector<fs::path> dirs;
  for (const std::string& sub : code_dirs) {
    if (!fs::is_directory(out_dir / sub)) continue;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(out_dir / sub)) {
      if (entry.is_directory() && !entry.is_symlink()) dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return a.native().size() > b.native().size();
  });
  for (const fs::path& dir : dirs) {
    if (fs::is_empty(dir) && !fs::is_directory(reference_dir / dir.lexically_relative(out_dir))) fs::remove(dir);
  }
  return written;
} catch (const fs::filesystem_error& e) {
  rethrow_as_grader_error(e);
}

std::vector<std::string> template_drift(const fs::path& reference_dir, const fs::path& template_dir) try {
  const std::map<std::string, std::string> expected = render_template(reference_dir);
  const std::string label = dir_label(template_dir);
  std::map<std::string, std::string> problems;  // by relative path, so the report is sorted
  for (const auto& [rel, text] : expected) {
    const fs::path path = template_dir / rel;
    const std::string shown_as = label + "/" + rel;
    if (!fs::is_regular_file(path)) {
      problems.emplace(rel, shown_as + " is missing");
      continue;
    }
    const std::string actual = read_file(path);
    if (actual != text) {
      problems.emplace(rel, shown_as + " differs from the generated template (first difference at line " +
                                std::to_string(first_difference_line(actual, text)) + ")");
    }
  }
  for (const std::string& rel : code_files(template_dir)) {
    if (expected.count(rel) == 0) problems.emplace(rel, label + "/" + rel + " has no counterpart in the reference");
  }
  std::vector<std::string> report;
  report.reserve(problems.size());
  for (auto& entry : problems) report.push_back(std::move(entry.second));
  return report;
} catch (const fs::filesystem_error& e) {
  rethrow_as_grader_error(e);
}

}  // namespace grader
