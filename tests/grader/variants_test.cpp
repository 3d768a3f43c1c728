// No false failures: the correct variants of tests/fixtures/variants, written
// differently from the reference, get full marks on 1000 grading seeds each.
//
// Grading 1000 seeds one by one would start 1000 probes per problem; the
// sweep (grader/seed_sweep.hpp) runs the tasks of 250 seeds in one probe run
// per problem and judges every seed's plan on its own, in this process, as
// grade_submission does. Every seed is graded; none is skipped.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grader/fsutil.hpp"
#include "grader/mutate.hpp"
#include "grader/seed_sweep.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test_support::binary_dir;
using test_support::source_dir;
const fs::path variants_dir = source_dir / "tests" / "fixtures" / "variants";

constexpr std::size_t seed_count = 1000;

/// Copies base/include and base/src, then replaces the variant's regions and files.
void materialize(const json& variant, const fs::path& out) {
  const fs::path base = source_dir / variant.at("base").get<std::string>();
  fs::remove_all(out);
  fs::create_directories(out);
  for (const char* sub : {"include", "src"})
    fs::copy(base / sub, out / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const json& r : variant.value("regions", json::array())) {
    const std::string file = r.at("file").get<std::string>();
    const std::string description = r.at("region").get<std::string>();
    std::string text = grader::read_file(out / file);
    bool found = false;
    for (const grader::SolutionRegion& region : grader::find_regions(text, file)) {
      if (region.description != description) continue;
      std::string body;
      for (const json& line : r.at("code")) body += region.indent + line.get<std::string>() + "\n";
      text = grader::replace_region(text, region, body);
      found = true;
      break;
    }
    ASSERT_TRUE(found) << "no region \"" << description << "\" in " << file;
    grader::write_file_atomically(out / file, text);
  }
  const json files = variant.value("files", json::object());
  for (const auto& [to, from] : files.items())
    grader::write_file_atomically(out / to, grader::read_file(variants_dir / from.get<std::string>()));
}

std::vector<std::string> variant_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(variants_dir))
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class CorrectVariant : public ::testing::TestWithParam<std::string> {};

TEST_P(CorrectVariant, GetsFullMarksOnAThousandSeeds) {
  const json variant = json::parse(grader::read_file(variants_dir / (GetParam() + ".json")));
  const fs::path submission = binary_dir / "variants-tmp" / GetParam();
  materialize(variant, submission);
  if (HasFatalFailure()) return;

  grader::SeedSweepOptions o;
  o.submission = submission;
  o.problems = source_dir / "problems";
  o.installation = grader::find_installation();
  o.installation.cache_dir = binary_dir / "test-cache";
  for (std::size_t k = 1; k <= seed_count; ++k) o.seeds.push_back(k);
  o.seeds_per_run = 250;
  const grader::SeedSweepResult r = grader::sweep_seeds(o);
  fs::remove_all(submission);

  ASSERT_TRUE(r.built) << r.build_errors;
  EXPECT_EQ(r.seeds, seed_count);
  std::string losses;
  for (std::size_t k = 0; k < r.losses.size() && k < 10; ++k)
    losses += "\n  seed " + std::to_string(r.losses[k].seed) + ", " + r.losses[k].problem + " / " +
              r.losses[k].case_name + ": " + r.losses[k].message + " — " + r.losses[k].diagnosis;
  EXPECT_EQ(r.loss_count, 0u) << "false failures:" << losses;
  EXPECT_EQ(r.seeds_with_full_marks, seed_count);
  // The two oracles agree on every task of every seed (they do not depend on the submission).
  std::string notes;
  for (std::size_t k = 0; k < r.staff_notes.size() && k < 5; ++k) notes += "\n  " + r.staff_notes[k];
  EXPECT_EQ(r.note_count, 0u) << notes;
}

INSTANTIATE_TEST_SUITE_P(Variants, CorrectVariant, ::testing::ValuesIn(variant_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return test_support::camel_case(p.param); });

}  // namespace
