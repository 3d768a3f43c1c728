// Building a probe. The compiler runs in the sandbox on a staged copy of the
// submission, so an #include of files outside it (the reference solution,
// hidden problem data) finds nothing, and a compile-time bomb hits limits.
#include "grader/build.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

/// Two FNV-1a streams with different offsets: 128 bits, enough to tell builds apart.
class Hasher {
 public:
  void add(const std::string& s) {
    for (unsigned char c : s) {
      a_ = (a_ ^ c) * 1099511628211ULL;
      b_ = (b_ ^ c) * 1099511628211ULL;
    }
    a_ = (a_ ^ 0xff) * 1099511628211ULL;  // separator, so ("ab","c") != ("a","bc")
    b_ = (b_ ^ 0xfe) * 1099511628211ULL;
  }
  std::string hex() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                  static_cast<unsigned long long>(b_));
    return buf;
  }

 private:
  unsigned long long a_ = 1469598103934665603ULL;
  unsigned long long b_ = 0x84222325cbf29ce4ULL;
};

std::vector<fs::path> files_with(const fs::path& dir, const std::string& ext, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  } else {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
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
    if (line.find("error") != std::string::npos || (kept > 0 && kept < 30 && line.rfind("  ", 0) == 0)) {
      out += line + "\n";
      ++kept;
    }
  }
  if (out.empty()) out = log.substr(0, 4000);
  return out;
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
  if (sources.empty())
    throw GraderError("submission \"" + submission.string() +
                      "\" has no C++ sources (src/*.cpp); hand in the folder laid out like student_template/");
  for (const auto& s : sources) staged.push_back({"src/" + fs::relative(s, source_root).string(), read_file(s)});
  std::vector<fs::path> headers = files_with(submission / "include", ".hpp", true);
  if (!headers.empty()) {
    for (const auto& h : headers)
      staged.push_back({"include/" + fs::relative(h, submission / "include").string(), read_file(h)});
  } else if (const auto flat = files_with(submission, ".hpp", false); !flat.empty()) {
    for (const auto& h : flat) staged.push_back({"include/ad/" + h.filename().string(), read_file(h)});
  } else {
    for (const auto& h : files_with(template_include, ".hpp", true))
      staged.push_back({"include/" + fs::relative(h, template_include).string(), read_file(h)});
    result.notes.push_back("no headers in the submission (include/ad/*.hpp): the template's headers were used");
  }

  const std::vector<std::string> flags = {"-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                          "-fdiagnostics-color=never", "-fmax-errors=20"};
  Hasher h;
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
  if (fs::exists(dir / "probe", ec)) {
    result.ok = true;
    result.cached = true;
    result.probe = dir / "probe";
    return finish();
  }
  if (fs::exists(dir / "errors.txt", ec)) {
    result.errors = read_file(dir / "errors.txt");
    result.cached = true;
    return finish();
  }

  // Stage into a private temporary folder (the sandboxed compiler may run as
  // an unprivileged user, who cannot enter the cache under a private home).
  fs::create_directories(inst.cache_dir, ec);
  if (ec)
    throw GraderError("cannot create the build cache \"" + inst.cache_dir.string() + "\": " + ec.message() +
                      "; set ADC_CACHE_DIR to a writable folder");
  const fs::path staging_base = fs::temp_directory_path() / "adcourse-build";
  fs::create_directories(staging_base, ec);
  std::string tmpl = (staging_base / "build-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw GraderError("cannot create a build folder in \"" + staging_base.string() + "\"; set TMPDIR to a writable folder");
  const fs::path staging = tmpl;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{staging};
  fs::create_directories(staging / "include", ec);
  fs::create_directories(staging / "src", ec);
  std::vector<std::string> argv = {"/usr/bin/env", inst.compiler};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("-I" + (staging / "include").string());
  argv.push_back("-I" + (inst.share_dir / "include").string());
  argv.push_back((inst.share_dir / "probe" / "probe_main.cpp").string());
  for (const auto& s : staged) {
    const fs::path p = staging / s.relative;
    fs::create_directories(p.parent_path(), ec);
    write_file_atomically(p, s.text);
    if (s.relative.rfind("src/", 0) == 0) argv.push_back(p.string());
  }
  argv.push_back(support_lib.string());
  argv.push_back("-o");
  argv.push_back((staging / "probe").string());

  RunRequest req;
  req.argv = argv;
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
  const RunOutcome out = run_sandboxed(req);
  if (out.termination == Termination::start_failed)
    throw GraderError("cannot start the compiler \"" + inst.compiler + "\": " + out.error);
  if (out.termination == Termination::exited && out.exit_code == 0 && fs::exists(staging / "probe", ec)) {
    // Into the cache by one rename, so a concurrent grader never sees half a probe.
    const fs::path entry = inst.cache_dir / (result.hash + ".tmp" + std::to_string(::getpid()));
    fs::remove_all(entry, ec);
    fs::create_directories(entry, ec);
    fs::copy_file(staging / "probe", entry / "probe", fs::copy_options::overwrite_existing, ec);
    if (ec) throw GraderError("cannot store the probe in the build cache \"" + entry.string() + "\": " + ec.message());
    fs::rename(entry, dir, ec);
    if (ec) fs::remove_all(entry, ec);  // another grader stored the same build first: use its copy
    result.ok = true;
    result.probe = dir / "probe";
    return finish();
  }
  if (out.termination == Termination::exited) {
    result.errors = first_errors(out.err + out.out, staging);
  } else {
    result.errors = "the compiler " + out.describe() +
                    " while compiling your code (a compile-time bomb such as deep template recursion, a huge "
                    "constexpr loop or #include of a device?)";
  }
  // Remember a genuine compile error, so a byte-identical resubmission is not
  // compiled again; a limit hit may be the machine's fault and is retried.
  if (out.termination == Termination::exited) {
    fs::create_directories(dir, ec);
    write_file_atomically(dir / "errors.txt", result.errors);
  }
  return finish();
}

}  // namespace grader
