// Tests of grader/assign.hpp: the student template generated from the solution markers.
#include "grader/assign.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "grader/error.hpp"

namespace fs = std::filesystem;

namespace {

/// The message of the GraderError that stripping `text` throws, or "" when it does not throw.
std::string strip_error(const std::string& text) {
  try {
    grader::strip_solutions(text, "reference/src/f.cpp");
  } catch (const grader::GraderError& e) {
    return e.what();
  }
  return "";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::size_t count_todos(const std::string& text) {
  std::size_t n = 0;
  for (std::size_t at = text.find("ADC_TODO("); at != std::string::npos; at = text.find("ADC_TODO(", at + 1)) ++n;
  return n;
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

/// A fresh folder with a small reference (include/, src/) and a template folder holding only its
/// CMakeLists.txt; removed afterwards.
class AssignTree : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("adc_assign_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(root_);
    reference_ = root_ / "reference";
    template_ = root_ / "student_template";
    write_text(reference_ / "include/ad/sq.hpp", "#pragma once\ndouble sq(double x);\n");
    write_text(reference_ / "src/sq.cpp",
               "#include \"ad/sq.hpp\"\n"
               "double sq(double x) {\n"
               "  // BEGIN SOLUTION \"the square\"\n"
               "  return x * x;\n"
               "  // END SOLUTION\n"
               "}\n");
    write_text(reference_ / "src/detail/util.cpp", "int one() { return 1; }\n");
    write_text(template_ / "CMakeLists.txt", "add_library(adstudent src/sq.cpp)\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  fs::path reference_;
  fs::path template_;
};

class GenerateTemplate : public AssignTree {};
class TemplateDrift : public AssignTree {};

const char* const sq_template =
    "#include \"ad/sq.hpp\"\n"
    "double sq(double x) {\n"
    "  ADC_TODO(\"the square\");\n"
    "}\n";

}  // namespace

TEST(StripSolutions, ReplacesRegionWithOneTodoLineAtBeginIndentation) {
  const std::string text =
      "int f() {\n"
      "    // BEGIN SOLUTION \"forward mode: the sum rule for Dual + Dual\"\n"
      "  return 1;\n"
      "  // END SOLUTION\n"
      "}\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"),
            "int f() {\n"
            "    ADC_TODO(\"forward mode: the sum rule for Dual + Dual\");\n"
            "}\n");
}

TEST(StripSolutions, KeepsTabIndentationOfBeginMarker) {
  const std::string text = "\t\t// BEGIN SOLUTION \"x\"\n\t\treturn 1;\n\t\t// END SOLUTION\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"), "\t\tADC_TODO(\"x\");\n");
}

TEST(StripSolutions, KeepsTextOutsideRegionsByteForByte) {
  const std::string before = "// caf\xC3\xA9  \t\n\n#define X 1 \\\n  + 2\n\tint a;   \n";
  const std::string after = "}\n  /* trailing */  \n\nlast line without newline";
  const std::string text = before + "  // BEGIN SOLUTION \"r\"\n  secret();\n  // END SOLUTION\n" + after;
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"), before + "  ADC_TODO(\"r\");\n" + after);
}

TEST(StripSolutions, ReplacesEveryRegionOfAFile) {
  const std::string text =
      "a\n"
      "  // BEGIN SOLUTION \"one\"\n"
      "  1;\n"
      "  // END SOLUTION\n"
      "b\n"
      "// BEGIN SOLUTION \"two\"\n"
      "// END SOLUTION\n"
      "c\n"
      "      // BEGIN SOLUTION \"three\"\n"
      "      3;\n"
      "      3;\n"
      "      // END SOLUTION\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"),
            "a\n"
            "  ADC_TODO(\"one\");\n"
            "b\n"
            "ADC_TODO(\"two\");\n"
            "c\n"
            "      ADC_TODO(\"three\");\n");
}

TEST(StripSolutions, CopiesFileWithoutRegionsUnchanged) {
  const std::string text = "#pragma once\n// SOLUTION is a word, BEGIN too\nint x;\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.hpp"), text);
}

TEST(StripSolutions, KeepsCrlfLineEndings) {
  const std::string text =
      "int f() {\r\n"
      "  // BEGIN SOLUTION \"crlf\"\r\n"
      "  return 1;\r\n"
      "  // END SOLUTION\r\n"
      "}\r\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"), "int f() {\r\n  ADC_TODO(\"crlf\");\r\n}\r\n");
}

TEST(StripSolutions, KeepsMissingNewlineAfterFinalEndMarker) {
  const std::string text = "x\n// BEGIN SOLUTION \"d\"\ny\n// END SOLUTION";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"), "x\nADC_TODO(\"d\");");
}

TEST(StripSolutions, KeepsUtf8Description) {
  const std::string text = "// BEGIN SOLUTION \"VJP of matmul for X (dX += dZ W\xE1\xB5\x80)\"\n// END SOLUTION\n";
  EXPECT_EQ(grader::strip_solutions(text, "f.cpp"), "ADC_TODO(\"VJP of matmul for X (dX += dZ W\xE1\xB5\x80)\");\n");
}

TEST(StripSolutions, RejectsEndWithoutBegin) {
  const std::string message = strip_error("a\nb\n  // END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("\"// END SOLUTION\" without a matching \"// BEGIN SOLUTION\""), std::string::npos)
      << message;
}

TEST(StripSolutions, RejectsNestedBegin) {
  const std::string message =
      strip_error("// BEGIN SOLUTION \"outer\"\nx\n// BEGIN SOLUTION \"inner\"\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("opened at line 1"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsBeginWithoutEndAtEndOfFile) {
  const std::string message = strip_error("a\n  // BEGIN SOLUTION \"open\"\n  x;\n");
  EXPECT_NE(message.find("reference/src/f.cpp:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("without a matching \"// END SOLUTION\""), std::string::npos) << message;
}

TEST(StripSolutions, RejectsBeginWithoutDescription) {
  const std::string message = strip_error("\n\n\n  // BEGIN SOLUTION\n  // END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("without a description"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsEmptyDescription) {
  const std::string message = strip_error("// BEGIN SOLUTION \"  \"\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("empty description"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsUnquotedDescription) {
  const std::string message = strip_error("x\n// BEGIN SOLUTION the sum rule\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("double quotes"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsDoubleQuoteInDescription) {
  const std::string message = strip_error("// BEGIN SOLUTION \"the \"sum\" rule\"\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("must not contain a double quote or a backslash"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsBackslashInDescription) {
  const std::string message = strip_error("x\ny\n// BEGIN SOLUTION \"a\\nb\"\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("must not contain a double quote or a backslash"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsBeginMarkerAfterCode) {
  const std::string message = strip_error("x\nint a;  // BEGIN SOLUTION \"d\"\n// END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("must be on a line of its own"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsEndMarkerAfterCode) {
  const std::string message = strip_error("// BEGIN SOLUTION \"d\"\nreturn 1;  // END SOLUTION\n");
  EXPECT_NE(message.find("reference/src/f.cpp:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("must be on a line of its own"), std::string::npos) << message;
}

TEST(StripSolutions, RejectsTextAfterEndMarker) {
  const std::string message = strip_error("// BEGIN SOLUTION \"d\"\n// END SOLUTION \"d\"\n");
  EXPECT_NE(message.find("reference/src/f.cpp:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("takes nothing after it"), std::string::npos) << message;
}

TEST(StripSolutions, ReportsLineNumbersOfCrlfFiles) {
  const std::string message = strip_error("a\r\nb\r\n// END SOLUTION\r\n");
  EXPECT_NE(message.find("reference/src/f.cpp:3:"), std::string::npos) << message;
}

TEST(CountSolutions, CountsEveryRegion) {
  const std::string text = "// BEGIN SOLUTION \"a\"\n// END SOLUTION\nx\n"
                           "  // BEGIN SOLUTION \"b\"\n  y\n  // END SOLUTION\n";
  EXPECT_EQ(grader::count_solutions(text, "f.cpp"), 2u);
}

TEST(CountSolutions, IsZeroForFileWithoutRegions) {
  EXPECT_EQ(grader::count_solutions("int x;\n", "f.cpp"), 0u);
}

TEST(CountSolutions, RejectsMalformedMarkers) {
  EXPECT_THROW(grader::count_solutions("// END SOLUTION\n", "f.cpp"), grader::GraderError);
}

TEST_F(GenerateTemplate, WritesStrippedIncludeAndSrc) {
  const std::vector<std::string> written = grader::generate_template(reference_, template_);
  EXPECT_EQ(written, (std::vector<std::string>{"include/ad/sq.hpp", "src/detail/util.cpp", "src/sq.cpp"}));
  EXPECT_EQ(read_text(template_ / "include/ad/sq.hpp"), "#pragma once\ndouble sq(double x);\n");
  EXPECT_EQ(read_text(template_ / "src/sq.cpp"), sq_template);
  EXPECT_EQ(read_text(template_ / "src/detail/util.cpp"), "int one() { return 1; }\n");
}

TEST_F(GenerateTemplate, RemovesStaleFilesAndKeepsOthers) {
  write_text(template_ / "src/old.cpp", "stale\n");
  write_text(template_ / "include/ad/gone/old.hpp", "stale\n");
  write_text(template_ / "README.md", "keep me\n");
  grader::generate_template(reference_, template_);
  EXPECT_FALSE(fs::exists(template_ / "src/old.cpp"));
  EXPECT_FALSE(fs::exists(template_ / "include/ad/gone"));
  EXPECT_EQ(read_text(template_ / "README.md"), "keep me\n");
  EXPECT_EQ(read_text(template_ / "CMakeLists.txt"), "add_library(adstudent src/sq.cpp)\n");
}

TEST_F(GenerateTemplate, OverwritesEditedFiles) {
  grader::generate_template(reference_, template_);
  write_text(template_ / "src/sq.cpp", "edited\n");
  grader::generate_template(reference_, template_);
  EXPECT_EQ(read_text(template_ / "src/sq.cpp"), sq_template);
}

TEST_F(GenerateTemplate, WritesNothingWhenAMarkerIsMalformed) {
  write_text(reference_ / "src/z_bad.cpp", "ok\n// BEGIN SOLUTION\n// END SOLUTION\n");
  try {
    grader::generate_template(reference_, template_);
    ADD_FAILURE() << "expected a GraderError";
  } catch (const grader::GraderError& e) {
    EXPECT_NE(std::string(e.what()).find("reference/src/z_bad.cpp:2:"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(template_ / "src"));
}

TEST_F(GenerateTemplate, RefusesToOverwriteTheReference) {
  EXPECT_THROW(grader::generate_template(reference_, reference_ / "."), grader::GraderError);
  EXPECT_EQ(grader::count_solutions(read_text(reference_ / "src/sq.cpp"), "sq.cpp"), 1u);
}

TEST_F(GenerateTemplate, RejectsFolderWithoutSrc) {
  fs::remove_all(reference_ / "src");
  EXPECT_THROW(grader::generate_template(reference_, template_), grader::GraderError);
}

TEST_F(TemplateDrift, IsEmptyRightAfterGenerate) {
  grader::generate_template(reference_, template_);
  EXPECT_TRUE(grader::template_drift(reference_, template_).empty());
}

TEST_F(TemplateDrift, ReportsModifiedFileWithFirstDifferentLine) {
  grader::generate_template(reference_, template_);
  std::string text = read_text(template_ / "src/sq.cpp");
  text.replace(text.find("square"), 6, "cube");
  write_text(template_ / "src/sq.cpp", text);
  EXPECT_EQ(grader::template_drift(reference_, template_),
            (std::vector<std::string>{
                "student_template/src/sq.cpp differs from the generated template (first difference at line 3)"}));
}

TEST_F(TemplateDrift, ReportsMissingFile) {
  grader::generate_template(reference_, template_);
  fs::remove(template_ / "include/ad/sq.hpp");
  EXPECT_EQ(grader::template_drift(reference_, template_),
            (std::vector<std::string>{"student_template/include/ad/sq.hpp is missing"}));
}

TEST_F(TemplateDrift, ReportsExtraFile) {
  grader::generate_template(reference_, template_);
  write_text(template_ / "src/extra.cpp", "int extra;\n");
  EXPECT_EQ(grader::template_drift(reference_, template_),
            (std::vector<std::string>{"student_template/src/extra.cpp has no counterpart in the reference"}));
}

TEST_F(TemplateDrift, IgnoresFilesOutsideIncludeAndSrc) {
  grader::generate_template(reference_, template_);
  write_text(template_ / "README.md", "notes\n");
  write_text(template_ / "CMakeLists.txt", "changed\n");
  EXPECT_TRUE(grader::template_drift(reference_, template_).empty());
}

TEST(RealReference, EverySourceFileHasASolutionRegion) {
  // The chain generator is shared by the grader and the benchmark, so students get it whole.
  const std::vector<std::string> given_whole = {"chain.cpp"};
  const fs::path src = fs::path(ADC_SOURCE_DIR) / "reference" / "src";
  int files = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(src)) {
    if (entry.path().extension() != ".cpp") continue;
    const std::string name = entry.path().filename().string();
    if (std::find(given_whole.begin(), given_whole.end(), name) != given_whole.end()) continue;
    ++files;
    EXPECT_GE(grader::count_solutions(read_text(entry.path()), entry.path().string()), 1u) << entry.path();
  }
  EXPECT_GT(files, 0);
}

TEST(RealReference, EveryFileOfIncludeAndSrcStrips) {
  int files = 0;
  for (const char* sub : {"include", "src"}) {
    const fs::path root = fs::path(ADC_SOURCE_DIR) / "reference" / sub;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
      if (!entry.is_regular_file()) continue;
      ++files;
      const std::string text = read_text(entry.path());
      std::size_t regions = 0;
      std::string stripped;
      ASSERT_NO_THROW(regions = grader::count_solutions(text, entry.path().string()));
      ASSERT_NO_THROW(stripped = grader::strip_solutions(text, entry.path().string()));
      // A stripped file has no region left and one more ADC_TODO per region it had.
      EXPECT_EQ(grader::count_solutions(stripped, entry.path().string()), 0u) << entry.path();
      EXPECT_EQ(count_todos(stripped), count_todos(text) + regions) << entry.path();
    }
  }
  EXPECT_GT(files, 0);
}
