#pragma once
/// \file Mutation testing of the problem set: how strong are the problems?
///
/// A mutant is the reference with one plausible mistake in one solution
/// region (a flipped sign in a derivative rule, a dropped factor, the
/// derivative of another function, a missing transpose in a VJP, a sweep in
/// the wrong order, …). Every mutant is graded like a submission
/// (grade_submission); the problem set should make each one lose points, and
/// the feedback should name the mistake. A mutant that keeps full marks
/// survived: the report says which problems call the mutated code and so
/// should have caught it.
///
/// Mutants are generated systematically from the regions' text, so an
/// instructor's own reference gets its own mutants: derivative rules (the
/// tangent of `return {value, tangent}` in forward mode, the partials of
/// `record(...)` in reverse mode) get sign, factor, term, swap, kink and
/// wrong-function mutants; the `+=`/`-=` statements of other regions (VJPs,
/// the sweep, backpropagation, the step) get accumulation, sign and factor
/// mutants; and a short catalogue adds what text edits cannot express
/// (transposes, the order of the sweep, a sweep that pushes a node once per
/// path, a sweep without reset).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "grader/build.hpp"
#include "grader/sandbox.hpp"

namespace grader {

/// One solution region of a reference file.
struct SolutionRegion {
  std::string file;         ///< relative path, e.g. "src/dual.cpp"
  std::string description;  ///< the text of its BEGIN SOLUTION marker
  std::string signature;    ///< the first line of the function it sits in, e.g. "Dual sin(Dual a) {"
  std::size_t begin = 0;    ///< byte offset of the body (the line after the BEGIN marker)
  std::size_t end = 0;      ///< byte offset just past the body (the start of the END marker's line)
  std::string indent;       ///< indentation of the BEGIN marker
};

/// The solution regions of one file's text, in order; throws GraderError on a malformed marker.
std::vector<SolutionRegion> find_regions(const std::string& text, const std::string& file);

/// `text` with the body of region `r` replaced by `body` (whole lines, ending in a newline).
std::string replace_region(const std::string& text, const SolutionRegion& r, const std::string& body);

/// The kind of mistake a mutant makes (what its feedback should name).
enum class MutantClass {
  sign,          ///< a derivative, partial, term or update with the wrong sign
  factor,        ///< a dropped or extra factor (the chain-rule factor too), a wrong scale
  term,          ///< a dropped term of a sum rule
  function,      ///< the derivative of another function
  swap,          ///< swapped operands
  kink,          ///< the wrong side at a kink (> instead of >=)
  accumulation,  ///< = instead of += (a missing accumulation)
  transpose,     ///< a missing or extra transpose
  order,         ///< the backward sweep in the wrong order
  reset,         ///< adjoints not reset between sweeps
  path,          ///< a node visited (and its adjoint passed on) once per path
};

/// "sign", "factor", … as in reports.
std::string to_string(MutantClass c);

/// One mutant: the reference with one edit in one region.
struct Mutant {
  std::string id;           ///< stable and unique, e.g. "dual.cpp/sin(Dual)/sign"
  MutantClass kind = MutantClass::sign;
  std::string file;         ///< relative path of the edited file
  std::string region;       ///< the region's description
  std::string signature;    ///< the function it sits in
  std::string summary;      ///< the edit in a few words, e.g. "-(std::cos(a.value) * a.tangent)"
  std::size_t offset = 0;   ///< the edit: bytes [offset, offset + length) of the file become `replacement`
  std::size_t length = 0;
  std::string replacement;
  std::string original;     ///< the bytes the edit replaces (checked before the edit is applied)
};

/// Every mutant of the reference's solution regions (include/ and src/), in file and region order.
std::vector<Mutant> generate_mutants(const std::filesystem::path& reference_dir);

/// Writes the reference's include/ and src/ into out_dir with mutant `m` applied; throws
/// GraderError when the reference no longer holds the text the mutant edits.
void write_mutant(const std::filesystem::path& reference_dir, const Mutant& m, const std::filesystem::path& out_dir);

/// How to run the mutation test.
struct MutateOptions {
  std::filesystem::path reference;     ///< the reference solution (holds include/ and src/)
  std::filesystem::path problems;      ///< the problem set to measure
  Installation installation;           ///< the grader's files and build cache
  std::uint64_t seed = 20261122;       ///< the grading seed
  SandboxMode sandbox = SandboxMode::automatic;
  double time_limit_seconds = 60.0;    ///< per mutant, see GradeOptions
  unsigned jobs = 1;                   ///< mutants graded at once
  std::vector<std::string> only;       ///< keep the mutants whose id contains one of these (all when empty)
  std::size_t limit = 0;               ///< grade at most this many (0: all)
  std::filesystem::path work_dir;      ///< where mutants are written (a temporary folder when empty)
  /// Also grade the problems that time the submission (complexity): seconds
  /// per mutant, for the few mutants only they can catch (a sweep once per path).
  bool with_timing = false;
  /// Called with a line per graded mutant; may be empty. Called from one thread at a time.
  std::function<void(const std::string&)> progress;
};

/// What grading one mutant found.
struct MutantResult {
  Mutant mutant;
  enum class Status { killed, survived, stillborn } status = Status::survived;  ///< stillborn: did not compile
  double score = 0.0;                  ///< points the mutant kept
  double max_score = 0.0;              ///< points available
  std::vector<std::string> caught_by;  ///< "problem / case" that failed
  std::string feedback;                ///< the first failing case's message and likely mistake
  bool named = false;                  ///< some failing case's feedback names the mutant's class of mistake
  std::vector<std::string> exercised_by;  ///< "problem / case" that call the mutated code (who should catch it)
  std::string compile_errors;          ///< stillborn: the compiler's first errors
};

/// The mutation score and every mutant's fate.
struct MutationReport {
  std::vector<MutantResult> results;  ///< in generation order
  std::size_t killed = 0, survived = 0, stillborn = 0;
  std::size_t named = 0;             ///< killed mutants whose feedback named the mistake
  std::vector<std::string> left_out; ///< problems not graded (they time the submission; see with_timing)
  double seconds = 0.0;              ///< wall time
  double score() const;              ///< killed / (killed + survived), in percent (100 with no mutant)
  double named_share() const;        ///< named / killed, in percent (100 with no killed mutant)
};

/// Generates the mutants (filtered by `only` and `limit`), grades each and reports.
MutationReport run_mutation(const MutateOptions& options);

/// The report as text: the score, the share named, every survivor with the
/// problems that should have caught it, and (with `verbose`) every mutant.
std::string format_mutation_report(const MutationReport& report, bool verbose);

/// The report as JSON text (every mutant with its fate and feedback).
std::string mutation_report_json(const MutationReport& report);

}  // namespace grader
