#pragma once
/// \file Files and text the grader writes: atomic writes, reading, making
/// arbitrary child bytes safe to show.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace grader {

/// Replaces `path` with `content` atomically: a reader sees the old file or
/// the new one, never a half-written one; throws GraderError (path, OS error,
/// fix) and leaves no temporary file behind on failure.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

/// The whole content of `path`, byte for byte; throws GraderError naming the
/// path and the OS error when it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code
/// points past U+10FFFF); control characters are allowed.
bool is_valid_utf8(std::string_view text);

/// `text` as valid UTF-8 with every invalid sequence and every control
/// character other than '\n' and '\t' (C0, DEL, C1) replaced by U+FFFD.
std::string sanitize_utf8(std::string_view text);

/// `text` cut to at most `max_bytes` bytes on a UTF-8 character boundary,
/// followed by "… [truncated: N more bytes]" when anything was cut.
std::string truncate_text(std::string_view text, std::size_t max_bytes);

/// A private folder `$TMPDIR/<area>/<prefix>-XXXXXX` (mode 0700, mkdtemp),
/// made on construction and removed with its content on destruction. Throws
/// GraderError naming the folder it could not make, what it was for and the
/// fix (a writable TMPDIR).
class TempFolder {
 public:
  /// `area` groups the grader's folders (adcourse-runs, adcourse-build, …);
  /// `purpose` completes "cannot create a folder in … to <purpose>".
  TempFolder(const std::string& area, const std::string& prefix, const std::string& purpose);
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }  ///< the folder

 private:
  std::filesystem::path path_;
};

}  // namespace grader
