#pragma once
/// \file The student template, generated from the reference's solution markers.
///
/// A solution region of a reference file
///
///     // BEGIN SOLUTION "forward mode: the sum rule for Dual + Dual"
///     ... solution lines ...
///     // END SOLUTION
///
/// becomes one line of the template, at the indentation of the BEGIN marker:
///
///     ADC_TODO("forward mode: the sum rule for Dual + Dual");
///
/// Everything outside the regions is copied byte for byte, line endings
/// included. A malformed marker throws GraderError naming the file, the line
/// and the fix: a solution must never leak into the template by accident.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace grader {

/// The template text of one reference file: solution regions replaced by ADC_TODO lines. `file_name` is used in error messages.
std::string strip_solutions(const std::string& text, const std::string& file_name);

/// Number of solution regions in a text (0 for a file with none); same validation as strip_solutions.
std::size_t count_solutions(const std::string& text, const std::string& file_name);

/// Writes out_dir/<path> = strip_solutions(reference_dir/<path>) for every regular file under
/// reference_dir/include and reference_dir/src, removes the files of out_dir/include and out_dir/src
/// that have no counterpart, leaves the rest of out_dir alone, and returns the relative paths of the
/// template's files ("include/ad/dual.hpp", "src/dual.cpp", …), sorted.
std::vector<std::string> generate_template(const std::filesystem::path& reference_dir,
                                           const std::filesystem::path& out_dir);

/// How the committed template (its include/ and src/) differs from what generate_template would write,
/// one message per file, e.g. "student_template/src/dual.cpp differs from the generated template
/// (first difference at line 12)", "... is missing", "... has no counterpart in the reference". Empty when in sync.
std::vector<std::string> template_drift(const std::filesystem::path& reference_dir,
                                        const std::filesystem::path& template_dir);

}  // namespace grader
