// Hostile and broken submissions (tests/fixtures/hostile/*.json), each graded
// end to end by build/bin/grader and checked for: its verdict and message, no
// process of it left running, no file changed outside its scratch folder, an
// intact and valid results file, and no network reached. Then bad input to
// the grader itself: each gets a clear error naming what and where, and no
// partial file is left behind.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "grader/fsutil.hpp"
#include "grader/report.hpp"
#include "grader/sandbox.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test_support::binary_dir;
using test_support::source_dir;
const fs::path hostile_dir = source_dir / "tests" / "fixtures" / "hostile";
// The corpus's own copies of some problems: an expected score must not move
// when someone adds a case to problems/.
const fs::path hostile_problems = hostile_dir / "problems";

/// Test folders under build/hostile-tmp.
struct TempDir : test_support::TempDir {
  explicit TempDir(const std::string& name) : test_support::TempDir("hostile-tmp", name) {}
};

/// A string no other process or file has in its name or command line: one per
/// build tree, entry and sandbox mode, so that two tests running at once do
/// not meet, and the same every run, so that the submission's sources (which
/// hold it) hit the build cache instead of filling it.
std::string token_for(const std::string& name, const std::string& sandbox) {
  return "adchostile" + std::to_string(std::hash<std::string>{}(binary_dir.string()) % 1000000007u) + "-" + name +
         "-" + sandbox;
}

std::string replace_all(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars)
    for (std::size_t at = 0; (at = text.find(key, at)) != std::string::npos; at += value.size())
      text.replace(at, key.size(), value);
  return text;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Copies base/include and base/src, then applies the fixture's edits and files, with @VARS@ substituted.
void materialize(const json& fixture, const fs::path& out, const std::map<std::string, std::string>& vars) {
  const fs::path base = source_dir / fixture.at("base").get<std::string>();
  for (const char* sub : {"include", "src"})
    fs::copy(base / sub, out / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const json& edit : fixture.value("edits", json::array())) {
    const fs::path file = out / edit.at("file").get<std::string>();
    std::string text = grader::read_file(file);
    const std::string replace = replace_all(edit.at("replace").get<std::string>(), vars);
    if (edit.contains("find")) {
      const std::string find = edit.at("find").get<std::string>();
      const auto at = text.find(find);
      ASSERT_NE(at, std::string::npos) << "fixture edit not found in " << file << ": " << find;
      ASSERT_EQ(text.find(find, at + 1), std::string::npos) << "fixture edit is ambiguous in " << file;
      text.replace(at, find.size(), replace);
    } else {
      text += replace;  // no "find": append
    }
    grader::write_file_atomically(file, text);
  }
  // value() returns a copy: keep it alive while items() iterates over it.
  const json files = fixture.value("files", json::object()), sized = fixture.value("sized_files", json::object()),
             links = fixture.value("links", json::object());
  for (const auto& [name, text] : files.items()) {
    fs::create_directories((out / name).parent_path());
    grader::write_file_atomically(out / name, replace_all(text.get<std::string>(), vars));
  }
  // Files too large to write out in a fixture: comment lines, to the given size.
  for (const auto& [name, bytes] : sized.items()) {
    const std::string line = "// padding padding padding padding padding padding padding padding padding\n";
    std::string text;
    while (text.size() < bytes.get<std::size_t>()) text += line;
    grader::write_file_atomically(out / name, text);
  }
  // Symbolic links (an uploaded archive may hold them), replacing what the base had there.
  for (const auto& [name, target] : links.items()) {
    fs::remove_all(out / name);
    fs::create_symlink(replace_all(target.get<std::string>(), vars), out / name);
  }
}

/// The fixture's problems (all of the corpus's when it names none) with short limits.
fs::path quick_problems(const json& fixture, const fs::path& dir) {
  fs::create_directories(dir);
  const json wanted = fixture.value("problems", json::array());
  for (const auto& e : fs::directory_iterator(hostile_problems)) {
    if (e.path().extension() != ".json") continue;
    const std::string id = e.path().stem().string();
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), id) == wanted.end()) continue;
    json spec = json::parse(grader::read_file(e.path()));
    spec["limits"] = {{"cpu_seconds", 1}, {"wall_seconds", 2}};
    spec["limits"].update(fixture.value("limits", json::object()));
    grader::write_file_atomically(dir / e.path().filename(), spec.dump(2));
  }
  return dir;
}


/// Points earned and available over every test of a problem (visible and hidden parts).
std::pair<double, double> problem_points(const json& results, const std::string& problem_id) {
  return test_support::problem_points(results, test_support::title_of(hostile_problems, problem_id));
}

/// What a student sees before the hidden tests are published: the top-level
/// output and every visible test.
std::string visible_text(const json& results) {
  json shown = json::array();
  shown.push_back(results.value("output", ""));
  for (const json& t : results.at("tests"))
    if (t.value("visibility", "visible") == "visible") shown.push_back(t);
  return shown.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Text as it appears inside a dumped JSON string.
std::string json_escaped(const std::string& text) {
  const std::string quoted = json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// ---------------------------------------------------------------------------
// What the machine looks like around a run.

/// A hash of every file's content and mode under `roots`, by path.
std::map<std::string, std::string> fingerprint(const std::vector<fs::path>& roots) {
  std::map<std::string, std::string> prints;
  for (const fs::path& root : roots) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      struct stat info {};
      if (::lstat(it->path().c_str(), &info) != 0) continue;
      std::string print = std::to_string(info.st_mode) + ":" + std::to_string(info.st_size);
      if (S_ISREG(info.st_mode)) print += ":" + std::to_string(std::hash<std::string>{}(slurp(it->path())));
      prints[it->path().string()] = print;
    }
  }
  return prints;
}

/// The paths whose fingerprint differs between before and after, one a line;
/// new files count under `fresh_roots` only.
std::string changes(const std::map<std::string, std::string>& before, const std::map<std::string, std::string>& after,
                    const std::vector<fs::path>& fresh_roots) {
  std::string text;
  for (const auto& [path, print] : before) {
    const auto it = after.find(path);
    if (it == after.end()) {
      text += "removed " + path + "\n";
    } else if (it->second != print) {
      text += "changed " + path + "\n";
    }
  }
  for (const auto& [path, print] : after) {
    const bool fresh_root = std::any_of(fresh_roots.begin(), fresh_roots.end(), [&](const fs::path& root) {
      return path.rfind(root.string() + "/", 0) == 0;
    });
    if (before.count(path) == 0 && fresh_root) text += "added " + path + "\n";
  }
  return text;
}

/// Entries whose name holds `token` in the folders a submission could try to write to.
std::vector<std::string> files_named_with(const std::string& token, const std::vector<fs::path>& dirs) {
  std::vector<std::string> found;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().filename().string().find(token) != std::string::npos) found.push_back(it->path().string());
  }
  return found;
}

/// Processes that have `token` in their command line or environment.
std::vector<pid_t> processes_with(const std::string& token) {
  std::vector<pid_t> found;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return found;
  while (const dirent* item = ::readdir(dir)) {
    if (item->d_name[0] < '0' || item->d_name[0] > '9') continue;
    const std::string base = std::string("/proc/") + item->d_name;
    if (slurp(base + "/cmdline").find(token) != std::string::npos ||
        slurp(base + "/environ").find(token) != std::string::npos)
      found.push_back(static_cast<pid_t>(std::atol(item->d_name)));
  }
  ::closedir(dir);
  return found;
}

/// Live processes whose parent is this test: as child subreaper, the test
/// adopts whatever the grader's run left behind when the grader exits.
std::vector<pid_t> live_children() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  std::vector<pid_t> found;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return found;
  while (const dirent* item = ::readdir(dir)) {
    if (item->d_name[0] < '0' || item->d_name[0] > '9') continue;
    const std::string stat = slurp(std::string("/proc/") + item->d_name + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state = '?';
    long ppid = 0;
    if (fields >> state >> ppid && ppid == ::getpid() && state != 'Z')
      found.push_back(static_cast<pid_t>(std::atol(item->d_name)));
  }
  ::closedir(dir);
  return found;
}

/// "pid ppid uid state: command line" of each process, for a failure message.
std::string describe_processes(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) {
    const std::string base = "/proc/" + std::to_string(pid);
    std::string cmdline = slurp(base + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string status = slurp(base + "/status");
    const auto field = [&](const std::string& name) {
      const auto at = status.find("\n" + name + ":");
      return at == std::string::npos ? std::string("?") : status.substr(at + name.size() + 2, status.find('\n', at + 1) - at - name.size() - 2);
    };
    text += std::to_string(pid) + " ppid" + field("PPid") + " uid" + field("Uid") + " " + field("State") + ": " + cmdline + "\n";
  }
  return text;
}

/// A TCP port on 127.0.0.1 that counts the connections it gets.
class Listener {
 public:
  Listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  /// Connections accepted so far.
  int connections() {
    for (int client; (client = ::accept(fd_, nullptr, nullptr)) >= 0; ++accepted_) ::close(client);
    return accepted_;
  }

 private:
  int fd_;
  int port_ = 0;
  int accepted_ = 0;
};

struct GraderRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

/// Runs build/bin/grader with args and extra environment entries; kills it after `timeout`.
GraderRun run_grader(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                     const fs::path& output_file, std::chrono::seconds timeout = std::chrono::seconds(150)) {
  std::vector<std::string> argv = {(binary_dir / "bin" / "grader").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
    const int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  GraderRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.output = "the grader did not finish in time\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output += slurp(output_file);
  return run;
}

// ---------------------------------------------------------------------------
// The corpus.

/// One entry of the corpus under one sandbox mode.
struct Entry {
  std::string name;     ///< file name without .json
  std::string sandbox;  ///< "auto" or "rlimits"
};

/// How GoogleTest prints an entry.
void PrintTo(const Entry& entry, std::ostream* out) { *out << entry.name << " (sandbox " << entry.sandbox << ")"; }

std::vector<Entry> corpus() {
  std::vector<Entry> entries;
  for (const auto& e : fs::directory_iterator(hostile_dir)) {
    if (e.path().extension() != ".json") continue;
    const json fixture = json::parse(grader::read_file(e.path()));
    for (const json& mode : fixture.value("sandbox", json::array({"auto"})))
      entries.push_back({e.path().stem().string(), mode.get<std::string>()});
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.name, a.sandbox) < std::tie(b.name, b.sandbox); });
  return entries;
}

class HostileSubmission : public ::testing::TestWithParam<Entry> {};

TEST_P(HostileSubmission, GetsItsVerdictAndLeavesTheMachineAsItWas) {
  const Entry& entry = GetParam();
  const json fixture = json::parse(grader::read_file(hostile_dir / (entry.name + ".json")));
  const bool bubblewrap = entry.sandbox == "auto" && grader::bubblewrap_usable();
  if (fixture.value("requires_bubblewrap", false) && !bubblewrap)
    GTEST_SKIP() << "this entry is only held off by bubblewrap, which cannot run here: see README \"The sandbox\"";
  // Without bubblewrap, a grader that is not root runs the child as its own
  // user: the child may then write, read and kill whatever that user may.
  const bool isolated = bubblewrap || ::geteuid() == 0;
  if (fixture.value("requires_isolation", false) && !isolated)
    GTEST_SKIP() << "this entry would reach this user's files or processes: without bubblewrap only a grader run as "
                    "root isolates the child (see README \"The sandbox\")";

  TempDir work(entry.name + "-" + entry.sandbox);
  const fs::path results = work.path() / "results" / "results.json";
  fs::create_directories(results.parent_path());
  // What the submission aims at is a decoy of the project (its reference
  // solution and problem specs, at the same places): if the sandbox failed,
  // the real tree would not be damaged, and concurrent edits of the real tree
  // cannot be taken for the submission's doing.
  const fs::path decoy = work.path() / "project";
  fs::create_directories(decoy);
  for (const char* sub : {"reference", "problems"})
    fs::copy(source_dir / sub, decoy / sub, fs::copy_options::recursive);
  Listener listener;
  const std::string token = token_for(entry.name, entry.sandbox);
  const std::map<std::string, std::string> vars = {{"@TOKEN@", token},
                                                   {"@RESULTS@", results.string()},
                                                   {"@WORK@", work.path().string()},
                                                   {"@SOURCE@", decoy.string()},
                                                   {"@PORT@", std::to_string(listener.port())}};
  const fs::path submission = work.path() / "submission";
  fs::create_directories(submission);
  materialize(fixture, submission, vars);
  if (HasFatalFailure()) return;
  const fs::path problems = quick_problems(fixture, work.path() / "problems");

  // What the corpus aims at: the reference solution, the problem specs (hidden
  // cases), and the grader's inputs.
  const std::vector<fs::path> watched = {decoy, submission, problems};
  const auto before = fingerprint(watched);
  const char* home = std::getenv("HOME");
  std::vector<fs::path> token_dirs = {"/",          "/tmp",     "/var/tmp", "/dev/shm",   "/root",
                                      source_dir,   decoy,      work.path(), submission, problems,
                                      results.parent_path(), fs::temp_directory_path() / "adcourse-runs"};
  if (home != nullptr) token_dirs.push_back(home);

  // A port differs every run: such a submission is built in a cache of its own, which goes with the test's folder.
  const bool stable_sources = grader::read_file(hostile_dir / (entry.name + ".json")).find("@PORT@") == std::string::npos;
  std::map<std::string, std::string> env = {
      {"ADC_CACHE_DIR", (stable_sources ? binary_dir / "hostile-cache" : work.path() / "cache").string()}};
  const json extra_env = fixture.value("env", json::object());
  for (const auto& [key, value] : extra_env.items()) env[key] = value.get<std::string>();
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  const GraderRun run = run_grader({"grade", submission.string(), "--out", results.string(), "--junit",
                                    (results.parent_path() / "junit.xml").string(), "--problems", problems.string(),
                                    "--sandbox", entry.sandbox, "-q", "--no-report"},
                                   env, work.path() / "grader-output.txt");
  const json& expect = fixture.at("expect");
  EXPECT_EQ(run.exit_code, expect.value("exit_code", 0)) << run.output;

  // Nothing of the submission runs on.
  EXPECT_TRUE(live_children().empty()) << "processes of the submission outlived the grader:\n"
                                        << describe_processes(live_children());
  EXPECT_TRUE(processes_with(token).empty()) << "a process started by the submission is still running:\n"
                                             << describe_processes(processes_with(token));
  for (pid_t pid : live_children()) ::kill(pid, SIGKILL);
  for (pid_t pid : processes_with(token)) ::kill(pid, SIGKILL);

  // The results file is the grader's, whole and valid.
  ASSERT_TRUE(fs::exists(results)) << run.output;
  json got;
  ASSERT_NO_THROW(got = json::parse(grader::read_file(results))) << grader::read_file(results);
  const auto violations = grader::validate_gradescope_json(got);
  EXPECT_TRUE(violations.empty()) << violations.front();
  EXPECT_NE(slurp(results.parent_path() / "junit.xml").find("<testsuites"), std::string::npos);

  // Nothing changed outside the scratch folders; the results folder holds what the grader wrote, and nothing else.
  std::vector<std::string> in_results_folder;
  for (const auto& e : fs::directory_iterator(results.parent_path())) in_results_folder.push_back(e.path().filename());
  std::sort(in_results_folder.begin(), in_results_folder.end());
  EXPECT_EQ(in_results_folder, (std::vector<std::string>{"junit.xml", "results.json"}));
  if (isolated) {
    EXPECT_EQ(changes(before, fingerprint(watched), watched), "")
        << "files outside the scratch folder changed";
    EXPECT_EQ(files_named_with(token, token_dirs), std::vector<std::string>{});
  }
  if (bubblewrap) {
    EXPECT_EQ(listener.connections(), 0) << "the submission reached the network";
  }

  // The verdict and the message.
  const std::string text = got.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::string context = "\n" + run.output + "\nresults: " + got.dump(2, ' ', false, json::error_handler_t::replace);
  if (expect.contains("score")) {
    EXPECT_NEAR(got.at("score").get<double>(), expect.at("score").get<double>(), 0.01) << context;
  }
  const json points_of = expect.value("points", json::object());
  for (const auto& [id, points] : points_of.items()) {
    const auto [score, max] = problem_points(got, id);
    EXPECT_GT(max, 0.0) << id;
    EXPECT_NEAR(score, points.get<double>(), 0.01) << id << context;
  }
  for (const json& id : expect.value("full", json::array())) {
    const auto [score, max] = problem_points(got, id.get<std::string>());
    EXPECT_GT(max, 0.0) << id;
    EXPECT_NEAR(score, max, 1e-9) << id << " should keep every point" << context;
  }
  for (const json& id : expect.value("zero", json::array()))
    EXPECT_EQ(problem_points(got, id.get<std::string>()).first, 0.0) << id << " should get nothing" << context;
  std::vector<json> messages = expect.value("messages", std::vector<json>{});
  if (bubblewrap)
    for (const json& m : expect.value("messages_with_bubblewrap", json::array())) messages.push_back(m);
  for (const json& m : messages)
    EXPECT_NE(text.find(json_escaped(replace_all(m.get<std::string>(), vars))), std::string::npos)
        << "missing message: " << m << context;
  for (const json& m : expect.value("absent", json::array()))
    EXPECT_EQ(text.find(json_escaped(replace_all(m.get<std::string>(), vars))), std::string::npos)
        << "must not appear: " << m << context;
  const std::string shown = visible_text(got);
  for (const json& m : expect.value("absent_from_visible", json::array()))
    EXPECT_EQ(shown.find(json_escaped(m.get<std::string>())), std::string::npos)
        << "a visible test shows hidden data: " << m << context;
}

std::string entry_name(const ::testing::TestParamInfo<Entry>& info) {
  std::string name;
  bool upper = true;
  for (char c : info.param.name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return info.param.sandbox == "auto" ? name : name + "WithoutBubblewrap";
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileSubmission, ::testing::ValuesIn(corpus()), entry_name);

// ---------------------------------------------------------------------------
// Bad input to the grader itself: a clear error naming what and where, and no
// partial file left behind.

/// The reference, one problem with short limits, a results folder and a cache, under one folder.
struct GraderInputs {
  explicit GraderInputs(const std::string& name) : work(name) {
    fs::create_directories(results_folder());
    fs::create_directories(problems());
    json spec = json::parse(grader::read_file(hostile_problems / "vjp_add.json"));
    spec["limits"] = {{"cpu_seconds", 1}, {"wall_seconds", 2}};
    grader::write_file_atomically(problems() / "vjp_add.json", spec.dump(2));
  }
  fs::path results_folder() const { return work.path() / "results"; }
  fs::path results() const { return results_folder() / "results.json"; }
  fs::path problems() const { return work.path() / "problems"; }
  /// Runs `grader grade submission --out out --problems problems -q --no-report`.
  GraderRun grade(const fs::path& submission, const fs::path& out, const std::string& name = "grader") const {
    return run_grader({"grade", submission.string(), "--out", out.string(), "--problems", problems().string(), "-q",
                       "--no-report"},
                      {{"ADC_CACHE_DIR", cache.string()}}, work.path() / (name + ".txt"));
  }
  /// The names in the results folder.
  std::vector<std::string> left_in_results_folder() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(results_folder())) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  TempDir work;
  fs::path cache = binary_dir / "hostile-cache";
};

TEST(BadGraderInput, MalformedSpecIsAnErrorNamingTheFile) {
  GraderInputs in("malformed-spec");
  grader::write_file_atomically(in.problems() / "broken.json", "{\"id\": \"broken\", \"title\": ");
  const GraderRun run = in.grade(source_dir / "reference", in.results());
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.output.find((in.problems() / "broken.json").string() + ": is not valid JSON"), std::string::npos)
      << run.output;
  const json results = json::parse(grader::read_file(in.results()));
  EXPECT_TRUE(grader::validate_gradescope_json(results).empty());
  EXPECT_EQ(results.at("score").get<double>(), 0.0);
  EXPECT_NE(results.at("output").get<std::string>().find("broken.json"), std::string::npos);
  EXPECT_EQ(in.left_in_results_folder(), std::vector<std::string>{"results.json"});
}

TEST(BadGraderInput, ContradictorySpecIsAnErrorNamingTheFieldAndTheFix) {
  GraderInputs in("contradictory-spec");
  json spec = json::parse(grader::read_file(in.problems() / "vjp_add.json"));
  spec["limits"] = {{"cpu_seconds", 30}, {"wall_seconds", 5}};  // a wall limit below the CPU limit
  grader::write_file_atomically(in.problems() / "vjp_add.json", spec.dump(2));
  const GraderRun run = in.grade(source_dir / "reference", in.results());
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.output.find("vjp_add.json"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("wall_seconds"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("cpu_seconds"), std::string::npos) << run.output;
  EXPECT_TRUE(grader::validate_gradescope_json(json::parse(grader::read_file(in.results()))).empty());
  EXPECT_EQ(in.left_in_results_folder(), std::vector<std::string>{"results.json"});
}

TEST(BadGraderInput, SubmissionThatIsAFileIsAnErrorNamingIt) {
  GraderInputs in("submission-is-a-file");
  const fs::path file = in.work.path() / "submission.zip";
  grader::write_file_atomically(file, "PK");
  const GraderRun run = in.grade(file, in.results());
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.output.find("submission \"" + file.string() + "\" is not a folder"), std::string::npos) << run.output;
  EXPECT_TRUE(grader::validate_gradescope_json(json::parse(grader::read_file(in.results()))).empty());
}

TEST(BadGraderInput, UnreadableSourceIsAnErrorNamingIt) {
  GraderInputs in("unreadable-source");
  const fs::path submission = in.work.path() / "submission";
  fs::create_directories(submission);
  for (const char* sub : {"include", "src"})
    fs::copy(source_dir / "reference" / sub, submission / sub, fs::copy_options::recursive);
  fs::permissions(submission / "src" / "tape.cpp", fs::perms::none);
  std::vector<std::string> args = {"grade", submission.string(), "--out", in.results().string(), "--problems",
                                   in.problems().string(), "-q", "--no-report"};
  if (::geteuid() == 0) {
    // Root reads any file: run this grader as nobody, who cannot.
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "root reads every file, and setpriv is missing";
    fs::permissions(in.work.path(), fs::perms::all);
    fs::permissions(in.results_folder(), fs::perms::all);
    fs::permissions(in.problems(), fs::perms::all);
    for (const auto& e : fs::recursive_directory_iterator(in.problems())) fs::permissions(e.path(), fs::perms::all);
    args.insert(args.begin(), {"--reuid=65534", "--regid=65534", "--clear-groups", (binary_dir / "bin" / "grader").string()});
  }
  const fs::path output = in.work.path() / "grader.txt";
  GraderRun run;
  if (::geteuid() == 0) {
    // run_grader runs build/bin/grader: go through setpriv by hand.
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("ADC_CACHE_DIR", (in.work.path() / "cache").c_str(), 1);
      const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
      ::dup2(out, 1);
      ::dup2(out, 2);
      std::vector<char*> raw = {const_cast<char*>("/usr/bin/setpriv")};
      for (auto& a : args) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.output = slurp(output);
  } else {
    run = in.grade(submission, in.results());
  }
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_NE(run.output.find("cannot read \"" + (submission / "src" / "tape.cpp").string() + "\": Permission denied"),
            std::string::npos)
      << run.output;
  EXPECT_TRUE(grader::validate_gradescope_json(json::parse(grader::read_file(in.results()))).empty());
  EXPECT_EQ(in.left_in_results_folder(), std::vector<std::string>{"results.json"});
}

TEST(BadGraderInput, MissingOutputFolderIsAnErrorBeforeGradingAndCreatesNothing) {
  GraderInputs in("missing-output-folder");
  in.cache = in.work.path() / "cache";
  const fs::path out = in.work.path() / "no-such-folder" / "results.json";
  const GraderRun run = in.grade(source_dir / "reference", out);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.output.find("cannot write \"" + out.string() + "\": No such file or directory in folder \"" +
                            out.parent_path().string() + "\""),
            std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(out.parent_path()));
  EXPECT_FALSE(fs::exists(in.cache)) << "refused before anything was built";
}

TEST(BadGraderInput, OutputPathThatIsAFolderIsAnErrorNamingIt) {
  GraderInputs in("output-is-a-folder");
  const GraderRun run = in.grade(source_dir / "reference", in.results_folder());
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.output.find("cannot write \"" + in.results_folder().string() + "\": it is a folder"), std::string::npos)
      << run.output;
  EXPECT_TRUE(in.left_in_results_folder().empty());
}

TEST(BadGraderInput, SecondGraderOnTheSameResultsFileStopsWithAnError) {
  GraderInputs in("same-results-file");
  // The first grader grades a submission that sleeps in every check, so that it is still at work.
  const fs::path slow = in.work.path() / "slow";
  fs::create_directories(slow);
  for (const char* sub : {"include", "src"}) fs::copy(source_dir / "reference" / sub, slow / sub, fs::copy_options::recursive);
  std::string tensor = grader::read_file(slow / "src" / "tensor.cpp");
  const std::string head = "void vjp_add(ConstMatRef dz, MatRef dx) {\n";
  ASSERT_NE(tensor.find(head), std::string::npos);
  tensor.insert(tensor.find(head) + head.size(), "  ::sleep(100);\n");
  tensor = "#include <unistd.h>\n" + tensor;
  grader::write_file_atomically(slow / "src" / "tensor.cpp", tensor);

  GraderRun first;
  std::thread first_grader([&] { first = in.grade(slow, in.results(), "first"); });
  const fs::path lock = in.results_folder() / ".results.json.lock";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(lock) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const GraderRun second = in.grade(source_dir / "reference", in.results(), "second");
  first_grader.join();

  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.output.find("another grader is writing \"" + in.results().string() + "\""), std::string::npos)
      << second.output;
  EXPECT_EQ(first.exit_code, 0) << first.output;
  const json results = json::parse(grader::read_file(in.results()));
  EXPECT_TRUE(grader::validate_gradescope_json(results).empty());
  EXPECT_EQ(results.at("score").get<double>(), 0.0) << "the results are the first grader's (a submission that sleeps)";
  EXPECT_EQ(in.left_in_results_folder(), std::vector<std::string>{"results.json"});
}

TEST(BadGraderInput, GradersWithTheirOwnResultsFilesShareAFolder) {
  GraderInputs in("shared-results-folder");
  GraderRun first;
  std::thread first_grader([&] { first = in.grade(source_dir / "reference", in.results_folder() / "a.json", "a"); });
  const GraderRun second = in.grade(source_dir / "student_template", in.results_folder() / "b.json", "b");
  first_grader.join();
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(json::parse(grader::read_file(in.results_folder() / "a.json")).at("score").get<double>(), 5.0);
  EXPECT_EQ(json::parse(grader::read_file(in.results_folder() / "b.json")).at("score").get<double>(), 0.0);
  EXPECT_EQ(in.left_in_results_folder(), (std::vector<std::string>{"a.json", "b.json"}));
}

}  // namespace
