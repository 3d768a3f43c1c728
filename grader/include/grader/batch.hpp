#pragma once
/// \file Grading a whole class: every submission of a folder (student folders,
/// zip files, or Gradescope's export), N at a time, each with its own
/// sandboxed build and runs, resumable after any interruption: a submission's
/// record is written atomically as its last file, so a rerun skips exactly
/// the submissions that were finished.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "grader/build.hpp"
#include "grader/gradebook.hpp"
#include "grader/sandbox.hpp"

namespace grader {

/// One submission found in a batch's input.
struct BatchSubmission {
  std::string key;                     ///< unique, file-name safe: the folder's or zip's name
  std::filesystem::path path;          ///< the folder or the .zip file
  std::string source;                  ///< path relative to the input folder
  bool zipped = false;                 ///< a .zip file, unpacked (in the sandbox) before grading
  std::vector<Submitter> submitters;   ///< from Gradescope's metadata, else one with id = key
};

/// What a batch's input folder holds.
struct BatchInput {
  std::string layout;                        ///< "gradescope", "folders", "zips" or "folders and zips"
  std::filesystem::path root;                ///< the folder the submissions are in
  std::vector<BatchSubmission> submissions;  ///< sorted by key
  std::vector<std::string> warnings;         ///< entries ignored, metadata that did not match
};

/// Gradescope's submission_metadata.yml: the submitters of each submission
/// folder (keys ":submitters", ":sid", ":name", ":email", with or without the
/// Ruby-symbol colon). Throws GraderError naming `file`, the line and the fix
/// when `text` is not YAML or not a mapping of folders.
std::map<std::string, std::vector<Submitter>> parse_gradescope_metadata(const std::string& text,
                                                                         const std::string& file);

/// Finds the submissions in `dir`: one folder or .zip per student, or
/// Gradescope's export (submission_metadata.yml beside one folder per
/// submission; also when `dir` only holds the export folder). Throws
/// GraderError when `dir` is missing or holds no submission.
BatchInput discover_submissions(const std::filesystem::path& dir);

/// The folder of an upload that holds the code: `dir` itself when it has
/// src/, include/ or *.cpp, else its only subfolder (a zip of a folder, or a
/// folder inside a folder), recursively; `dir` when that does not apply.
std::filesystem::path find_submission_root(const std::filesystem::path& dir);

/// Unpacks `zip` into `into` (created; must be empty or missing) with
/// /usr/bin/unzip in the sandbox, under limits on time, file size, entries
/// and total size; symbolic links and special files are removed afterwards.
/// Returns an empty string on success, else why the upload could not be
/// unpacked (for the student). Throws GraderError when unzip is missing.
std::string unzip_submission(const std::filesystem::path& zip, const std::filesystem::path& into,
                             SandboxMode mode = SandboxMode::automatic);

/// A hash of everything in a submission (file names and bytes; a zip's bytes).
std::string submission_fingerprint(const BatchSubmission& submission);

/// What happened to one submission, as the progress display sees it.
struct BatchEvent {
  const BatchSubmission* submission = nullptr;  ///< the submission (never null)
  const StudentRecord* record = nullptr;        ///< its record when it finished, else null (it started)
  std::size_t done = 0;     ///< finished in this run (records written)
  std::size_t failed = 0;   ///< of those, could not be graded (status not_graded)
  std::size_t total = 0;    ///< to grade in this run
  std::size_t skipped = 0;  ///< already graded by an earlier run, not graded again
  double elapsed = 0.0;     ///< seconds since this run started grading
};

/// How to grade a class.
struct BatchOptions {
  std::filesystem::path submissions;  ///< the input folder (see discover_submissions)
  std::filesystem::path out;          ///< the batch folder: students/<key>/ and the gradebook
  std::filesystem::path problems;     ///< the folder of problem specs
  Installation installation;          ///< the grader's files and build cache
  unsigned jobs = 1;                  ///< submissions graded at once
  std::uint64_t seed = 20261122;      ///< the grading seed
  SandboxMode sandbox = SandboxMode::automatic;
  double time_limit_seconds = 60.0;   ///< per submission, see GradeOptions
  unsigned shard_index = 0;           ///< grade only submissions i with i % shard_count == shard_index
  unsigned shard_count = 1;           ///< number of shards (1: all)
  bool regrade = false;               ///< grade again what an earlier run finished
  /// Called (from any worker, one call at a time) when a submission starts and when it is done.
  std::function<void(const BatchEvent&)> on_event;
  /// When it becomes true, no further submission is started (those running finish).
  const std::atomic<bool>* stop = nullptr;
};

/// What a batch run did.
struct BatchOutcome {
  std::size_t found = 0;        ///< submissions in the input (this shard)
  std::size_t skipped = 0;      ///< finished by an earlier run
  std::size_t graded = 0;       ///< finished by this run
  std::size_t not_graded = 0;   ///< of those, could not be graded
  bool interrupted = false;     ///< stopped before every submission was finished
  std::vector<std::string> warnings;  ///< from discovery, resuming and the gradebook
  GradebookFiles gradebook;     ///< the gradebook files written into `out`
};

/// Grades every submission of the input that has no up-to-date record in
/// `out` yet (same fingerprint, problems and seed), `jobs` at a time. Each
/// submission's results.json (Gradescope), report.txt and record.json are
/// written atomically, record.json last; then the gradebook of `out`. A bad
/// spec, a missing input or an `out` used by another batch throws
/// GraderError before anything is graded; a submission's own trouble
/// (a bad zip, no sources, a grader fault on it) becomes its record.
BatchOutcome run_batch(const BatchOptions& options);

}  // namespace grader
