// Grading one submission on many seeds: one probe run per problem and chunk of
// seeds, then every seed's plan judged as grade_submission judges it.
#include "grader/seed_sweep.hpp"

#include <unistd.h>

#include <algorithm>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/judge.hpp"
#include "grader/plan.hpp"
#include "grader/protocol.hpp"
#include "grader/spec.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

/// Runs `tasks` in one probe; the outcome of each. A run that ends early
/// fails the task it stopped in and every later one (no restart: a sweep is
/// for submissions that do not crash, and says so when one does).
std::vector<TaskOutcome> run_all(const std::vector<protocol::Task>& tasks, const fs::path& probe,
                                 const ProblemLimits& lim, std::size_t seeds, SandboxMode mode) {
  std::vector<TaskOutcome> outcomes(tasks.size());
  TempFolder scratch("adcourse-runs", "sweep", "run a probe in");
  const fs::path local = scratch.path() / "probe";
  std::error_code ec;
  fs::copy_file(probe, local, fs::copy_options::overwrite_existing, ec);
  if (ec) throw GraderError("cannot copy the probe into \"" + scratch.path().string() + "\": " + ec.message());
  protocol::Request req;
  req.tasks = tasks;
  RunRequest rr;
  rr.argv = {local.string()};
  rr.stdin_data = protocol::encode_request(req);
  rr.scratch_dir = scratch.path();
  rr.mode = mode;
  rr.env = {"LANG=C"};
  // The problem's limits are for one seed's tasks.
  const double scale = static_cast<double>(std::max<std::size_t>(seeds, 1));
  rr.limits.cpu_seconds = std::min(lim.cpu_seconds * scale, 600.0);
  rr.limits.wall_seconds = std::min(lim.wall_seconds * scale, 1200.0);
  rr.limits.memory_bytes = lim.memory_mb << 20;
  rr.limits.output_bytes = 256ull << 20;
  const RunOutcome out = run_sandboxed(rr);
  if (out.termination == Termination::start_failed)
    throw GraderError("cannot start the probe \"" + probe.string() + "\": " + out.error);
  const protocol::Channel ch = protocol::decode_channel(out.results);
  std::size_t next = 0;
  for (const protocol::Reply& r : ch.replies) {
    if (r.task != next || r.task >= tasks.size()) break;
    outcomes[r.task].state = TaskOutcome::State::replied;
    outcomes[r.task].reply = r;
    ++next;
  }
  for (std::size_t k = next; k < tasks.size(); ++k) {
    outcomes[k].state = TaskOutcome::State::failed;
    outcomes[k].failure = k == next ? "the probe " + out.describe() + " during this check (" +
                                          (ch.problem.empty() ? std::string("no reply") : ch.problem) + ")"
                                    : "not run: the probe stopped at an earlier check of the sweep";
  }
  return outcomes;
}

}  // namespace

SeedSweepResult sweep_seeds(const SeedSweepOptions& options) {
  const auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };
  const std::vector<ProblemSpec> problems = load_problems(options.problems);
  SeedSweepResult result;
  result.seeds = options.seeds.size();
  const BuildResult build = build_probe(options.submission, options.installation, options.sandbox);
  if (!build.ok) {
    result.build_errors = build.errors;
    return result;
  }
  result.built = true;
  std::vector<bool> full(options.seeds.size(), true);
  const std::size_t chunk = std::max<std::size_t>(options.seeds_per_run, 1);
  for (const ProblemSpec& problem : problems) {
    // Complexity problems time the code rather than check values on drawn
    // points: once per grading is the test, a thousand seeds would only take long.
    if (problem.kind == ProblemKind::complexity) continue;
    for (std::size_t first = 0; first < options.seeds.size(); first += chunk) {
      const std::size_t last = std::min(first + chunk, options.seeds.size());
      std::vector<Plan> plans;
      std::vector<protocol::Task> tasks;
      for (std::size_t s = first; s < last; ++s) {
        plans.push_back(plan_problem(problem, options.seeds[s], false));
        tasks.insert(tasks.end(), plans.back().tasks.begin(), plans.back().tasks.end());
      }
      if (tasks.empty()) continue;
      const std::vector<TaskOutcome> outcomes = run_all(tasks, build.probe, problem.limits, last - first, options.sandbox);
      ++result.probe_runs;
      result.tasks += tasks.size();
      std::size_t at = 0;
      for (std::size_t s = first; s < last; ++s) {
        const Plan& plan = plans[s - first];
        const std::vector<TaskOutcome> mine(outcomes.begin() + static_cast<std::ptrdiff_t>(at),
                                            outcomes.begin() + static_cast<std::ptrdiff_t>(at + plan.tasks.size()));
        at += plan.tasks.size();
        for (const CaseResult& c : judge_plan(plan, mine)) {
          if (!c.oracle_note.empty()) {
            if (result.staff_notes.size() < 100)
              result.staff_notes.push_back("seed " + std::to_string(options.seeds[s]) + ", " + problem.id + " / " +
                                           c.name + ": " + c.oracle_note);
            ++result.note_count;
          }
          if (c.passed) continue;
          full[s] = false;
          if (result.losses.size() < 1000)
            result.losses.push_back({options.seeds[s], problem.id, c.name, c.message, c.diagnosis});
          ++result.loss_count;
        }
      }
      say(problem.id + ": seeds " + std::to_string(first + 1) + "-" + std::to_string(last) + " judged");
    }
  }
  result.seeds_with_full_marks = static_cast<std::size_t>(std::count(full.begin(), full.end(), true));
  return result;
}

}  // namespace grader
