// Tests of grader/mutate.hpp: solution regions, the mutants generated from
// them, and `grader mutate` on a handful of mutants (the full run is the
// separate `mutation` target).
#include "grader/mutate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "grader/fsutil.hpp"

namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;
using testing::Not;

const fs::path source_dir = ADC_SOURCE_DIR;
const fs::path binary_dir = ADC_BINARY_DIR;

TEST(FindRegions, GivesEachRegionItsDescriptionFunctionAndBody) {
  const std::string text =
      "Dual sin(Dual a) {\n"
      "  // BEGIN SOLUTION \"forward mode: sin\"\n"
      "  return {std::sin(a.value), std::cos(a.value) * a.tangent};\n"
      "  // END SOLUTION\n"
      "}\n";
  const auto regions = grader::find_regions(text, "src/dual.cpp");
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].description, "forward mode: sin");
  EXPECT_EQ(regions[0].signature, "Dual sin(Dual a) {");
  EXPECT_EQ(text.substr(regions[0].begin, regions[0].end - regions[0].begin),
            "  return {std::sin(a.value), std::cos(a.value) * a.tangent};\n");
  EXPECT_EQ(regions[0].indent, "  ");
}

TEST(FindRegions, ReplacesABodyAndKeepsTheMarkers) {
  const std::string text = "void f() {\n  // BEGIN SOLUTION \"x\"\n  old();\n  // END SOLUTION\n}\n";
  const auto regions = grader::find_regions(text, "a.cpp");
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(grader::replace_region(text, regions[0], "  fresh();\n"),
            "void f() {\n  // BEGIN SOLUTION \"x\"\n  fresh();\n  // END SOLUTION\n}\n");
}

TEST(GenerateMutants, EditsStayInsideSolutionRegionsAndIdsAreUnique) {
  const auto mutants = grader::generate_mutants(source_dir / "reference");
  ASSERT_GT(mutants.size(), 100u);
  std::set<std::string> ids;
  std::map<std::string, std::string> texts;
  for (const grader::Mutant& m : mutants) {
    EXPECT_TRUE(ids.insert(m.id).second) << "duplicate id " << m.id;
    if (!texts.count(m.file)) texts[m.file] = grader::read_file(source_dir / "reference" / m.file);
    bool inside = false;
    for (const auto& r : grader::find_regions(texts[m.file], m.file))
      inside = inside || (m.offset >= r.begin && m.offset + m.length <= r.end && r.description == m.region);
    EXPECT_TRUE(inside) << m.id;
  }
}

TEST(GenerateMutants, CoversTheClassesOfMistakeOfTheCourse) {
  std::set<grader::MutantClass> classes;
  for (const grader::Mutant& m : grader::generate_mutants(source_dir / "reference")) classes.insert(m.kind);
  using C = grader::MutantClass;
  for (C c : {C::sign, C::factor, C::term, C::function, C::swap, C::kink, C::accumulation, C::transpose, C::order,
              C::reset, C::path})
    EXPECT_TRUE(classes.count(c)) << grader::to_string(c);
}

TEST(GenerateMutants, TheChainRuleFactorOfSinCanBeDropped) {
  bool found = false;
  for (const grader::Mutant& m : grader::generate_mutants(source_dir / "reference"))
    found = found || (m.file == "src/dual.cpp" && m.kind == grader::MutantClass::factor &&
                      m.summary == "return {std::sin(a.value), std::cos(a.value)};");
  EXPECT_TRUE(found);
}

/// What `grader mutate --only ONLY --jobs 2` printed and wrote (its files named after `name`).
struct MutateRun {
  int status = -1;
  std::string text;  ///< stdout and stderr
  std::string json;  ///< the report (-o)
};

MutateRun run_mutate(const std::string& only, const std::string& name) {
  const fs::path out = binary_dir / (name + ".txt");
  const fs::path json = binary_dir / (name + ".json");
  const std::string cmd = "ADC_CACHE_DIR='" + (binary_dir / "test-cache").string() + "' '" +
                          (binary_dir / "bin" / "grader").string() + "' mutate --only '" + only +
                          "' --jobs 2 -q -o '" + json.string() + "' > '" + out.string() + "' 2>&1";
  MutateRun r;
  r.status = std::system(cmd.c_str());
  r.text = grader::read_file(out);
  if (fs::exists(json)) r.json = grader::read_file(json);
  return r;
}

TEST(MutateCommand, CatchesAndNamesEveryMutantOfTheSinRule) {
  const MutateRun run = run_mutate("dual.cpp/sin(Dual)/", "mutate-smoke");
  ASSERT_TRUE(WIFEXITED(run.status)) << run.text;
  EXPECT_EQ(WEXITSTATUS(run.status), 0) << run.text;
  EXPECT_THAT(run.text, HasSubstr("Mutation score: 100.0% (5 of 5 mutants caught)"));
  EXPECT_THAT(run.text, HasSubstr("Feedback named the mistake for 5 of 5"));
  EXPECT_THAT(run.json, HasSubstr("\"status\": \"killed\""));
}

// The once-per-path sweep gives right gradients where only inputs are shared,
// so the problem set must have repeated subexpressions (interior nodes with
// two consumers) to catch it without timing the submission.
TEST(MutateCommand, CatchesAndNamesTheOncePerPathSweep) {
  const MutateRun run = run_mutate("tape.cpp/Tape::backward(Var)/once-per-path", "mutate-sweep");
  ASSERT_TRUE(WIFEXITED(run.status)) << run.text;
  EXPECT_EQ(WEXITSTATUS(run.status), 0) << run.text;
  EXPECT_THAT(run.text, HasSubstr("Mutation score: 100.0% (1 of 1 mutants caught)"));
  EXPECT_THAT(run.text, HasSubstr("path         1 / 1, named 1"));
  EXPECT_THAT(run.text, Not(HasSubstr("not named")));
}

}  // namespace
