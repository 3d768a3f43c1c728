// Grading a whole class. Resuming rests on one rule: a submission is finished
// when its record.json exists, and that file is written atomically after the
// submission's other files. A kill at any moment leaves either no record (the
// submission is graded again, from scratch) or a complete one (it is skipped).
#include "grader/batch.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "content_hash.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/grade.hpp"
#include "grader/report.hpp"
#include "grader/spec.hpp"

namespace grader {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kMetadataFile = "submission_metadata.yml";
// A zip's listing is checked before anything is unpacked: a zip bomb is
// refused instead of filling the disk.
constexpr std::uint64_t kMaxUnzippedBytes = 256ull << 20;
constexpr std::uint64_t kMaxZipEntries = 10000;
constexpr std::uint64_t kMaxUnzippedFileBytes = 64ull << 20;

bool ends_with_zip(const std::string& name) {
  if (name.size() < 4) return false;
  std::string ext = name.substr(name.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".zip";
}

/// Entries of a listing that are never a submission: hidden files, macOS's
/// resource forks, our own metadata.
bool ignorable(const std::string& name) { return name.empty() || name.front() == '.' || name == "__MACOSX"; }

/// A name that is safe as one path component and in a CSV: letters, digits
/// and . _ - @ +; anything else becomes '_'.
std::string safe_key(const std::string& name) {
  std::string key;
  for (unsigned char c : name)
    key += (std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == '+') ? static_cast<char>(c) : '_';
  while (!key.empty() && key.front() == '.') key.erase(key.begin());
  if (key.empty()) key = "submission";
  if (key.size() > 120) key.resize(120);
  return key;
}

/// A YAML node's child `name`, written as a Ruby symbol (":name") or plainly.
YAML::Node child(const YAML::Node& node, const std::string& name) {
  if (!node.IsMap()) return YAML::Node();
  for (const std::string& key : {":" + name, name}) {
    const YAML::Node& n = node;  // const: a lookup must not insert
    if (YAML::Node found = n[key]) return found;
  }
  return YAML::Node();
}

std::string scalar(const YAML::Node& node) { return node && node.IsScalar() ? node.Scalar() : std::string(); }

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "list";
    case YAML::NodeType::Scalar: return "single value";
    case YAML::NodeType::Map: return "mapping";
    default: return "nothing";
  }
}

/// Runs /usr/bin/unzip with `args` in the sandbox on `work`.
RunOutcome run_unzip(const std::vector<std::string>& args, const fs::path& work, SandboxMode mode) {
  RunRequest req;
  req.argv = {"/usr/bin/unzip"};
  req.argv.insert(req.argv.end(), args.begin(), args.end());
  req.scratch_dir = work;
  req.mode = mode;
  req.env = {"PATH=/usr/bin:/bin", "LANG=C"};
  req.limits.cpu_seconds = 30;
  req.limits.wall_seconds = 60;
  req.limits.memory_bytes = 512ull << 20;
  req.limits.file_bytes = kMaxUnzippedFileBytes;
  req.limits.processes = 4;
  req.limits.open_files = 64;
  req.limits.output_bytes = 64 << 10;
  const RunOutcome out = run_sandboxed(req);
  if (out.termination == Termination::start_failed)
    throw GraderError("cannot run /usr/bin/unzip: " + out.error + "; install it (apt-get install unzip)");
  return out;
}

/// Every occurrence of `from` in `text` replaced by `to`.
void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// unzip's complaint for the student: its first sentence, without our paths.
std::string unzip_said(const RunOutcome& out, const fs::path& work) {
  if (out.termination != Termination::exited) return "unzip " + out.describe();
  std::istringstream in(out.err + out.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '[') continue;  // "[upload.zip]": the file's name
    std::string said = line.substr(start);
    if (const auto stop = said.find(". "); stop != std::string::npos) said.resize(stop + 1);
    replace_all(said, work.string() + "/", "");
    return truncate_text(sanitize_utf8(said), 200);
  }
  return "unzip exited with code " + std::to_string(out.exit_code);
}

/// Submissions left untouched by symlinks and devices: only folders and
/// regular files stay, readable by the grader whatever modes the zip gave.
void keep_plain_files(const fs::path& dir) {
  std::vector<fs::path> doomed;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat info {};
    if (::lstat(it->path().c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      ::chmod(it->path().c_str(), (info.st_mode & 07777) | S_IRWXU);
    } else if (S_ISREG(info.st_mode)) {
      ::chmod(it->path().c_str(), (info.st_mode & 0777) | S_IRUSR | S_IWUSR);
    } else {
      doomed.push_back(it->path());
    }
  }
  for (const fs::path& p : doomed) fs::remove(p, ec);
}

/// The report of an upload that could not be unpacked: the student's doing, zero points.
GradeReport upload_failure_report(const std::string& source, const std::string& why) {
  GradeReport r;
  r.submission = source;
  r.output = "Your upload could not be unpacked, so nothing could be graded: " + why +
             "\nUpload a .zip of your folder (laid out like student_template/).\n";
  TestResult t;
  t.problem_id = "upload";
  t.name = "Upload";
  t.number = "0";
  t.output = "Your upload could not be unpacked: " + why;
  t.tags = {"upload"};
  r.tests.push_back(std::move(t));
  return r;
}

/// Hash of what decides a grade besides the submission: the specs and the seed.
std::string config_hash(const fs::path& problems, std::uint64_t seed) {
  ContentHash h;
  h.add("seed " + std::to_string(seed));
  std::vector<fs::path> specs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(problems, ec))
    if (e.path().extension() == ".json") specs.push_back(e.path());
  std::sort(specs.begin(), specs.end());
  for (const fs::path& p : specs) {
    h.add(p.filename().string());
    h.add_file(p);
  }
  return h.hex();
}

/// An exclusive lock on the batch folder, so two batches never write one
/// folder at once; the kernel drops it when the process dies, even by kill -9.
class BatchLock {
 public:
  explicit BatchLock(const fs::path& out) {
    const fs::path file = out / ".batch.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw GraderError("cannot create \"" + file.string() + "\": " + std::strerror(errno) +
                        "; choose a writable --out folder");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw GraderError("another `grader batch` is writing to \"" + out.string() +
                        "\" (it holds .batch.lock); wait for it to finish, or choose another --out");
    }
  }
  ~BatchLock() { ::close(fd_); }
  BatchLock(const BatchLock&) = delete;
  BatchLock& operator=(const BatchLock&) = delete;

 private:
  int fd_ = -1;
};

/// Temporary files of atomic writes that a kill interrupted (".name.tmp.XXXXXX").
void remove_leftovers(const fs::path& students) {
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(students, ec)) {
    if (!dir.is_directory()) continue;
    std::error_code inner;
    for (const auto& f : fs::directory_iterator(dir.path(), inner)) {
      const std::string name = f.path().filename().string();
      if (name.size() > 1 && name.front() == '.' && name.find(".tmp.") != std::string::npos) fs::remove(f.path(), inner);
    }
  }
}

/// The up-to-date record of `s` in `out`, if an earlier run finished it.
std::optional<StudentRecord> finished_record(const fs::path& out, const BatchSubmission& s, const std::string& fingerprint,
                                             const std::string& config, std::vector<std::string>& warnings) {
  const fs::path file = student_dir(out, s.key) / "record.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  try {
    StudentRecord r = record_from_json(json::parse(read_file(file)), file.string());
    if (r.fingerprint == fingerprint && r.config == config) return r;
  } catch (const std::exception& e) {
    warnings.push_back(file.string() + " is damaged (" + e.what() + "): graded again");
  }
  return std::nullopt;
}

/// Grades one submission and writes its files, record last.
StudentRecord grade_one(const BatchSubmission& s, const std::string& fingerprint, const std::string& config,
                        const BatchOptions& o) {
  GradeReport report;
  std::string hide;  // a temporary path that messages should not show
  try {
    std::optional<TempFolder> work;
    fs::path folder = s.path;
    std::string unpack_problem;
    if (s.zipped) {
      work.emplace("adcourse-unzip", "unzip", "unpack uploads in");
      unpack_problem = unzip_submission(s.path, work->path(), o.sandbox);
      folder = work->path() / "files";
      hide = folder.string();
    }
    if (!unpack_problem.empty()) {
      report = upload_failure_report(s.source, unpack_problem);
    } else {
      GradeOptions g;
      g.submission = find_submission_root(folder);
      g.problems = o.problems;
      g.installation = o.installation;
      g.seed = o.seed;
      g.sandbox = o.sandbox;
      g.time_limit_seconds = o.time_limit_seconds;
      report = grade_submission(g);
    }
  } catch (const GraderError& e) {
    report = grader_failure_report(s.source, e.what());
  } catch (const std::exception& e) {
    report = grader_failure_report(s.source, std::string("internal error: ") + e.what());
  }
  report.submission = s.source;
  replace_all(report.output, hide, s.source);
  for (TestResult& t : report.tests) replace_all(t.output, hide, s.source);

  StudentRecord r = make_record(report);
  r.key = s.key;
  r.source = s.source;
  r.submitters = s.submitters;
  r.fingerprint = fingerprint;
  r.config = config;
  const fs::path dir = student_dir(o.out, s.key);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw GraderError("cannot create \"" + dir.string() + "\": " + ec.message() + "; choose a writable --out folder");
  write_gradescope(report, dir / "results.json");
  std::ostringstream text;
  TerminalOptions t;
  t.color = false;
  print_terminal(report, text, t);
  write_file_atomically(dir / "report.txt", text.str());
  // Last: its presence is what tells a rerun that this submission is done.
  write_file_atomically(dir / "record.json", to_json(r).dump(2) + "\n");
  return r;
}

}  // namespace

std::map<std::string, std::vector<Submitter>> parse_gradescope_metadata(const std::string& text,
                                                                         const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw GraderError(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": not valid YAML (" + e.msg + "); use the " + kMetadataFile +
                      " of Gradescope's export as downloaded, or remove it to take student ids from the folder names");
  }
  std::map<std::string, std::vector<Submitter>> out;
  if (root.IsNull()) return out;
  if (!root.IsMap())
    throw GraderError(file + ": expected one entry per submission folder (\"submission_123:\" with \":submitters:\"), got a " +
                      kind_of(root) + "; use the " + kMetadataFile + " of Gradescope's export as downloaded");
  for (const auto& item : root) {
    const std::string folder = scalar(item.first);
    if (folder.empty()) continue;
    std::vector<Submitter>& list = out[folder];
    const YAML::Node submitters = child(item.second, "submitters");
    if (!submitters.IsSequence()) continue;
    for (const YAML::Node& s : submitters) {
      Submitter who;
      who.name = scalar(child(s, "name"));
      who.email = scalar(child(s, "email"));
      const std::string sid = scalar(child(s, "sid"));
      who.id = !sid.empty() ? sid : !who.email.empty() ? who.email : who.name;
      if (!who.id.empty()) list.push_back(who);
    }
  }
  return out;
}

BatchInput discover_submissions(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw GraderError("submissions folder \"" + dir.string() + "\" does not exist or is not a folder; pass the folder "
                      "that holds one folder or .zip per student, or Gradescope's export");
  BatchInput input;
  input.root = dir;
  // Gradescope's export unzips to one folder: accept its parent too.
  if (!fs::exists(dir / kMetadataFile, ec)) {
    std::vector<fs::path> inner;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (!ignorable(e.path().filename().string())) inner.push_back(e.path());
    if (inner.size() == 1 && fs::is_directory(inner[0], ec) && fs::exists(inner[0] / kMetadataFile, ec))
      input.root = inner[0];
  }
  std::map<std::string, std::vector<Submitter>> metadata;
  const bool gradescope = fs::exists(input.root / kMetadataFile, ec);
  if (gradescope) {
    const fs::path file = input.root / kMetadataFile;
    try {
      metadata = parse_gradescope_metadata(read_file(file), file.string());
    } catch (const GraderError& e) {
      input.warnings.push_back(std::string(e.what()) + " (student ids come from the folder names instead)");
    }
  }

  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(input.root, ec)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  std::set<std::string> keys;
  bool folders = false, zips = false;
  for (const fs::path& p : entries) {
    const std::string name = p.filename().string();
    if (ignorable(name) || name == kMetadataFile) continue;
    BatchSubmission s;
    s.path = p;
    s.source = name;
    std::string stem = name;
    if (fs::is_directory(p, ec)) {
      folders = true;
    } else if (fs::is_regular_file(p, ec) && ends_with_zip(name)) {
      s.zipped = true;
      zips = true;
      stem = name.substr(0, name.size() - 4);
    } else {
      input.warnings.push_back("ignored \"" + p.string() + "\": not a folder or a .zip file");
      continue;
    }
    std::string key = safe_key(stem);
    for (int n = 2; !keys.insert(key).second; ++n) key = safe_key(stem) + "-" + std::to_string(n);
    s.key = key;
    if (auto found = metadata.find(name); found != metadata.end() && !found->second.empty()) {
      s.submitters = found->second;
    } else {
      if (gradescope && !metadata.empty())
        input.warnings.push_back("\"" + name + "\" has no submitters in " + kMetadataFile +
                                 ": its name is used as the student id");
      s.submitters.push_back({key, "", ""});
    }
    input.submissions.push_back(std::move(s));
  }
  for (const auto& [folder, who] : metadata)
    if (!fs::exists(input.root / folder, ec))
      input.warnings.push_back(std::string(kMetadataFile) + " lists \"" + folder +
                               "\", but there is no such folder: that submission is not graded");
  std::sort(input.submissions.begin(), input.submissions.end(),
            [](const BatchSubmission& a, const BatchSubmission& b) { return a.key < b.key; });
  input.layout = gradescope ? "gradescope" : folders && zips ? "folders and zips" : zips ? "zips" : "folders";
  if (input.submissions.empty())
    throw GraderError("no submissions in \"" + input.root.string() + "\": expected one folder or .zip file per student, "
                      "or Gradescope's export (" + kMetadataFile + " and one folder per submission)");
  return input;
}

fs::path find_submission_root(const fs::path& dir) {
  fs::path at = dir;
  for (int depth = 0; depth < 8; ++depth) {
    std::error_code ec;
    if (fs::is_directory(at / "src", ec) || fs::is_directory(at / "include", ec)) return at;
    std::vector<fs::path> folders;
    for (const auto& e : fs::directory_iterator(at, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && e.path().extension() == ".cpp") return at;
      if (!ignorable(name) && e.is_directory() && !e.is_symlink()) folders.push_back(e.path());
    }
    if (folders.size() != 1) return at;
    at = folders.front();
  }
  return at;
}

std::string unzip_submission(const fs::path& zip, const fs::path& work, SandboxMode mode) {
  std::error_code ec;
  if (!fs::exists("/usr/bin/unzip", ec))
    throw GraderError("cannot unpack \"" + zip.string() + "\": /usr/bin/unzip is missing; install it "
                      "(apt-get install unzip; grader/scripts/setup.sh does)");
  // A copy in the work folder: the sandboxed user may not reach the input.
  const fs::path copy = work / "upload.zip";
  fs::copy_file(zip, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) throw GraderError("cannot copy \"" + zip.string() + "\" to \"" + copy.string() + "\": " + ec.message());
  ::chmod(copy.c_str(), 0644);
  const RunOutcome listing = run_unzip({"-Zt", copy.string()}, work, mode);
  if (listing.termination != Termination::exited || listing.exit_code != 0)
    return "it is not a readable zip file (" + unzip_said(listing, work) + ")";
  // "N files, B bytes uncompressed, C bytes compressed:  R%"
  unsigned long long entries = 0, bytes = 0;
  if (std::sscanf(listing.out.c_str(), "%llu file%*[s], %llu bytes uncompressed", &entries, &bytes) != 2 &&
      std::sscanf(listing.out.c_str(), "%llu file, %llu bytes uncompressed", &entries, &bytes) != 2)
    return "it is not a readable zip file (unexpected listing: " + unzip_said(listing, work) + ")";
  if (entries > kMaxZipEntries || bytes > kMaxUnzippedBytes)
    return "it unpacks to " + std::to_string(entries) + " files and " + std::to_string(bytes >> 20) +
           " MiB, more than the " + std::to_string(kMaxZipEntries) + " files and " +
           std::to_string(kMaxUnzippedBytes >> 20) + " MiB allowed";
  const RunOutcome out = run_unzip({"-qq", "-o", copy.string(), "-d", (work / "files").string()}, work, mode);
  fs::remove(copy, ec);
  // unzip's exit code 1 is a warning (e.g. an entry with "../" was skipped).
  if (out.termination != Termination::exited || out.exit_code > 1)
    return "unpacking it failed (" + unzip_said(out, work) + ")";
  fs::create_directories(work / "files", ec);
  keep_plain_files(work / "files");
  return "";
}

std::string submission_fingerprint(const BatchSubmission& s) {
  ContentHash h;
  if (s.zipped) {
    h.add("zip");
    h.add_file(s.path);
    return h.hex();
  }
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(s.path, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_symlink() || it->is_regular_file()) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  h.add("folder");
  for (const fs::path& f : files) {
    h.add(fs::relative(f, s.path).string());
    if (fs::is_symlink(f, ec)) h.add("-> " + fs::read_symlink(f, ec).string());
    else h.add_file(f);
  }
  return h.hex();
}

BatchOutcome run_batch(const BatchOptions& o) {
  if (o.jobs < 1) throw GraderError("--jobs must be at least 1 (got " + std::to_string(o.jobs) + ")");
  if (o.shard_count < 1 || o.shard_index >= o.shard_count)
    throw GraderError("--shard must be INDEX/COUNT with 0 <= INDEX < COUNT (got " + std::to_string(o.shard_index) + "/" +
                      std::to_string(o.shard_count) + ")");
  // Specs first: a bad spec stops the batch before anything is graded.
  load_problems(o.problems);
  const std::string config = config_hash(o.problems, o.seed);
  const BatchInput input = discover_submissions(o.submissions);
  BatchOutcome outcome;
  outcome.warnings = input.warnings;
  std::vector<const BatchSubmission*> mine;
  for (std::size_t i = 0; i < input.submissions.size(); ++i)
    if (i % o.shard_count == o.shard_index) mine.push_back(&input.submissions[i]);
  outcome.found = mine.size();

  std::error_code ec;
  fs::create_directories(o.out / "students", ec);
  if (ec)
    throw GraderError("cannot create \"" + (o.out / "students").string() + "\": " + ec.message() +
                      "; choose a writable --out folder");
  const BatchLock lock(o.out);
  remove_leftovers(o.out / "students");

  struct Pending {
    const BatchSubmission* submission;
    std::string fingerprint;
  };
  std::vector<Pending> pending;
  for (const BatchSubmission* s : mine) {
    std::string fingerprint;
    try {
      fingerprint = submission_fingerprint(*s);
    } catch (const GraderError&) {
      fingerprint = "unreadable";  // graded anyway: the record will say what is wrong
    }
    if (!o.regrade && finished_record(o.out, *s, fingerprint, config, outcome.warnings)) {
      ++outcome.skipped;
      continue;
    }
    pending.push_back({s, fingerprint});
  }

  std::mutex mutex;  // guards the counters, on_event and first_error
  std::size_t next = 0;
  std::exception_ptr first_error;
  bool fatal = false;
  const auto start = std::chrono::steady_clock::now();
  const auto event = [&](const BatchSubmission* s, const StudentRecord* r) {
    if (!o.on_event) return;
    BatchEvent e;
    e.submission = s;
    e.record = r;
    e.done = outcome.graded;
    e.failed = outcome.not_graded;
    e.total = pending.size();
    e.skipped = outcome.skipped;
    e.elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    o.on_event(e);
  };
  const auto worker = [&]() {
    for (;;) {
      const Pending* p = nullptr;
      {
        const std::lock_guard<std::mutex> guard(mutex);
        if (fatal || next >= pending.size() || (o.stop != nullptr && o.stop->load())) return;
        p = &pending[next++];
        event(p->submission, nullptr);
      }
      try {
        const StudentRecord r = grade_one(*p->submission, p->fingerprint, config, o);
        const std::lock_guard<std::mutex> guard(mutex);
        ++outcome.graded;
        if (r.status == RecordStatus::not_graded) ++outcome.not_graded;
        event(p->submission, &r);
      } catch (...) {
        // Only writing the results can get here (an unwritable --out): stop all.
        const std::lock_guard<std::mutex> guard(mutex);
        if (!first_error) first_error = std::current_exception();
        fatal = true;
        return;
      }
    }
  };
  const unsigned jobs = static_cast<unsigned>(std::min<std::size_t>(o.jobs, std::max<std::size_t>(pending.size(), 1)));
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  outcome.interrupted = outcome.graded < pending.size();

  Gradebook book = load_gradebook({o.out});
  outcome.warnings.insert(outcome.warnings.end(), book.warnings.begin(), book.warnings.end());
  outcome.gradebook = write_gradebook(book, o.out);
  return outcome;
}

}  // namespace grader
