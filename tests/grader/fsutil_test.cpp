// Tests of grader/fsutil.hpp: atomic writes, reading, UTF-8 sanitizing, truncation.

#include "grader/fsutil.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "grader/error.hpp"

namespace {

namespace fs = std::filesystem;
using grader::GraderError;

/// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "adc_fsutil_XXXXXX").string();
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name.data();
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  /// The names of the entries directly inside, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

void write_plain(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

/// The message GraderError carried, or "" when `action` did not throw one.
template <typename Action>
std::string grader_error_message(Action action) {
  try {
    action();
  } catch (const GraderError& e) {
    return e.what();
  }
  return "";
}

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(WriteFileAtomically, CreatesFileWithContent) {
  TempDir dir;
  const fs::path target = dir.path() / "results.json";
  grader::write_file_atomically(target, "{\"score\": 1}\n");
  EXPECT_EQ(grader::read_file(target), "{\"score\": 1}\n");
}

TEST(WriteFileAtomically, ReplacesLongerExistingFileCompletely) {
  TempDir dir;
  const fs::path target = dir.path() / "results.json";
  write_plain(target, std::string(1000, 'o'));
  grader::write_file_atomically(target, "new");
  EXPECT_EQ(grader::read_file(target), "new");
}

TEST(WriteFileAtomically, ReaderOfOldFileKeepsOldContent) {
  // Replacing by rename, not by rewriting in place: a reader that opened the
  // old file still reads all of it, never a mix of old and new.
  TempDir dir;
  const fs::path target = dir.path() / "results.json";
  write_plain(target, "old content");
  std::ifstream reader(target, std::ios::binary);
  ASSERT_TRUE(reader.good());
  grader::write_file_atomically(target, "new content");
  std::string seen(64, '\0');
  reader.read(&seen[0], static_cast<std::streamsize>(seen.size()));
  seen.resize(static_cast<std::size_t>(reader.gcount()));
  EXPECT_EQ(seen, "old content");
  EXPECT_EQ(grader::read_file(target), "new content");
}

TEST(WriteFileAtomically, LeavesNoTemporaryFileBehind) {
  TempDir dir;
  grader::write_file_atomically(dir.path() / "results.json", "a");
  grader::write_file_atomically(dir.path() / "results.json", "b");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"results.json"});
}

TEST(WriteFileAtomically, WritesEmptyContent) {
  TempDir dir;
  const fs::path target = dir.path() / "empty.txt";
  write_plain(target, "something");
  grader::write_file_atomically(target, "");
  EXPECT_EQ(fs::file_size(target), 0u);
}

TEST(WriteFileAtomically, MakesFileReadableByEveryone) {
  TempDir dir;
  const fs::path target = dir.path() / "results.json";
  grader::write_file_atomically(target, "x");
  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
}

TEST(WriteFileAtomically, ThrowsNamingPathWhenParentIsARegularFile) {
  // We run as root, so permissions cannot force a failure; a path below a
  // regular file fails for everyone.
  const std::string message =
      grader_error_message([] { grader::write_file_atomically("/etc/passwd/x.json", "{}"); });
  EXPECT_NE(message.find("\"/etc/passwd/x.json\""), std::string::npos) << message;
  EXPECT_NE(message.find("Not a directory (errno 20)"), std::string::npos) << message;
  EXPECT_NE(message.find("choose another output path"), std::string::npos) << message;
}

TEST(WriteFileAtomically, FailureBelowRegularFileLeavesDirectoryUntouched) {
  TempDir dir;
  write_plain(dir.path() / "file", "keep");
  EXPECT_THROW(grader::write_file_atomically(dir.path() / "file" / "x.json", "{}"), GraderError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"file"});
  EXPECT_EQ(grader::read_file(dir.path() / "file"), "keep");
}

TEST(WriteFileAtomically, ThrowsNamingPathWhenDirectoryIsMissing) {
  TempDir dir;
  const fs::path target = dir.path() / "missing" / "results.json";
  const std::string message =
      grader_error_message([&] { grader::write_file_atomically(target, "{}"); });
  EXPECT_NE(message.find("\"" + target.string() + "\""), std::string::npos) << message;
  EXPECT_NE(message.find("No such file or directory (errno 2)"), std::string::npos) << message;
}

TEST(WriteFileAtomically, TargetThatIsADirectoryThrowsAndLeavesNoTemporaryFile) {
  // This failure comes after the temporary file exists, at the rename.
  TempDir dir;
  fs::create_directory(dir.path() / "results.json");
  write_plain(dir.path() / "results.json" / "inside", "x");
  const std::string message =
      grader_error_message([&] { grader::write_file_atomically(dir.path() / "results.json", "{}"); });
  EXPECT_NE(message.find("results.json\""), std::string::npos) << message;
  EXPECT_NE(message.find("renaming"), std::string::npos) << message;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"results.json"});
}

TEST(ReadFile, ReturnsBytesExactly) {
  TempDir dir;
  const std::string bytes("a\0b\xFF\n", 5);
  write_plain(dir.path() / "raw", bytes);
  EXPECT_EQ(grader::read_file(dir.path() / "raw"), bytes);
}

TEST(ReadFile, ThrowsNamingMissingPath) {
  TempDir dir;
  const fs::path missing = dir.path() / "nope.json";
  const std::string message = grader_error_message([&] { grader::read_file(missing); });
  EXPECT_NE(message.find("cannot read \"" + missing.string() + "\""), std::string::npos) << message;
  EXPECT_NE(message.find("errno 2"), std::string::npos) << message;
}

TEST(ReadFile, ThrowsForDirectory) {
  TempDir dir;
  const std::string message = grader_error_message([&] { grader::read_file(dir.path()); });
  EXPECT_NE(message.find("Is a directory"), std::string::npos) << message;
}

TEST(SanitizeUtf8, KeepsValidTextNewlinesAndTabs) {
  const std::string text = "x\u00e9\u4e2d\U0001F600\n\tend";
  EXPECT_EQ(grader::sanitize_utf8(text), text);
}

TEST(SanitizeUtf8, ReplacesInvalidByte) {
  EXPECT_EQ(grader::sanitize_utf8("a\xFF" "b"), "a" + kReplacement + "b");
}

TEST(SanitizeUtf8, ReplacesTruncatedSequenceWithOneCharacter) {
  // The maximal valid prefix E2 82 becomes one U+FFFD, as Unicode recommends.
  EXPECT_EQ(grader::sanitize_utf8("a\xE2\x82"), "a" + kReplacement);
}

TEST(SanitizeUtf8, KeepsCharacterAfterBrokenSequence) {
  EXPECT_EQ(grader::sanitize_utf8("\xE2\x82" "A"), kReplacement + "A");
}

TEST(SanitizeUtf8, ReplacesOverlongEncoding) {
  // C0 AF is an overlong '/': both bytes are invalid on their own.
  EXPECT_EQ(grader::sanitize_utf8("\xC0\xAF"), kReplacement + kReplacement);
}

TEST(SanitizeUtf8, ReplacesEncodedSurrogate) {
  EXPECT_EQ(grader::sanitize_utf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);
}

TEST(SanitizeUtf8, ReplacesNulAndControlCharacters) {
  const std::string text("\0\x1B[31m\r\x7F", 8);
  EXPECT_EQ(grader::sanitize_utf8(text), kReplacement + kReplacement + "[31m" + kReplacement +
                                             kReplacement);
}

TEST(SanitizeUtf8, ReplacesC1ControlCharacters) {
  EXPECT_EQ(grader::sanitize_utf8("a\xC2\x85" "b"), "a" + kReplacement + "b");
}

TEST(SanitizeUtf8, RandomBytesBecomeValidUtf8WithoutControls) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string raw(static_cast<std::size_t>(trial % 40), '\0');
    for (char& c : raw) c = static_cast<char>(byte(rng));
    const std::string clean = grader::sanitize_utf8(raw);
    ASSERT_TRUE(grader::is_valid_utf8(clean)) << "trial " << trial;
    for (const char c : clean) {
      const auto u = static_cast<unsigned char>(c);
      ASSERT_FALSE(u < 0x20 && c != '\n' && c != '\t') << "trial " << trial;
    }
    ASSERT_EQ(grader::sanitize_utf8(clean), clean) << "trial " << trial;
  }
}

TEST(IsValidUtf8, AcceptsControlCharacters) {
  EXPECT_TRUE(grader::is_valid_utf8(std::string("a\0\r\x1B", 4)));
}

TEST(IsValidUtf8, RejectsCodePointAboveUnicodeRange) {
  EXPECT_FALSE(grader::is_valid_utf8("\xF4\x90\x80\x80"));
}

TEST(IsValidUtf8, AcceptsLargestCodePoint) {
  EXPECT_TRUE(grader::is_valid_utf8("\xF4\x8F\xBF\xBF"));
}

TEST(TruncateText, ReturnsShortTextUnchanged) {
  EXPECT_EQ(grader::truncate_text("abc", 3), "abc");
}

TEST(TruncateText, CutsAndCountsRemainingBytes) {
  EXPECT_EQ(grader::truncate_text("abcdef", 4), "abcd… [truncated: 2 more bytes]");
}

TEST(TruncateText, NeverSplitsCharacter) {
  // "aé" is 61 C3 A9: a cut after two bytes would split the é.
  EXPECT_EQ(grader::truncate_text("a\u00e9", 2), "a… [truncated: 2 more bytes]");
}

TEST(TruncateText, NeverSplitsFourByteCharacter) {
  const std::string text = "\U0001F600\U0001F600";
  EXPECT_EQ(grader::truncate_text(text, 7), "\U0001F600… [truncated: 4 more bytes]");
}

}  // namespace
