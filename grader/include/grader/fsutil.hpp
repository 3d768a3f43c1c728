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

}  // namespace grader
