// Tests of grading a whole class: grader/src/batch.cpp (input layouts,
// Gradescope metadata, zips, resuming after kill -9), grader/src/gradebook.cpp
// (records, CSV, summary, merging) and the platform recipes of
// grader/platforms/ (Gradescope's autograder in a temporary root, the
// cluster task over shards, the CI script).
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <chrono>
#include <gtest/gtest.h>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "batch_support.hpp"
#include "grader/batch.hpp"
#include "grader/error.hpp"
#include "grader/gradebook.hpp"
#include "grader/report.hpp"

namespace {

using namespace batch_support;
using grader::GraderError;

// --- Gradescope's submission_metadata.yml ---

TEST(GradescopeMetadata, ReadsSubmittersWithRubySymbolKeys) {
  const auto m = grader::parse_gradescope_metadata(R"(submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1001'
    :email: ada@example.edu
  :created_at: 2026-11-20 10:11:12.000000000 -08:00
  :score: !ruby/object:BigDecimal 18:0.1e3
submission_102:
  :submitters:
  - :name: Pair One
    :sid: '2001'
  - :name: Pair Two
    :sid: '2002'
)",
                                                   "submission_metadata.yml");
  ASSERT_EQ(m.size(), 2u);
  ASSERT_EQ(m.at("submission_101").size(), 1u);
  EXPECT_EQ(m.at("submission_101")[0].id, "1001");
  EXPECT_EQ(m.at("submission_101")[0].name, "Ada Lovelace");
  EXPECT_EQ(m.at("submission_101")[0].email, "ada@example.edu");
  ASSERT_EQ(m.at("submission_102").size(), 2u);
  EXPECT_EQ(m.at("submission_102")[1].id, "2002");
}

TEST(GradescopeMetadata, FallsBackToEmailThenNameWithoutAStudentId) {
  const auto m = grader::parse_gradescope_metadata(
      "submission_1:\n  submitters:\n  - name: No Id\n    email: noid@example.edu\n  - name: Only Name\n", "m.yml");
  ASSERT_EQ(m.at("submission_1").size(), 2u);
  EXPECT_EQ(m.at("submission_1")[0].id, "noid@example.edu");
  EXPECT_EQ(m.at("submission_1")[1].id, "Only Name");
}

TEST(GradescopeMetadata, BrokenYamlNamesTheFileAndLine) {
  try {
    grader::parse_gradescope_metadata("submission_1:\n  :submitters: [unclosed\n", "export/submission_metadata.yml");
    FAIL() << "no error";
  } catch (const GraderError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("export/submission_metadata.yml:"), std::string::npos) << what;
    EXPECT_NE(what.find("not valid YAML"), std::string::npos) << what;
  }
}

TEST(GradescopeMetadata, AListInsteadOfAMappingIsRefused) {
  EXPECT_THROW(grader::parse_gradescope_metadata("- a\n- b\n", "m.yml"), GraderError);
}

// --- finding the submissions ---

void touch(const fs::path& file, const std::string& text = "x") {
  fs::create_directories(file.parent_path());
  grader::write_file_atomically(file, text);
}

TEST(Discover, FolderOfFoldersTakesIdsFromTheNames) {
  TempDir t("discover-folders");
  touch(t.path() / "zoe" / "src" / "dual.cpp");
  touch(t.path() / "adam smith" / "src" / "dual.cpp");
  touch(t.path() / ".DS_Store");
  touch(t.path() / "notes.txt");
  const grader::BatchInput in = grader::discover_submissions(t.path());
  EXPECT_EQ(in.layout, "folders");
  ASSERT_EQ(in.submissions.size(), 2u);
  EXPECT_EQ(in.submissions[0].key, "adam_smith");
  EXPECT_EQ(in.submissions[0].submitters.at(0).id, "adam_smith");
  EXPECT_EQ(in.submissions[1].key, "zoe");
  ASSERT_EQ(in.warnings.size(), 1u);
  EXPECT_NE(in.warnings[0].find("notes.txt"), std::string::npos);
}

TEST(Discover, ZipsAndFoldersGetUniqueKeys) {
  TempDir t("discover-zips");
  touch(t.path() / "ann.zip");
  touch(t.path() / "ann" / "src" / "a.cpp");
  touch(t.path() / "Ben.ZIP");
  const grader::BatchInput in = grader::discover_submissions(t.path());
  EXPECT_EQ(in.layout, "folders and zips");
  ASSERT_EQ(in.submissions.size(), 3u);
  std::set<std::string> keys;
  for (const auto& s : in.submissions) keys.insert(s.key);
  EXPECT_EQ(keys, (std::set<std::string>{"ann", "ann-2", "Ben"}));
  for (const auto& s : in.submissions) EXPECT_EQ(s.zipped, s.source != "ann") << s.source;
}

TEST(Discover, GradescopeExportTakesIdsFromTheMetadata) {
  TempDir t("discover-gradescope");
  const fs::path exported = t.path() / "assignment_7_export";
  touch(exported / "submission_1" / "src" / "a.cpp");
  touch(exported / "submission_2" / "src" / "a.cpp");
  touch(exported / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n  - :name: Ada\n    :sid: '77'\nsubmission_9:\n  :submitters:\n  - :sid: '9'\n");
  // The folder that holds the export is accepted as well as the export itself.
  const grader::BatchInput in = grader::discover_submissions(t.path());
  EXPECT_EQ(in.layout, "gradescope");
  EXPECT_EQ(in.root, exported);
  ASSERT_EQ(in.submissions.size(), 2u);
  EXPECT_EQ(in.submissions[0].submitters.at(0).id, "77");
  EXPECT_EQ(in.submissions[0].submitters.at(0).name, "Ada");
  EXPECT_EQ(in.submissions[1].submitters.at(0).id, "submission_2");
  std::string warnings;
  for (const auto& w : in.warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("\"submission_2\" has no submitters"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("\"submission_9\", but there is no such folder"), std::string::npos) << warnings;
}

TEST(Discover, BrokenMetadataFallsBackToFolderNamesWithAWarning) {
  TempDir t("discover-broken-yaml");
  touch(t.path() / "submission_1" / "src" / "a.cpp");
  touch(t.path() / "submission_metadata.yml", "submission_1: [\n");
  const grader::BatchInput in = grader::discover_submissions(t.path());
  ASSERT_EQ(in.submissions.size(), 1u);
  EXPECT_EQ(in.submissions[0].submitters.at(0).id, "submission_1");
  ASSERT_FALSE(in.warnings.empty());
  EXPECT_NE(in.warnings[0].find("submission_metadata.yml:"), std::string::npos) << in.warnings[0];
}

TEST(Discover, AFolderWithoutSubmissionsIsAnErrorNamingIt) {
  TempDir t("discover-empty");
  try {
    grader::discover_submissions(t.path());
    FAIL() << "no error";
  } catch (const GraderError& e) {
    EXPECT_NE(std::string(e.what()).find(t.path().string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(grader::discover_submissions(t.path() / "missing"), GraderError);
}

TEST(SubmissionRoot, DescendsIntoALoneFolderUntilTheCode) {
  TempDir t("submission-root");
  touch(t.path() / "upload" / "hw3" / "src" / "dual.cpp");
  touch(t.path() / "upload" / "__MACOSX" / "junk");
  EXPECT_EQ(grader::find_submission_root(t.path() / "upload"), t.path() / "upload" / "hw3");
  touch(t.path() / "flat" / "dual.cpp");
  touch(t.path() / "flat" / "extra" / "notes.txt");
  EXPECT_EQ(grader::find_submission_root(t.path() / "flat"), t.path() / "flat");
}

// --- zipped uploads ---

TEST(Unzip, UnpacksAZipInTheSandbox) {
  TempDir t("unzip-good");
  touch(t.path() / "content" / "hw" / "src" / "dual.cpp", "int x;\n");
  ASSERT_EQ(run_shell("cd " + quoted(t.path() / "content") + " && zip -q -r " + quoted(t.path() / "up.zip") + " hw",
                      t.path() / "zip.log"),
            0);
  const fs::path work = t.path() / "work";
  fs::create_directories(work);
  EXPECT_EQ(grader::unzip_submission(t.path() / "up.zip", work), "");
  EXPECT_EQ(grader::read_file(work / "files" / "hw" / "src" / "dual.cpp"), "int x;\n");
  EXPECT_FALSE(fs::exists(work / "upload.zip"));
}

TEST(Unzip, RemovesSymbolicLinks) {
  TempDir t("unzip-symlink");
  touch(t.path() / "content" / "src" / "dual.cpp");
  fs::create_symlink("/etc/passwd", t.path() / "content" / "src" / "secret.cpp");
  ASSERT_EQ(run_shell("cd " + quoted(t.path() / "content") + " && zip -q -r -y " + quoted(t.path() / "up.zip") + " src",
                      t.path() / "zip.log"),
            0);
  const fs::path work = t.path() / "work";
  fs::create_directories(work);
  EXPECT_EQ(grader::unzip_submission(t.path() / "up.zip", work), "");
  EXPECT_TRUE(fs::exists(work / "files" / "src" / "dual.cpp"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(work / "files" / "src" / "secret.cpp")));
}

TEST(Unzip, ANonZipIsTheStudentsProblemWithAReason) {
  TempDir t("unzip-bad");
  touch(t.path() / "up.zip", "this is not a zip");
  const fs::path work = t.path() / "work";
  fs::create_directories(work);
  const std::string why = grader::unzip_submission(t.path() / "up.zip", work);
  EXPECT_NE(why.find("not a readable zip file"), std::string::npos) << why;
  EXPECT_EQ(why.find(work.string()), std::string::npos) << "no temporary path in a student's message: " << why;
}

// --- records and the gradebook ---

grader::GradeReport sample_report() {
  grader::GradeReport r;
  r.score = 12.5;
  r.max_score = 20;
  grader::TestResult visible;
  visible.problem_id = "p1";
  visible.name = "Problem one";
  visible.score = 7.5;
  visible.max_score = 10;
  visible.cases = {{"c1", 5, 5, true, "", "", false, ""}, {"c2", 2.5, 5, false, "wrong", "", false, ""}};
  grader::TestResult hidden = visible;
  hidden.name = "Problem one (hidden cases)";
  hidden.visibility = grader::Visibility::hidden;
  hidden.score = 0;
  hidden.max_score = 5;
  hidden.cases = {{"h1", 0, 5, false,
                   "your program ran out of time: killed after 3 s of wall-clock time during this check", "", false,
                   ""}};
  grader::TestResult other;
  other.problem_id = "p2";
  other.name = "Problem two";
  other.score = 5;
  other.max_score = 5;
  other.passed = true;
  other.cases = {{"d1", 5, 5, true, "", "", false, ""}};
  r.tests = {visible, hidden, other};
  return r;
}

TEST(Record, AddsTheVisibleAndHiddenPartsOfAProblem) {
  const grader::StudentRecord r = grader::make_record(sample_report());
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].id, "p1");
  EXPECT_EQ(r.problems[0].title, "Problem one");
  EXPECT_DOUBLE_EQ(r.problems[0].score, 7.5);
  EXPECT_DOUBLE_EQ(r.problems[0].max_score, 15);
  EXPECT_FALSE(r.problems[0].passed);
  EXPECT_TRUE(r.problems[1].passed);
  EXPECT_EQ(r.failed_cases, (std::vector<std::string>{"Problem one / c2", "Problem one / h1"}));
  EXPECT_EQ(r.status, grader::RecordStatus::graded);
}

TEST(Record, NoticesARunThatRanOutOfTime) {
  EXPECT_TRUE(grader::make_record(sample_report()).timed_out);
  grader::GradeReport quick = sample_report();
  quick.tests[1].cases[0].message = "wrong sign";
  EXPECT_FALSE(grader::make_record(quick).timed_out);
}

TEST(Record, ACompileErrorKeepsTheCompilersFirstError) {
  grader::GradeReport r = sample_report();
  grader::TestResult c;
  c.problem_id = "compilation";
  c.name = "Compilation";
  c.output = "Your code did not compile. The compiler said:\nsrc/dual.cpp: In function 'f':\nsrc/dual.cpp:3:5: error: 'tangnt' was not declared\n";
  r.tests.insert(r.tests.begin(), c);
  const grader::StudentRecord rec = grader::make_record(r);
  EXPECT_EQ(rec.status, grader::RecordStatus::compile_error);
  EXPECT_EQ(rec.message, "src/dual.cpp:3:5: error: 'tangnt' was not declared");
}

TEST(Record, SurvivesAJsonRoundTrip) {
  grader::StudentRecord r = grader::make_record(sample_report());
  r.key = "ada";
  r.source = "ada.zip";
  r.submitters = {{"1001", "Ada", "ada@example.edu"}};
  r.fingerprint = "f";
  r.config = "c";
  const grader::StudentRecord back = grader::record_from_json(grader::to_json(r), "record.json");
  EXPECT_EQ(grader::to_json(back), grader::to_json(r));
}

TEST(Record, AFileThatIsNotARecordIsRefusedNamingIt) {
  try {
    grader::record_from_json(json{{"format", "something else"}}, "out/students/x/record.json");
    FAIL() << "no error";
  } catch (const GraderError& e) {
    EXPECT_NE(std::string(e.what()).find("out/students/x/record.json"), std::string::npos) << e.what();
  }
}

/// A record with `score` out of 10 on problem "p1" (passed when full).
grader::StudentRecord record(const std::string& key, double score, const std::string& graded_at,
                             std::vector<grader::Submitter> who = {}) {
  grader::StudentRecord r;
  r.key = key;
  r.source = key;
  r.submitters = who.empty() ? std::vector<grader::Submitter>{{key, "", ""}} : who;
  r.fingerprint = "f-" + key;
  r.config = "c";
  r.score = score;
  r.max_score = 10;
  r.problems = {{"p1", "Problem one", score, 10, score == 10}};
  if (score < 10) r.failed_cases = {"Problem one / case a"};
  r.graded_at = graded_at;
  return r;
}

void write_record(const fs::path& batch, const grader::StudentRecord& r) {
  touch(grader::student_dir(batch, r.key) / "record.json", grader::to_json(r).dump(2));
}

TEST(Gradebook, OneCsvRowPerStudentWithProblemColumnsAndTotal) {
  TempDir t("gradebook-csv");
  write_record(t.path(), record("bob", 4, "2026-01-01T00:00:01Z"));
  write_record(t.path(), record("group", 10, "2026-01-01T00:00:02Z",
                                {{"s1", "=HYPERLINK(\"x\")", ""}, {"s2", "Bob, Jr.", "b@example.edu"}}));
  const grader::Gradebook book = grader::load_gradebook({t.path()});
  const std::string csv = grader::gradebook_csv(book);
  EXPECT_EQ(csv,
            "student_id,name,email,submission,p1,total,max_score,status,timed_out\n"
            "bob,,,bob,4,4,10,graded,no\n"
            "s1,\"'=HYPERLINK(\"\"x\"\")\",,group,10,10,10,graded,no\n"
            "s2,\"Bob, Jr.\",b@example.edu,group,10,10,10,graded,no\n");
}

TEST(Gradebook, MergingKeepsEachSubmissionOnceTheOneGradedLast) {
  TempDir t("gradebook-merge");
  write_record(t.path() / "a", record("ann", 3, "2026-01-01T00:00:01Z"));
  write_record(t.path() / "b", record("ann", 9, "2026-01-02T00:00:00Z"));
  write_record(t.path() / "b", record("cid", 10, "2026-01-01T00:00:00Z"));
  const grader::Gradebook book = grader::load_gradebook({t.path() / "a", t.path() / "b"});
  ASSERT_EQ(book.records.size(), 2u);
  EXPECT_EQ(book.records[0].key, "ann");
  EXPECT_DOUBLE_EQ(book.records[0].score, 9);
  ASSERT_EQ(book.warnings.size(), 1u);
  EXPECT_NE(book.warnings[0].find("\"ann\" was graded in both"), std::string::npos) << book.warnings[0];
}

TEST(Gradebook, AStudentInTwoSubmissionsCountsOnce) {
  TempDir t("gradebook-student-twice");
  write_record(t.path(), record("sub1", 3, "2026-01-01T00:00:01Z", {{"42", "", ""}}));
  write_record(t.path(), record("sub2", 8, "2026-01-03T00:00:00Z", {{"42", "", ""}, {"43", "", ""}}));
  const grader::Gradebook book = grader::load_gradebook({t.path()});
  const auto rows = simple_csv(grader::gradebook_csv(book));
  ASSERT_EQ(rows.size(), 3u);  // the header, 42 and 43
  EXPECT_EQ(rows[1][0], "42");
  EXPECT_EQ(rows[1][3], "sub2");
  EXPECT_EQ(rows[2][0], "43");
  ASSERT_EQ(book.warnings.size(), 1u);
  EXPECT_NE(book.warnings[0].find("student \"42\""), std::string::npos);
}

TEST(Gradebook, ADamagedRecordIsSkippedWithAWarning) {
  TempDir t("gradebook-damaged");
  write_record(t.path(), record("good", 10, "2026-01-01T00:00:00Z"));
  touch(grader::student_dir(t.path(), "bad") / "record.json", "{\"format\": \"adcourse-rec");
  fs::create_directories(grader::student_dir(t.path(), "running"));
  const grader::Gradebook book = grader::load_gradebook({t.path()});
  ASSERT_EQ(book.records.size(), 1u);
  ASSERT_EQ(book.warnings.size(), 2u);
  EXPECT_NE(book.warnings[0].find("bad"), std::string::npos) << book.warnings[0];
  EXPECT_NE(book.warnings[1].find("1 submission(s)"), std::string::npos) << book.warnings[1];
}

TEST(Gradebook, AFolderThatIsNotABatchIsAnError) {
  TempDir t("gradebook-not-batch");
  EXPECT_THROW(grader::load_gradebook({t.path()}), GraderError);
}

TEST(Gradebook, SummaryHasMeanMedianAndPassRatePerProblem) {
  grader::Gradebook book;
  book.records = {record("a", 2, "t"), record("b", 4, "t"), record("c", 10, "t"), record("d", 10, "t")};
  book.problems = {{"p1", "Problem one", 0, 10, false}};
  const std::string s = grader::gradebook_summary(book, "histogram.png");
  EXPECT_NE(s.find("| p1: Problem one | 10 | 6.5 | 7 | 50% (2/4) |"), std::string::npos) << s;
  EXPECT_NE(s.find("| Problem one / case a | 2 of 4 (50%) |"), std::string::npos) << s;
  EXPECT_NE(s.find("![Histogram of total scores](histogram.png)"), std::string::npos) << s;
}

TEST(Gradebook, SummaryListsCompileErrorsTimeoutsAndUngraded) {
  grader::Gradebook book;
  grader::StudentRecord broken = record("broken", 0, "t");
  broken.status = grader::RecordStatus::compile_error;
  broken.message = "src/dual.cpp:3:5: error: 'tangnt' was not declared";
  grader::StudentRecord slow = record("slow", 6.5, "t");
  slow.timed_out = true;
  grader::StudentRecord lost = record("lost", 0, "t");
  lost.status = grader::RecordStatus::not_graded;
  lost.message = "Your upload could not be unpacked";
  book.records = {broken, lost, slow};
  const std::string s = grader::gradebook_summary(book, "");
  EXPECT_NE(s.find("## Did not compile (1)\n\n- broken (broken): src/dual.cpp:3:5: error: 'tangnt' was not declared"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("## Timed out (1)\n\n- slow (slow)"), std::string::npos) << s;
  EXPECT_NE(s.find("## Could not be graded (1)\n\n- lost (lost): Your upload could not be unpacked"), std::string::npos)
      << s;
}

TEST(Gradebook, HistogramPutsTheTopScoreInTheLastBin) {
  grader::Gradebook book;
  book.records = {record("a", 0, "t"), record("b", 9.99, "t"), record("c", 10, "t"), record("d", 5, "t")};
  const std::vector<std::size_t> bins = grader::histogram(book, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0], 1u);
  EXPECT_EQ(bins[5], 1u);
  EXPECT_EQ(bins[9], 2u);
}

TEST(Gradebook, WritesCsvSummaryAndHistogramImage) {
  TempDir t("gradebook-files");
  grader::Gradebook book;
  book.records = {record("a", 3, "t"), record("b", 10, "t")};
  book.problems = {{"p1", "Problem one", 0, 10, false}};
  const grader::GradebookFiles files = grader::write_gradebook(book, t.path() / "out");
  EXPECT_EQ(grader::read_file(files.csv), grader::gradebook_csv(book));
  EXPECT_NE(grader::read_file(files.summary).find("# Gradebook summary"), std::string::npos);
  if (!fs::exists("/usr/bin/gnuplot")) GTEST_SKIP() << "gnuplot is not installed: " << files.note;
  ASSERT_FALSE(files.histogram.empty()) << files.note;
  EXPECT_EQ(grader::read_file(files.histogram).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

// --- the build cache, as a batch relies on it ---

grader::Installation test_installation(const fs::path& cache) {
  grader::Installation inst;
  inst.share_dir = binary_dir / "share" / "adcourse";
  inst.cache_dir = cache;
  return inst;
}

std::size_t driver_objects(const fs::path& cache) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(cache))
    if (e.is_directory() && e.path().filename().string().rfind("driver-", 0) == 0 &&
        fs::exists(e.path() / "probe_main.o"))
      ++n;
  return n;
}

TEST(BuildCache, AByteIdenticalSubmissionIsNotRebuilt) {
  TempDir t("cache-identical");
  materialize("reference", t.path() / "a", "identical");
  materialize("reference", t.path() / "b", "identical");
  const grader::Installation inst = test_installation(t.path() / "cache");
  const grader::BuildResult first = grader::build_probe(t.path() / "a", inst);
  ASSERT_TRUE(first.ok) << first.errors;
  EXPECT_FALSE(first.cached);
  const grader::BuildResult second = grader::build_probe(t.path() / "b", inst);
  ASSERT_TRUE(second.ok) << second.errors;
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.probe, first.probe);
}

TEST(BuildCache, ByteIdenticalSubmissionsBuiltAtOnceAreCompiledOnce) {
  TempDir t("cache-identical-at-once");
  materialize("reference", t.path() / "a", "at once");
  materialize("reference", t.path() / "b", "at once");
  const grader::Installation inst = test_installation(t.path() / "cache");
  grader::BuildResult a, b;
  std::thread other([&] { a = grader::build_probe(t.path() / "a", inst); });
  b = grader::build_probe(t.path() / "b", inst);
  other.join();
  ASSERT_TRUE(a.ok && b.ok) << a.errors << b.errors;
  EXPECT_EQ(int(a.cached) + int(b.cached), 1) << "one compiles, the other waits for its probe";
  EXPECT_EQ(a.probe, b.probe);
}

TEST(BuildCache, TheProbeDriverIsCompiledOnceForTheTemplatesHeaders) {
  TempDir t("cache-driver-shared");
  materialize("reference", t.path() / "a", "student a");
  materialize("wrong_sign_product", t.path() / "b", "student b");
  const grader::Installation inst = test_installation(t.path() / "cache");
  ASSERT_TRUE(grader::build_probe(t.path() / "a", inst).ok);
  const grader::BuildResult b = grader::build_probe(t.path() / "b", inst);
  ASSERT_TRUE(b.ok) << b.errors;
  EXPECT_FALSE(b.cached) << "different sources are compiled";
  EXPECT_EQ(driver_objects(inst.cache_dir), 1u);
}

TEST(BuildCache, ChangedHeadersGetADriverOfTheirOwnAndACorrectProbe) {
  TempDir t("cache-driver-headers");
  materialize("reference", t.path() / "plain", "plain headers");
  // A member added in front of Tape's: a driver compiled against the
  // template's headers would see every other member at the wrong offset.
  const fs::path changed = t.path() / "changed";
  materialize("reference", changed, "changed headers");
  const fs::path tape = changed / "include" / "ad" / "tape.hpp";
  std::string text = grader::read_file(tape);
  const std::string find = "  std::vector<Node> nodes_;\n";
  ASSERT_NE(text.find(find), std::string::npos);
  text.replace(text.find(find), find.size(), "  double padding_[7] = {};\n" + find);
  grader::write_file_atomically(tape, text);

  const fs::path cache = t.path() / "cache";
  const grader::Installation inst = test_installation(cache);
  ASSERT_TRUE(grader::build_probe(t.path() / "plain", inst).ok);
  ASSERT_EQ(driver_objects(cache), 1u);
  const fs::path problems = class_problems(t.path() / "problems");
  const fs::path results = t.path() / "results.json";
  const std::string cmd = "ADC_CACHE_DIR=" + quoted(cache) + " " + quoted(grader_exe) + " grade " + quoted(changed) +
                          " --out " + quoted(results) + " --problems " + quoted(problems) + " -q --no-report";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(driver_objects(cache), 2u);
  EXPECT_NEAR(json::parse(grader::read_file(results)).at("score").get<double>(), full_marks(t.path() / "problems"), 1e-6);
}

// --- grader batch, end to end ---

/// A class: fixture name per submission folder (or .zip when the name ends so).
const std::vector<std::pair<std::string, std::string>> kClass = {
    {"a_reference", "reference"},
    {"b_loops_forever", "loops_forever"},
    {"c_wrong_sign.zip", "wrong_sign_product"},
    {"d_does_not_compile", "does_not_compile"},
    {"e_untouched", "untouched_template"},
};

fs::path make_class(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& members) {
  fs::create_directories(dir);
  for (const auto& [name, fixture_name] : members) {
    if (name.size() > 4 && name.substr(name.size() - 4) == ".zip") {
      const std::string stem = name.substr(0, name.size() - 4);
      const fs::path staging = dir.parent_path() / ("zip-" + stem);
      materialize(fixture_name, staging / stem);
      const int code = run_shell("cd " + quoted(staging) + " && zip -q -r " + quoted(dir / name) + " " + stem,
                                 dir.parent_path() / "zip.log");
      if (code != 0) throw std::runtime_error("zip failed");
      fs::remove_all(staging);
    } else {
      materialize(fixture_name, dir / name);
    }
  }
  return dir;
}

/// The score `grader grade` gives fixture `name` alone, with `problems`: what
/// the gradebook must say. (The folder is byte-identical to the class's copy,
/// so its build comes from the cache.)
std::string score_alone(const std::string& name, const fs::path& problems, const fs::path& work) {
  const fs::path dir = work / ("alone-" + name);
  materialize(name, dir / "submission");
  const int code = run_grader("grade " + quoted(dir / "submission") + " --out " + quoted(dir / "results.json") +
                                  " --problems " + quoted(problems) + " -q --no-report",
                              dir / "log");
  if (code != 0) throw std::runtime_error("grader grade " + name + " failed: " + grader::read_file(dir / "log"));
  return score_text(json::parse(grader::read_file(dir / "results.json")).at("score").get<double>());
}

/// student_id -> total of a gradebook.csv.
std::map<std::string, std::string> totals(const fs::path& csv, std::size_t* rows = nullptr) {
  const auto table = simple_csv(grader::read_file(csv));
  std::map<std::string, std::string> out;
  const std::size_t total = column(table.at(0), "total");
  std::size_t n = 0;
  for (std::size_t i = 1; i < table.size(); ++i) {
    if (table[i].size() < 2) continue;
    out[table[i][0]] = table[i][total];
    ++n;
  }
  if (rows != nullptr) *rows = n;
  return out;
}

TEST(BatchCommand, AKillNineMidRunLosesNothingAndGradesNothingTwice) {
  TempDir t("batch-kill");
  const fs::path subs = make_class(t.path() / "class", kClass);
  const fs::path problems = class_problems(t.path() / "problems");
  const fs::path out = t.path() / "out";
  const fs::path first_record = grader::student_dir(out, "a_reference") / "record.json";
  const pid_t pid = spawn_grader({"batch", subs.string(), "--out", out.string(), "--jobs", "1", "--problems",
                                  problems.string()},
                                 t.path() / "first.log");
  // Kill as soon as the first submission is done: the second (which loops
  // forever, seconds under the quick limits) is then being graded.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(first_record) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the batch ended before it was killed:\n" << grader::read_file(t.path() / "first.log");
  ASSERT_TRUE(fs::exists(first_record));
  EXPECT_FALSE(fs::exists(grader::student_dir(out, "b_loops_forever") / "record.json"));
  const std::string before = grader::read_file(first_record);

  const int code = run_grader("batch " + quoted(subs) + " --out " + quoted(out) + " --jobs 2 --problems " +
                                  quoted(problems),
                              t.path() / "second.log");
  const std::string log = grader::read_file(t.path() / "second.log");
  ASSERT_EQ(code, 0) << log;
  EXPECT_NE(log.find("1 already graded by an earlier run"), std::string::npos) << log;
  EXPECT_EQ(grader::read_file(first_record), before) << "the finished submission was graded again";

  std::size_t rows = 0;
  const auto got = totals(out / "gradebook.csv", &rows);
  EXPECT_EQ(rows, kClass.size()) << grader::read_file(out / "gradebook.csv");
  for (const auto& [name, fixture_name] : kClass) {
    const std::string key = name.size() > 4 && name.substr(name.size() - 4) == ".zip" ? name.substr(0, name.size() - 4) : name;
    ASSERT_TRUE(got.count(key)) << key;
    EXPECT_EQ(got.at(key), score_alone(fixture_name, problems, t.path())) << key;
    const json results = json::parse(grader::read_file(grader::student_dir(out, key) / "results.json"));
    EXPECT_TRUE(grader::validate_gradescope_json(results).empty()) << key;
  }
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "left behind: " << e.path();
  const std::string summary = grader::read_file(out / "summary.md");
  EXPECT_NE(summary.find("## Did not compile (1)\n\n- d_does_not_compile"), std::string::npos) << summary;
  EXPECT_NE(summary.find("## Timed out (1)\n\n- b_loops_forever"), std::string::npos) << summary;
}

TEST(BatchCommand, PrintsPlainProgressLinesWhenNotOnATerminal) {
  TempDir t("batch-plain-progress");
  const fs::path subs = make_class(t.path() / "class", {{"a", "reference"}, {"b", "untouched_template"}});
  const fs::path out = t.path() / "out";
  ASSERT_EQ(run_grader("batch " + quoted(subs) + " --out " + quoted(out) + " --jobs 1 --problems " +
                           quoted(class_problems(t.path() / "problems")),
                       t.path() / "log"),
            0);
  const std::string log = grader::read_file(t.path() / "log");
  const std::string total = score_text(full_marks(t.path() / "problems"));
  EXPECT_NE(log.find("[1/2] a: " + total + " / " + total), std::string::npos) << log;
  EXPECT_NE(log.find("[2/2] b: 0 / " + total), std::string::npos) << log;
  EXPECT_EQ(log.find('\r'), std::string::npos) << "no bar redrawn in a log";
}

TEST(BatchCommand, ADamagedRecordIsGradedAgain) {
  TempDir t("batch-damaged");
  const fs::path subs = make_class(t.path() / "class", {{"a", "reference"}});
  const fs::path problems = class_problems(t.path() / "problems");
  const fs::path out = t.path() / "out";
  const std::string args = "batch " + quoted(subs) + " --out " + quoted(out) + " --problems " + quoted(problems) + " -q";
  ASSERT_EQ(run_grader(args, t.path() / "log"), 0);
  const fs::path rec = grader::student_dir(out, "a") / "record.json";
  grader::write_file_atomically(rec, "{\"format\": \"adcourse-rec");  // a torn write, as no rename would leave it
  ASSERT_EQ(run_grader(args, t.path() / "log"), 0) << grader::read_file(t.path() / "log");
  EXPECT_NO_THROW(grader::record_from_json(json::parse(grader::read_file(rec)), rec.string()));
  EXPECT_EQ(totals(out / "gradebook.csv").at("a"), score_text(full_marks(t.path() / "problems")));
}

TEST(BatchCommand, AChangedUploadIsGradedAgain) {
  TempDir t("batch-changed");
  const fs::path subs = make_class(t.path() / "class", {{"a", "untouched_template"}});
  const fs::path problems = class_problems(t.path() / "problems");
  const fs::path out = t.path() / "out";
  const std::string args = "batch " + quoted(subs) + " --out " + quoted(out) + " --problems " + quoted(problems) + " -q";
  ASSERT_EQ(run_grader(args, t.path() / "log"), 0);
  EXPECT_EQ(totals(out / "gradebook.csv").at("a"), "0");
  fs::remove_all(subs / "a");
  materialize("reference", subs / "a");
  ASSERT_EQ(run_grader(args, t.path() / "log"), 0);
  EXPECT_EQ(totals(out / "gradebook.csv").at("a"), score_text(full_marks(t.path() / "problems")));
}

TEST(BatchCommand, AnUnreadableZipIsRecordedAsNotGraded) {
  TempDir t("batch-bad-zip");
  touch(t.path() / "class" / "mallory.zip", "not a zip at all");
  const fs::path out = t.path() / "out";
  ASSERT_EQ(run_grader("batch " + quoted(t.path() / "class") + " --out " + quoted(out) + " -q", t.path() / "log"), 0)
      << grader::read_file(t.path() / "log");
  const json results = json::parse(grader::read_file(grader::student_dir(out, "mallory") / "results.json"));
  EXPECT_TRUE(grader::validate_gradescope_json(results).empty());
  EXPECT_NE(results.at("output").get<std::string>().find("could not be unpacked"), std::string::npos);
  const auto table = simple_csv(grader::read_file(out / "gradebook.csv"));
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[1][column(table[0], "status")], "not_graded");
  EXPECT_NE(grader::read_file(out / "summary.md").find("## Could not be graded (1)\n\n- mallory"), std::string::npos);
}

TEST(BatchCommand, RefusesAFolderAnotherBatchIsWriting) {
  TempDir t("batch-locked");
  const fs::path subs = make_class(t.path() / "class", {{"a", "reference"}});
  const fs::path out = t.path() / "out";
  fs::create_directories(out);
  const int fd = ::open((out / ".batch.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const int code = run_grader("batch " + quoted(subs) + " --out " + quoted(out), t.path() / "log");
  ::close(fd);
  EXPECT_EQ(code, 3);
  EXPECT_NE(grader::read_file(t.path() / "log").find("another `grader batch` is writing"), std::string::npos);
  EXPECT_FALSE(fs::exists(grader::student_dir(out, "a")));
}

TEST(BatchCommand, ABadSpecStopsTheBatchBeforeAnythingIsGraded) {
  TempDir t("batch-bad-spec");
  const fs::path subs = make_class(t.path() / "class", {{"a", "reference"}});
  touch(t.path() / "problems" / "bad.json", R"({"id": "bad", "title": "t", "points": -1, "kind": "vjp_add", "cases": []})");
  const int code = run_grader("batch " + quoted(subs) + " --out " + quoted(t.path() / "out") + " --problems " +
                                  quoted(t.path() / "problems"),
                              t.path() / "log");
  EXPECT_EQ(code, 3);
  EXPECT_NE(grader::read_file(t.path() / "log").find("\"points\""), std::string::npos);
  EXPECT_FALSE(fs::exists(t.path() / "out" / "students"));
}

// --- the platforms ---

TEST(ClusterRecipe, ShardsGradedApartMergeIntoOneGradebook) {
  TempDir t("cluster-shards");
  const std::vector<std::pair<std::string, std::string>> members = {
      {"submission_1", "reference"}, {"submission_2", "wrong_sign_product"}, {"submission_3", "untouched_template"}};
  const fs::path subs = make_class(t.path() / "export", members);
  touch(subs / "submission_metadata.yml",
        "submission_1:\n  :submitters:\n  - :sid: '101'\nsubmission_2:\n  :submitters:\n  - :sid: '102'\n"
        "  - :sid: '103'\nsubmission_3:\n  :submitters:\n  - :sid: '104'\n");
  const fs::path problems = class_problems(t.path() / "problems");
  const fs::path out = t.path() / "out";
  const std::string task = quoted(source_dir / "grader" / "platforms" / "cluster" / "grade_task.sh");
  // The recipe's per-task command, one task per submission as on the cluster.
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run_shell("GRADER=" + quoted(grader_exe) + " bash " + task + " " + quoted(subs) + " " + quoted(out) + " " +
                            std::to_string(i) + " 3 --problems " + quoted(problems) + " -q",
                        t.path() / "task.log"),
              0)
        << grader::read_file(t.path() / "task.log");
  std::vector<std::string> task_dirs;
  for (int i = 0; i < 3; ++i) {
    const fs::path dir = out / ("task-" + std::to_string(i));
    ASSERT_EQ(std::distance(fs::directory_iterator(dir / "students"), fs::directory_iterator()), 1) << dir;
    task_dirs.push_back(quoted(dir));
  }
  std::string dirs;
  for (const auto& d : task_dirs) dirs += d + " ";
  ASSERT_EQ(run_grader("gradebook " + dirs + "--out " + quoted(out / "gradebook"), t.path() / "merge.log"), 0)
      << grader::read_file(t.path() / "merge.log");
  std::size_t rows = 0;
  const auto got = totals(out / "gradebook" / "gradebook.csv", &rows);
  EXPECT_EQ(rows, 4u);
  const std::string wrong = score_alone("wrong_sign_product", problems, t.path());
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"101", score_alone("reference", problems, t.path())},
                                                      {"102", wrong},
                                                      {"103", wrong},
                                                      {"104", "0"}}));
}

TEST(GradescopePackage, TheWholeFlowWorksInATemporaryRoot) {
  TempDir t("gradescope-flow");
  const fs::path zip = t.path() / "autograder.zip";
  ASSERT_EQ(run_grader("package gradescope --out " + quoted(zip) + " --problems " +
                           quoted(class_problems(t.path() / "problems")),
                       t.path() / "package.log"),
            0)
      << grader::read_file(t.path() / "package.log");
  // What Gradescope does: unpack into /autograder/source, copy the two
  // scripts to /autograder, run setup.sh once, then run_autograder per submission.
  const fs::path root = t.path() / "autograder";
  fs::create_directories(root / "source");
  ASSERT_EQ(run_shell("unzip -q " + quoted(zip) + " -d " + quoted(root / "source"), t.path() / "unzip.log"), 0);
  for (const char* script : {"setup.sh", "run_autograder"}) {
    ASSERT_TRUE(fs::exists(root / "source" / script)) << script;
    EXPECT_NE(fs::status(root / "source" / script).permissions() & fs::perms::owner_exec, fs::perms::none) << script;
    fs::copy_file(root / "source" / script, root / script);
  }
  EXPECT_TRUE(fs::exists(root / "source" / "CMakeLists.txt"));
  EXPECT_TRUE(fs::exists(root / "source" / "grader" / "src" / "grade.cpp"));
  EXPECT_FALSE(fs::exists(root / "source" / "tests"));
  ASSERT_EQ(run_shell("ADC_PREBUILT=" + quoted(binary_dir) + " " + quoted(root / "setup.sh") + " --root " + quoted(root),
                      t.path() / "setup.log"),
            0)
      << grader::read_file(t.path() / "setup.log");

  struct Case {
    std::string fixture;
    double min_score, max_score;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"reference", full_marks(t.path() / "problems"), full_marks(t.path() / "problems"), "cases passed"},
      {"does_not_compile", 0, 0, "did not compile"},
      // Whichever limit comes first on a loaded machine, CPU or wall-clock
      // time, the looping problems end so; the others keep their points.
      {"loops_forever", 1, full_marks(t.path() / "problems") - 1, "ran out of time twice"}};
  for (const auto& [name, min_score, max_score, message] : cases) {
    fs::remove_all(root / "submission");
    fs::remove_all(root / "results");
    // Uploaded as a folder inside the zip, as students often do.
    materialize(name, root / "submission" / "my_hw");
    ASSERT_EQ(run_shell(quoted(root / "run_autograder") + " --root " + quoted(root), t.path() / "run.log"), 0) << name;
    const fs::path results = root / "results" / "results.json";
    ASSERT_TRUE(fs::exists(results)) << name << ": " << grader::read_file(t.path() / "run.log");
    const json r = json::parse(grader::read_file(results));
    EXPECT_TRUE(grader::validate_gradescope_json(r).empty()) << name;
    // Case points are fractions of a problem's: their sum may miss the total by a rounding error.
    EXPECT_GE(r.at("score").get<double>(), min_score - 1e-6) << name;
    EXPECT_LE(r.at("score").get<double>(), max_score + 1e-6) << name;
    EXPECT_NE(r.dump().find(message), std::string::npos) << name << " should mention " << message;
  }
}

TEST(GradescopePackage, RunAutograderWritesValidResultsWithoutAGrader) {
  TempDir t("gradescope-no-grader");
  const fs::path root = t.path() / "autograder";
  fs::create_directories(root / "submission");
  ASSERT_EQ(run_shell("bash " + quoted(source_dir / "grader" / "platforms" / "gradescope" / "run_autograder") +
                          " --root " + quoted(root),
                      t.path() / "run.log"),
            0);
  const json r = json::parse(grader::read_file(root / "results" / "results.json"));
  EXPECT_TRUE(grader::validate_gradescope_json(r).empty());
  EXPECT_EQ(r.at("score").get<double>(), 0.0);
  EXPECT_NE(r.at("output").get<std::string>().find("not a problem with your code"), std::string::npos);
}

TEST(GradescopePackage, ABadSpecIsRefusedBeforeZipping) {
  TempDir t("gradescope-bad-spec");
  touch(t.path() / "problems" / "bad.json", R"({"id": "bad", "title": "t", "points": -1, "kind": "vjp_add", "cases": []})");
  EXPECT_EQ(run_grader("package gradescope --out " + quoted(t.path() / "a.zip") + " --problems " +
                           quoted(t.path() / "problems"),
                       t.path() / "log"),
            3);
  EXPECT_FALSE(fs::exists(t.path() / "a.zip"));
}

TEST(CiScript, ReportsPointsJUnitAndFailsUnderTheBar) {
  TempDir t("ci-script");
  const fs::path problems = class_problems(t.path() / "problems");
  const std::string total = score_text(total_points(problems));
  const std::string script = "GRADER=" + quoted(grader_exe) + " GITHUB_STEP_SUMMARY=" + quoted(t.path() / "summary.md") +
                             " bash " + quoted(source_dir / "grader" / "platforms" / "ci" / "grade.sh") + " ";
  const std::string bar = score_text(total_points(problems) / 2);
  EXPECT_EQ(run_shell(script + quoted(source_dir / "reference") + " --out " + quoted(t.path() / "ok") + " --fail-under " +
                          bar + " --problems " + quoted(problems),
                      t.path() / "ok.log"),
            0);
  EXPECT_NE(grader::read_file(t.path() / "ok.log").find("Points: " + total + " / " + total), std::string::npos);
  EXPECT_NE(grader::read_file(t.path() / "ok" / "junit.xml").find("<testsuites"), std::string::npos);
  EXPECT_EQ(run_shell(script + quoted(source_dir / "student_template") + " --out " + quoted(t.path() / "low") +
                          " --fail-under " + bar + " --problems " + quoted(problems),
                      t.path() / "low.log"),
            1);
  EXPECT_NE(grader::read_file(t.path() / "low.log").find("Points: 0 / " + total), std::string::npos);
  EXPECT_NE(grader::read_file(t.path() / "summary.md").find("## Autograder: 0 / " + total), std::string::npos);
}

}  // namespace
