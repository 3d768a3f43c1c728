#pragma once
/// \file The gradebook of a class: one record per graded submission (what a
/// batch writes, atomically, as the last file of each student), and what is
/// made of a folder of them: the CSV, the summary, the histogram of totals.
/// It formats and counts; the points come from the grade reports.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grader/result.hpp"

namespace grader {

/// A student behind a submission (Gradescope's metadata lists one per group member).
struct Submitter {
  std::string id;     ///< student id (Gradescope's "sid"), else the email, else the name, else the submission's name
  std::string name;   ///< full name, when known
  std::string email;  ///< email, when known
};

/// One problem's points in a record: the visible and hidden parts added up.
struct ProblemScore {
  std::string id;          ///< the spec's id (a CSV column)
  std::string title;       ///< the spec's title
  double score = 0.0;      ///< points earned
  double max_score = 0.0;  ///< points available
  bool passed = false;     ///< every case earned its points
};

/// How grading one submission ended, for the instructor.
enum class RecordStatus {
  graded,         ///< built and run (whatever the score)
  compile_error,  ///< did not compile: zero points
  not_graded,     ///< could not be graded (unreadable upload, no sources, grader fault); the message says why
};

/// "graded", "compile_error", "not_graded".
std::string to_string(RecordStatus status);

/// What the gradebook keeps of one graded submission.
struct StudentRecord {
  std::string key;                        ///< unique, file-name safe name of the submission in its batch
  std::string source;                     ///< the folder or zip it came from, relative to the batch's input
  std::vector<Submitter> submitters;      ///< the students it counts for (at least one)
  std::string fingerprint;                ///< hash of the submission's bytes: a changed upload is graded again
  std::string config;                     ///< hash of the problems and the seed it was graded with
  double score = 0.0;                     ///< total points earned
  double max_score = 0.0;                 ///< total points available
  std::vector<ProblemScore> problems;     ///< in problem order
  std::vector<std::string> failed_cases;  ///< "problem title / case name" of every case that lost points
  RecordStatus status = RecordStatus::graded;
  bool timed_out = false;                 ///< some run ran out of (CPU or wall-clock) time
  std::string message;                    ///< why it was not graded, or the build's first error line
  double seconds = 0.0;                   ///< wall time of grading it, build included
  std::string graded_at;                  ///< UTC time, ISO 8601
};

/// The record of a grade report (points added up per problem, status and
/// time-outs read from the report).
StudentRecord make_record(const GradeReport& report);

/// The record as JSON ("format": "adcourse-record/1").
nlohmann::json to_json(const StudentRecord& record);

/// The record of `j`; throws GraderError naming `file`, the field and the value when it is not one.
StudentRecord record_from_json(const nlohmann::json& j, const std::string& file);

/// Where a batch folder keeps a submission's files: <dir>/students/<key>/.
std::filesystem::path student_dir(const std::filesystem::path& batch_dir, const std::string& key);

/// A class's records, merged from one or more batch folders.
struct Gradebook {
  std::vector<StudentRecord> records;     ///< one per submission, sorted by key
  std::vector<ProblemScore> problems;     ///< the columns: id and title (points: the most available)
  std::vector<std::string> warnings;      ///< duplicates dropped, unreadable records skipped
};

/// Reads <dir>/students/*/record.json of every dir. A submission found in
/// several dirs, and a student found in several submissions, is kept once:
/// the one graded last (with a warning). A damaged record is skipped with a
/// warning. Throws GraderError when a dir is not a batch folder.
Gradebook load_gradebook(const std::vector<std::filesystem::path>& dirs);

/// One CSV row per student (a group submission gives a row to each member),
/// one column per problem, then total, max and status.
std::string gradebook_csv(const Gradebook& book);

/// The summary in Markdown: totals, per-problem mean, median and pass rate,
/// the cases that fail most, the submissions that did not compile, timed out
/// or could not be graded, and a text histogram. `image` (may be empty) is
/// the histogram image to link.
std::string gradebook_summary(const Gradebook& book, const std::string& image);

/// Students per bin of total score: `bins` equal bins over [0, max_score],
/// the top score in the last one.
std::vector<std::size_t> histogram(const Gradebook& book, std::size_t bins);

/// What write_gradebook wrote.
struct GradebookFiles {
  std::filesystem::path csv;        ///< gradebook.csv
  std::filesystem::path summary;    ///< summary.md
  std::filesystem::path histogram;  ///< histogram.png; empty when it could not be drawn
  std::string note;                 ///< why there is no image, when there is none
};

/// Writes gradebook.csv, summary.md and histogram.png (drawn by gnuplot when
/// it is installed) into `dir`, each atomically.
GradebookFiles write_gradebook(const Gradebook& book, const std::filesystem::path& dir);

}  // namespace grader
