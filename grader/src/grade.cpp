// Grading one submission: the only module that connects build, sandbox and judge.
#include "grader/grade.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/judge.hpp"
#include "grader/plan.hpp"
#include "grader/protocol.hpp"
#include "grader/spec.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

struct ProblemRun {
  std::vector<TaskOutcome> outcomes;
  std::string child_stdout, child_stderr;
  double seconds = 0.0;
};

/// The wall-clock time all runs of one submission may take together.
struct TimeBudget {
  double limit = 60.0;
  double used = 0.0;
  double left() const { return limit - used; }
  /// Too little is left to start another run.
  bool spent() const { return left() < 0.05; }
};

/// Runs the tasks `group` of a plan (indices into plan.tasks, in order) in
/// probe runs that are given only those tasks, restarting the probe after a
/// task that crashed or hung so that the other tasks still run. `timeouts`
/// counts runs out of time over the whole plan: at two, nothing more runs;
/// nor does anything once the submission's time budget is spent.
void run_group(const Plan& plan, const std::vector<std::size_t>& group, const fs::path& probe, SandboxMode mode,
               bool keep_output, int& timeouts, TimeBudget& budget, ProblemRun& run) {
  const std::size_t n = group.size();
  protocol::Request req;
  for (std::size_t k : group) req.tasks.push_back(plan.tasks[k]);
  std::size_t start = 0;
  const ProblemLimits& lim = plan.problem->limits;
  req.check_cpu_seconds = lim.check_cpu();
  while (start < n && timeouts < 2 && !budget.spent()) {
    req.start = start;
    TempFolder scratch("adcourse-runs", "run", "run a probe in");
    RunRequest rr;
    // A copy of the probe in the scratch folder: the sandboxed user may not be
    // able to enter the build cache, and the copy is the child's to spoil.
    const fs::path local = scratch.path() / "probe";
    std::error_code ec;
    fs::copy_file(probe, local, fs::copy_options::overwrite_existing, ec);
    if (ec) throw GraderError("cannot copy the probe into \"" + scratch.path().string() + "\": " + ec.message());
    rr.argv = {local.string()};
    rr.stdin_data = protocol::encode_request(req);
    rr.scratch_dir = scratch.path();
    // Nothing the probe writes is needed afterwards: a small private tmpfs, so
    // that it cannot fill the host's disk.
    rr.private_scratch = true;
    rr.mode = mode;
    rr.env = {"LANG=C"};
    rr.limits.cpu_seconds = lim.cpu_seconds;
    // The problem's wall limit, or what is left of the submission's.
    const bool budget_bound = budget.left() < lim.wall_seconds;
    rr.limits.wall_seconds = budget_bound ? budget.left() : lim.wall_seconds;
    // One check may take check_seconds, a timing check its measuring budget on top.
    double longest_budget = 0.0;
    for (std::size_t i = start; i < n; ++i)
      if (req.tasks[i].kind == protocol::TaskKind::timing)
        longest_budget = std::max(longest_budget, req.tasks[i].timing.budget_seconds);
    rr.limits.idle_seconds = lim.check_seconds + longest_budget;
    rr.limits.memory_bytes = lim.memory_mb << 20;
    rr.limits.output_bytes = lim.output_kb << 10;
    // The results channel holds the numbers themselves: allow it more room.
    if (rr.limits.output_bytes < (8u << 20)) rr.limits.output_bytes = 8u << 20;
    const RunOutcome out = run_sandboxed(rr);
    run.seconds += out.wall_seconds;
    budget.used += out.wall_seconds;
    const std::size_t cap = lim.output_kb << 10;
    if (keep_output && run.child_stdout.size() < cap) run.child_stdout += out.out.substr(0, cap - run.child_stdout.size());
    if (keep_output && run.child_stderr.size() < cap) run.child_stderr += out.err.substr(0, cap - run.child_stderr.size());
    if (out.termination == Termination::start_failed)
      throw GraderError("cannot start the probe \"" + probe.string() + "\": " + out.error);

    const protocol::Channel ch = protocol::decode_channel(out.results);
    std::size_t next = start;
    bool forged = false;  // a reply for a task this run was not asked (the submission wrote on the channel)
    bool cpu_stop = false;  // the probe stopped a task past its CPU time limit, and itself
    for (const protocol::Reply& r : ch.replies) {
      if (r.task < next || r.task >= n) {
        forged = true;
        break;
      }
      for (std::size_t skipped = next; skipped < r.task; ++skipped) {
        run.outcomes[group[skipped]].state = TaskOutcome::State::failed;
        run.outcomes[group[skipped]].failure =
            "the probe skipped this check (did your code write to the grader's results channel?)";
      }
      TaskOutcome& o = run.outcomes[group[r.task]];
      next = r.task + 1;
      if (!r.ok && r.category == protocol::kCheckCpuLimit) {
        // The text is the grader's own: the reply only says which task.
        o.state = TaskOutcome::State::failed;
        o.failure = "your program ran out of time: this check used more than " +
                    seconds_text(protocol::task_cpu_limit(req, req.tasks[r.task])) +
                    " s of CPU time (an endless loop?)";
        cpu_stop = true;
        break;
      }
      o.state = TaskOutcome::State::replied;
      o.reply = r;
      o.reply.task = group[r.task];
    }
    if (cpu_stop) {
      ++timeouts;
      start = next;
      continue;
    }
    if (ch.ended && ch.problem.empty() && !forged && next == n) break;
    if (next >= n) break;
    // Task `next` is where it went wrong.
    TaskOutcome& bad = run.outcomes[group[next]];
    bad.state = TaskOutcome::State::failed;
    if (!ch.problem.empty() || forged) {
      bad.failure = "your program wrote something unreadable on the grader's results channel (" +
                    (forged ? std::string("a reply for a check that was not running") : ch.problem) +
                    "); do not write to file descriptors your code did not open";
    } else if (out.results_truncated) {
      bad.failure = "the grader's results channel received more than the " +
                    std::to_string(rr.limits.output_bytes >> 20) +
                    " MiB it keeps (did your code write to file descriptors it did not open?)";
    } else if (out.termination == Termination::idle_limit) {
      bad.failure = "your program ran out of time: this check did not finish within " +
                    seconds_text(rr.limits.idle_seconds) + " s (an endless loop?)";
    } else if (out.termination == Termination::wall_limit && budget_bound) {
      bad.failure = "your program ran out of time: the submission's time limit of " + seconds_text(budget.limit) +
                    " s (all its checks together) was used up during this check";
    } else if (out.termination == Termination::exited) {
      bad.failure = "your program exited (code " + std::to_string(out.exit_code) +
                    ") in the middle of this check; do not call exit(), quick_exit() or _exit()";
    } else {
      bad.failure = "your program " + out.describe() + " during this check";
    }
    const bool timed_out = out.termination == Termination::wall_limit || out.termination == Termination::cpu_limit ||
                           out.termination == Termination::idle_limit;
    if (timed_out) ++timeouts;
    start = next + 1;
  }
}

/// Runs a plan's tasks: those of visible cases first, then the others in runs
/// of their own, whose output is not kept, since the submission can print
/// whatever it is given (the request holds every input of its run) and hidden
/// inputs must not show in a visible test. Two runs out of time end the
/// problem: code that spins forever costs about twice the check's CPU limit
/// (0.25 s by default) in each problem (visible and hidden runs together) that
/// calls it, code that sleeps or blocks SIGPROF twice the wall-clock check
/// limit, and never more than the submission's time budget in all.
ProblemRun run_plan(const Plan& plan, const fs::path& probe, SandboxMode mode, TimeBudget& budget) {
  ProblemRun run;
  run.outcomes.assign(plan.tasks.size(), TaskOutcome{});
  std::vector<std::size_t> shown, unshown;
  for (std::size_t k = 0; k < plan.tasks.size(); ++k)
    (plan.cases[plan.task_case[k]].visibility == Visibility::visible ? shown : unshown).push_back(k);
  int timeouts = 0;
  run_group(plan, shown, probe, mode, true, timeouts, budget, run);
  run_group(plan, unshown, probe, mode, false, timeouts, budget, run);
  for (TaskOutcome& o : run.outcomes)
    if (o.state == TaskOutcome::State::not_run && o.failure.empty())
      o.failure = timeouts >= 2 ? "not run: earlier checks of this problem ran out of time twice"
                                : "not run: the submission's time limit of " + seconds_text(budget.limit) +
                                      " s (all its checks together) was used up by earlier checks";
  return run;
}

/// Points to a millionth: sums of case weights such as 45 * (1/3 + 2/3) land
/// on 44.99999999999999 otherwise, and --fail-under 45 would then fail a
/// submission with full marks.
double round_points(double points) { return std::round(points * 1e6) / 1e6; }

std::string summary_line(const std::vector<CaseResult>& cases) {
  std::size_t passed = 0;
  for (const CaseResult& c : cases) passed += c.passed ? 1 : 0;
  return std::to_string(passed) + " of " + std::to_string(cases.size()) + " cases passed";
}

}  // namespace

GradeReport grader_failure_report(const std::string& submission, const std::string& message) {
  GradeReport r;
  r.submission = submission;
  r.grader_error = true;
  r.output = "The grader failed; this is not a problem with your code. Please tell the course staff.\n" + message;
  TestResult t;
  t.problem_id = "grader";
  t.name = "Autograder error";
  t.number = "0";
  t.output = message;
  t.tags = {"grader-error"};
  r.tests.push_back(std::move(t));
  return r;
}

GradeReport grade_submission(const GradeOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };
  // Specs first: a bad spec stops the grader before anything is built or run.
  const std::vector<ProblemSpec> problems = load_problems(options.problems);
  GradeReport report;
  report.submission = options.submission.string();
  report.seed = options.seed;
  if (options.visible_only)
    report.output = "Only the visible tests ran; the hidden ones are graded after you submit.\n";

  say("building " + options.submission.string());
  const BuildResult build = build_probe(options.submission, options.installation, options.sandbox);
  for (const auto& note : build.notes) report.output += "Note: " + note + "\n";
  say(build.ok ? (build.cached ? "build: cached" : "build: compiled") : "build: failed");

  int number = 0;
  TimeBudget budget;
  budget.limit = options.time_limit_seconds;
  for (const ProblemSpec& problem : problems) {
    const Plan plan = plan_problem(problem, options.seed, options.visible_only);
    if (plan.cases.empty()) continue;
    std::vector<CaseResult> cases;
    ProblemRun run;
    if (build.ok) {
      run = run_plan(plan, build.probe, options.sandbox, budget);
      cases = judge_plan(plan, run.outcomes);
      for (const CaseResult& c : cases)
        if (!c.oracle_note.empty()) report.staff_notes.push_back(problem.id + " / " + c.name + ": " + c.oracle_note);
    } else {
      for (const PlannedCase& pc : plan.cases) {
        CaseResult cr;
        cr.name = problem.cases[pc.spec_index].name;
        cr.max_score = pc.max_score;
        cr.message = "not run: your code did not compile (see \"Compilation\")";
        cases.push_back(std::move(cr));
      }
    }
    // One Gradescope test per problem and visibility, so hidden cases stay hidden.
    std::map<Visibility, TestResult> groups;
    for (std::size_t i = 0; i < plan.cases.size(); ++i) {
      const Visibility vis = plan.cases[i].visibility;
      TestResult& t = groups[vis];
      t.cases.push_back(cases[i]);
    }
    for (auto& [vis, t] : groups) {
      t.problem_id = problem.id;
      t.name = problem.title + (groups.size() > 1 && vis != Visibility::visible ? " (hidden cases)" : "");
      t.number = std::to_string(++number);
      t.visibility = vis;
      t.tags = problem.exercises;
      t.seconds = run.seconds;
      t.passed = true;
      std::size_t not_implemented = 0;
      std::string first_todo;
      for (CaseResult& c : t.cases) {
        t.score += c.score;
        t.max_score += c.max_score;
        t.passed = t.passed && c.passed;
        if (c.not_implemented) {
          const std::string marker = "not implemented yet: ";
          const auto at = c.message.find(marker);
          if (first_todo.empty() && at != std::string::npos) first_todo = c.message.substr(at + marker.size());
          ++not_implemented;
        }
      }
      if (!t.cases.empty() && not_implemented == t.cases.size()) {
        // The untouched template: one message for the problem, not one per case.
        t.output = "Not implemented yet: " + first_todo + ".";
        for (CaseResult& c : t.cases) c.message.clear();
      } else {
        t.output = summary_line(t.cases);
      }
      if (!problem.description.empty()) t.output = problem.description + "\n" + t.output;
      if (vis == Visibility::visible) {
        t.child_stdout = run.child_stdout;
        t.child_stderr = run.child_stderr;
      }
      t.score = round_points(t.score);
      t.max_score = round_points(t.max_score);
      report.score = round_points(report.score + t.score);
      report.max_score = round_points(report.max_score + t.max_score);
      say(problem.id + ": " + t.output);
      report.tests.push_back(std::move(t));
    }
  }
  if (!build.ok) {
    TestResult c;
    c.problem_id = "compilation";
    c.name = "Compilation";
    c.number = std::to_string(++number);
    c.output = "Your code did not compile. The compiler said:\n" + build.errors;
    c.tags = {"build"};
    report.tests.insert(report.tests.begin(), std::move(c));
    report.output += "Your code did not compile; no problem could be run.\n";
  }
  report.execution_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.run_seconds = budget.used;
  return report;
}

}  // namespace grader
