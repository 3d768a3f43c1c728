// Building a probe. The compiler runs in the sandbox on a staged copy of the
// submission, so an #include of files outside it (the reference solution,
// hidden problem data) finds nothing, and a compile-time bomb hits limits.
#include "grader/build.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "content_hash.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_with(const fs::path& dir, const std::string& ext, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  // Links are listed even when they lead nowhere (or in a loop), so that the
  // caller can say so instead of failing on them.
  const auto wanted = [&](const fs::directory_entry& e) {
    std::error_code e_ec;
    return (e.is_symlink(e_ec) || e.is_regular_file(e_ec)) && e.path().extension() == ext;
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (wanted(e)) out.push_back(e.path());
  } else {
    for (const auto& e : fs::directory_iterator(dir))
      if (wanted(e)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// A staged source: where it goes in the staging folder, and its text.
struct Staged {
  std::string relative;
  std::string text;
};

/// The compiler's first errors: the lines that say "error", with a little context, capped.
std::string first_errors(const std::string& log, const fs::path& staging) {
  std::istringstream in(log);
  std::string line, out;
  int kept = 0;
  const std::string prefix = staging.string() + "/";
  while (std::getline(in, line) && kept < 30) {
    for (std::size_t p; (p = line.find(prefix)) != std::string::npos;) line.erase(p, prefix.size());
    // The linker says "multiple definition of `main'" (a submission defining
    // the harness's symbols) or "undefined reference" without the word error.
    const bool linker = line.find("multiple definition") != std::string::npos ||
                        line.find("undefined reference") != std::string::npos;
    if (line.find("error") != std::string::npos || linker || (kept > 0 && kept < 30 && line.rfind("  ", 0) == 0)) {
      out += line + "\n";
      ++kept;
    }
  }
  if (out.empty()) out = log.substr(0, 4000);
  // cc1plus stopped by its limits: the driver calls that an internal compiler
  // error, which is not what a student should read.
  if (log.find("signal terminated program") != std::string::npos || log.find("out of memory allocating") != std::string::npos)
    out += "The compiler was stopped by its limits on CPU time or memory while compiling your code: a compile-time "
           "bomb such as deep template recursion, a huge constexpr loop or an #include of a device?\n";
  return out;
}


/// A positive whole number from the environment variable `name`, or `fallback` when it is unset.
double limit_from_env(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !(value >= 1 && value <= 1e6) || value != std::floor(value))
    throw GraderError(std::string("environment variable ") + name + " must be a whole number from 1 to 1000000 (got \"" +
                      text + "\"); unset it to use the default (" + std::to_string(static_cast<long>(fallback)) + ")");
  return value;
}

/// An exclusive flock on a file of the cache, held while the object lives:
/// concurrent builds (a batch's workers, several graders) wait for the one
/// that compiles instead of compiling the same thing again.
class CacheLock {
 public:
  explicit CacheLock(const fs::path& file) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    // Without a lock the build is still correct (the cache is filled by
    // renames), only possibly done twice.
    if (fd_ >= 0)
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
  }
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_ = -1;
};

/// Writes the staged files under `root`; returns the paths of the sources among them.
std::vector<std::string> write_staged(const std::vector<Staged>& staged, const fs::path& root) {
  std::vector<std::string> sources;
  std::error_code ec;
  for (const auto& s : staged) {
    const fs::path p = root / s.relative;
    fs::create_directories(p.parent_path(), ec);
    write_file_atomically(p, s.text);
    if (s.relative.rfind("src/", 0) == 0) sources.push_back(p.string());
  }
  return sources;
}

/// Runs the compiler (argv after "/usr/bin/env <compiler>") in the sandbox on `staging`.
RunOutcome run_compiler(const std::vector<std::string>& args, const fs::path& staging, const Installation& inst,
                        SandboxMode mode) {
  RunRequest req;
  req.argv = {"/usr/bin/env", inst.compiler};
  req.argv.insert(req.argv.end(), args.begin(), args.end());
  req.scratch_dir = staging;
  req.read_only = {inst.share_dir};
  req.mode = mode;
  req.env = {"PATH=/usr/bin:/bin", "LANG=C", "TMPDIR=/tmp"};
  // Compiling is limited like running: a template or constexpr bomb, or an
  // #include of /dev/zero, ends at these limits instead of hanging the grader.
  req.limits.cpu_seconds = 120;
  req.limits.wall_seconds = 180;
  req.limits.memory_bytes = 3ull << 30;
  req.limits.file_bytes = 512ull << 20;
  req.limits.processes = 32;
  req.limits.open_files = 256;
  req.limits.output_bytes = 256 << 10;
  // Staff may change the CPU and memory limits (a slow machine, the tests of compile-time bombs).
  req.limits.cpu_seconds = limit_from_env("ADC_BUILD_CPU_SECONDS", req.limits.cpu_seconds);
  req.limits.memory_bytes = static_cast<std::uint64_t>(limit_from_env("ADC_BUILD_MEMORY_MB", 3072)) << 20;
  const RunOutcome out = run_sandboxed(req);
  if (out.termination == Termination::start_failed)
    throw GraderError("cannot start the compiler \"" + inst.compiler + "\": " + out.error);
  return out;
}

/// Puts `file` into the cache as `entry`/`name` by one rename of a folder, so
/// that a concurrent grader never sees half a file; returns the cached path.
fs::path store_in_cache(const fs::path& file, const fs::path& entry, const std::string& name) {
  std::error_code ec;
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = entry.string() + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  fs::copy_file(file, tmp / name, fs::copy_options::overwrite_existing, ec);
  if (ec) throw GraderError("cannot store \"" + name + "\" in the build cache \"" + tmp.string() + "\": " + ec.message());
  fs::rename(tmp, entry, ec);
  if (ec) {
    // Another grader stored the same build first: use its copy. An entry
    // without the file (a cached compile error that a retry got past) gets
    // the file by a rename of its own.
    std::error_code ignored;
    if (!fs::exists(entry / name, ignored)) {
      fs::create_directories(entry, ignored);
      fs::rename(tmp / name, entry / name, ec);
      if (ec) throw GraderError("cannot store \"" + name + "\" in the build cache \"" + entry.string() + "\": " + ec.message());
    }
    fs::remove_all(tmp, ignored);
  }
  return entry / name;
}

/// What compiling the probe driver against a set of headers gave.
struct DriverObject {
  fs::path object;     ///< the cached probe_main.o (when compiled)
  RunOutcome outcome;  ///< the compiler's run (when it was not cached)
  bool cached = false;
};

/// The probe driver compiled against `headers`, once per distinct set of
/// headers: the driver is most of the compile time, and nearly every student
/// keeps the template's headers, so a class shares one object file.
DriverObject driver_object(const std::vector<Staged>& headers, const std::vector<std::string>& flags,
                           const Installation& inst, SandboxMode mode) {
  const fs::path probe_main = inst.share_dir / "probe" / "probe_main.cpp";
  ContentHash h;
  h.add("probe driver object");
  h.add(inst.compiler);
  for (const auto& f : flags) h.add(f);
  h.add(read_file(probe_main));
  for (const auto& g : files_with(inst.share_dir / "include", ".hpp", true)) {
    h.add(fs::relative(g, inst.share_dir).string());
    h.add(read_file(g));
  }
  for (const auto& s : headers) {
    h.add(s.relative);
    h.add(s.text);
  }
  const fs::path entry = inst.cache_dir / ("driver-" + h.hex());
  DriverObject d;
  std::error_code ec;
  if (fs::exists(entry / "probe_main.o", ec)) {
    d.cached = true;
    d.object = entry / "probe_main.o";
    return d;
  }
  const CacheLock lock(inst.cache_dir / "locks" / (entry.filename().string() + ".lock"));
  if (fs::exists(entry / "probe_main.o", ec)) {  // compiled by whoever held the lock before us
    d.cached = true;
    d.object = entry / "probe_main.o";
    return d;
  }
  // Only the headers are staged: the driver's object may depend on nothing
  // else, or the cache key above would not name everything it was built from.
  const TempFolder staging("adcourse-build", "build", "build a submission in");
  write_staged(headers, staging.path());
  std::vector<std::string> args = flags;
  args.insert(args.end(), {"-I" + (staging.path() / "include").string(), "-I" + (inst.share_dir / "include").string(),
                           "-c", probe_main.string(), "-o", (staging.path() / "probe_main.o").string()});
  d.outcome = run_compiler(args, staging.path(), inst, mode);
  if (d.outcome.termination == Termination::exited && d.outcome.exit_code == 0 &&
      fs::exists(staging.path() / "probe_main.o", ec))
    d.object = store_in_cache(staging.path() / "probe_main.o", entry, "probe_main.o");
  else
    d.outcome.err = first_errors(d.outcome.err + d.outcome.out, staging.path());
  return d;
}

/// For the student: why the compiler did not finish.
std::string compiler_stopped(const RunOutcome& out) {
  return "the compiler " + out.describe() +
         " while compiling your code (a compile-time bomb such as deep template recursion, a huge "
         "constexpr loop or #include of a device?)";
}

}  // namespace

Installation find_installation() {
  Installation inst;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) inst.share_dir = exe.parent_path().parent_path() / "share" / "adcourse";
  if (const char* s = std::getenv("ADC_SHARE_DIR"); s && *s) inst.share_dir = s;
  if (const char* c = std::getenv("ADC_CACHE_DIR"); c && *c) {
    inst.cache_dir = c;
  } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    inst.cache_dir = fs::path(x) / "adcourse";
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    inst.cache_dir = fs::path(h) / ".cache" / "adcourse";
  } else {
    inst.cache_dir = fs::temp_directory_path() / "adcourse-cache";
  }
  return inst;
}

BuildResult build_probe(const fs::path& submission, const Installation& inst, SandboxMode mode) {
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(submission, ec))
    throw GraderError("submission \"" + submission.string() + "\" is not a folder; pass the folder that holds src/");
  const fs::path probe_main = inst.share_dir / "probe" / "probe_main.cpp";
  const fs::path support_lib = inst.share_dir / "lib" / "libprobe_support.a";
  const fs::path template_include = inst.share_dir / "template" / "include";
  for (const fs::path& p : {probe_main, support_lib})
    if (!fs::exists(p, ec))
      throw GraderError("grader installation is incomplete: \"" + p.string() +
                        "\" is missing; rebuild the project (grader/scripts/setup.sh)");

  BuildResult result;
  // Sources: src/*.cpp, or *.cpp at the top (a flat upload). Headers: include/,
  // or *.hpp at the top, or else the template's.
  std::vector<Staged> staged;
  std::vector<fs::path> sources = files_with(submission / "src", ".cpp", true);
  fs::path source_root = submission / "src";
  if (sources.empty()) {
    sources = files_with(submission, ".cpp", false);
    source_root = submission;
  }
  // The grader reads these outside the sandbox, with its own rights: a link
  // out of the submission (to the reference solution, a hidden spec,
  // /etc/shadow) would be compiled and quoted back in compiler errors, and a
  // huge file would fill the grader's memory. Such files are left out.
  constexpr std::uintmax_t max_source_bytes = 8u << 20;
  const fs::path real_root = fs::canonical(submission, ec);
  const auto keep_out = [&](const fs::path& p) {
    std::error_code e;
    const fs::path real = fs::canonical(p, e);
    const fs::path inside = real.lexically_relative(real_root);
    const std::string name = p.lexically_relative(submission).string();
    if (e || inside.empty() || *inside.begin() == "..") {
      result.notes.push_back(name + " links to a file outside the submission (or to none), which is not read; hand in "
                             "the file itself");
      return true;
    }
    if (fs::file_size(real, e) > max_source_bytes) {
      result.notes.push_back(name + " is larger than " + std::to_string(max_source_bytes >> 20) + " MiB and was left out");
      return true;
    }
    return false;
  };
  sources.erase(std::remove_if(sources.begin(), sources.end(), keep_out), sources.end());
  if (sources.empty() && !result.notes.empty()) {
    // The submission's own doing: a compile failure for the student, not a grader error.
    result.errors = "none of your sources could be compiled:";
    for (const auto& note : result.notes) result.errors += "\n" + note;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
  }
  if (sources.empty())
    throw GraderError("submission \"" + submission.string() +
                      "\" has no C++ sources (src/*.cpp); hand in the folder laid out like student_template/");
  for (const auto& s : sources) staged.push_back({"src/" + fs::relative(s, source_root).string(), read_file(s)});
  std::vector<fs::path> headers = files_with(submission / "include", ".hpp", true);
  headers.erase(std::remove_if(headers.begin(), headers.end(), keep_out), headers.end());
  if (!headers.empty()) {
    for (const auto& h : headers)
      staged.push_back({"include/" + fs::relative(h, submission / "include").string(), read_file(h)});
  } else if (auto flat = files_with(submission, ".hpp", false);
             flat.erase(std::remove_if(flat.begin(), flat.end(), keep_out), flat.end()), !flat.empty()) {
    for (const auto& h : flat) staged.push_back({"include/ad/" + h.filename().string(), read_file(h)});
  } else {
    for (const auto& h : files_with(template_include, ".hpp", true))
      staged.push_back({"include/" + fs::relative(h, template_include).string(), read_file(h)});
    result.notes.push_back("no headers in the submission (include/ad/*.hpp): the template's headers were used");
  }

  const std::vector<std::string> flags = {"-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                          "-fdiagnostics-color=never", "-fmax-errors=20"};
  ContentHash h;
  h.add(inst.compiler);
  for (const auto& f : flags) h.add(f);
  h.add(read_file(probe_main));
  h.add(std::to_string(fs::file_size(support_lib)) + ":" +
        std::to_string(fs::last_write_time(support_lib).time_since_epoch().count()));
  for (const auto& s : staged) {
    h.add(s.relative);
    h.add(s.text);
  }
  result.hash = h.hex();
  const fs::path dir = inst.cache_dir / result.hash;
  const auto finish = [&]() {
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
  };
  // A probe or a genuine compile error stored by an earlier build of the same inputs.
  const auto from_cache = [&]() {
    if (fs::exists(dir / "probe", ec)) {
      result.ok = true;
      result.probe = dir / "probe";
    } else if (fs::exists(dir / "errors.txt", ec)) {
      result.errors = read_file(dir / "errors.txt");
    } else {
      return false;
    }
    result.cached = true;
    return true;
  };
  if (from_cache()) return finish();

  fs::create_directories(inst.cache_dir, ec);
  if (ec)
    throw GraderError("cannot create the build cache \"" + inst.cache_dir.string() + "\": " + ec.message() +
                      "; set ADC_CACHE_DIR to a writable folder");
  // Two byte-identical submissions graded at once (a batch's workers): the
  // second waits for the first and takes its probe from the cache.
  const CacheLock build_lock(inst.cache_dir / "locks" / (result.hash + ".lock"));
  if (from_cache()) return finish();
  // The driver first (cached per set of headers), then the student's sources
  // alone, linked with it: a class of students with the template's headers
  // compiles the driver once.
  std::vector<Staged> staged_headers;
  for (const auto& s : staged)
    if (s.relative.rfind("include/", 0) == 0) staged_headers.push_back(s);
  const DriverObject driver = driver_object(staged_headers, flags, inst, mode);
  RunOutcome out = driver.outcome;
  const TempFolder staging("adcourse-build", "build", "build a submission in");
  if (!driver.object.empty()) {
    const std::vector<std::string> staged_sources = write_staged(staged, staging.path());
    // A copy in the staging folder: the sandboxed compiler may not be able to
    // enter the cache.
    const fs::path object = staging.path() / "probe_main.o";
    fs::copy_file(driver.object, object, fs::copy_options::overwrite_existing, ec);
    if (ec) throw GraderError("cannot copy the probe driver \"" + driver.object.string() + "\": " + ec.message());
    std::vector<std::string> args = flags;
    args.push_back("-I" + (staging.path() / "include").string());
    args.push_back("-I" + (inst.share_dir / "include").string());
    args.insert(args.end(), staged_sources.begin(), staged_sources.end());
    args.insert(args.end(), {object.string(), support_lib.string(), "-o", (staging.path() / "probe").string()});
    out = run_compiler(args, staging.path(), inst, mode);
    if (out.termination == Termination::exited && out.exit_code == 0 && fs::exists(staging.path() / "probe", ec)) {
      result.ok = true;
      result.probe = store_in_cache(staging.path() / "probe", dir, "probe");
      return finish();
    }
    if (out.termination == Termination::exited) out.err = first_errors(out.err + out.out, staging.path());
  }
  // Here the driver (the student's headers) or the sources did not compile.
  result.errors = out.termination == Termination::exited ? out.err : compiler_stopped(out);
  // Remember a genuine compile error, so a byte-identical resubmission is not
  // compiled again; a limit hit may be the machine's fault and is retried.
  if (out.termination == Termination::exited) {
    fs::create_directories(dir, ec);
    write_file_atomically(dir / "errors.txt", result.errors);
  }
  return finish();
}

}  // namespace grader
