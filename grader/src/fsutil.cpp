#include "grader/fsutil.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>
#include <vector>

#include "grader/error.hpp"

namespace grader {
namespace {

namespace fs = std::filesystem;

/// "Permission denied (errno 13)": the words for people, the number for searching.
std::string os_error(int err) {
  return std::system_category().message(err) + " (errno " + std::to_string(err) + ")";
}

std::string in_quotes(const fs::path& path) { return "\"" + path.string() + "\""; }

/// Removes the temporary file unless the rename has consumed it, so that no
/// failure path can leave ".results.json.tmp.XXXXXX" litter next to the target.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  /// Closes the descriptor, reporting the error close found (0 when none).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void commit() { committed_ = true; }

 private:
  int fd_;
  std::string path_;
  bool committed_ = false;
};

[[noreturn]] void throw_write_error(const fs::path& path, const std::string& step, int err,
                                    const std::string& fix) {
  throw GraderError("cannot write " + in_quotes(path) + ": " + os_error(err) + " while " + step +
                    "; " + fix);
}

/// One decoded UTF-8 character, or the invalid bytes to replace by one U+FFFD.
struct Decoded {
  std::size_t length;  ///< bytes consumed (at least 1)
  bool valid;          ///< a well-formed character
  char32_t code_point; ///< meaningful when valid
};

/// Decodes the character at text[i] following the well-formed byte sequences
/// of Unicode table 3-7 (no overlongs, no surrogates, nothing past U+10FFFF).
/// An ill-formed sequence consumes its maximal valid prefix, the replacement
/// practice Unicode recommends, so one bad byte never swallows a good one.
Decoded decode_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {1, true, lead};
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    cp = lead & 0x0Fu;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    cp = lead & 0x07u;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return {1, false, 0};
  }
  for (std::size_t k = 1; k < need; ++k) {
    if (i + k >= text.size()) return {k, false, 0};
    const unsigned char b = byte(i + k);
    if (b < lo || b > hi) return {k, false, 0};
    cp = (cp << 6) | (b & 0x3Fu);
    lo = 0x80;
    hi = 0xBF;
  }
  return {need, true, cp};
}

bool is_control(char32_t cp) {
  if (cp == U'\n' || cp == U'\t') return false;
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::string fix = "make sure the directory " +
                          in_quotes(path.has_parent_path() ? path.parent_path() : fs::path(".")) +
                          " exists and is writable, or choose another output path";
  if (!path.has_filename()) {
    throw GraderError("cannot write " + in_quotes(path) +
                      ": the path names a directory, not a file; add a file name");
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  // Same directory as the target: rename() is only atomic within one file system.
  std::string pattern = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  // O_CLOEXEC: the sandbox forks children that must not inherit our files.
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw_write_error(path, "creating a temporary file next to it", err, fix);
  }
  TempFile tmp(fd, std::string(name.data()));

  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(tmp.fd(), content.data() + written, content.size() - written);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      throw_write_error(path, "writing " + in_quotes(tmp.path()), err, fix);
    }
    written += static_cast<std::size_t>(n);
  }
  // mkostemp creates 0600; results files are read by other users (Gradescope's harness, CI).
  if (::fchmod(tmp.fd(), 0644) != 0) {
    const int err = errno;
    throw_write_error(path, "setting the permissions of " + in_quotes(tmp.path()), err, fix);
  }
  // Flush the data before the rename publishes it, or a crash could publish an empty file.
  if (::fsync(tmp.fd()) != 0) {
    const int err = errno;
    throw_write_error(path, "flushing " + in_quotes(tmp.path()), err, fix);
  }
  if (const int err = tmp.close(); err != 0) {
    throw_write_error(path, "closing " + in_quotes(tmp.path()), err, fix);
  }
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) {
    const int err = errno;
    throw_write_error(path, "renaming " + in_quotes(tmp.path()) + " over it", err,
                      "make sure the target is not a directory and its directory is writable, "
                      "or choose another output path");
  }
  tmp.commit();

  // The rename lives in the directory entry; flush it so it survives a crash too.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    const int err = errno;
    throw_write_error(path, "opening its directory to flush it", err, fix);
  }
  const int rc = ::fsync(dir_fd);
  const int err = errno;
  ::close(dir_fd);
  // Some file systems cannot fsync a directory (EINVAL); the rename is done regardless.
  if (rc != 0 && err != EINVAL) throw_write_error(path, "flushing its directory", err, fix);
}

std::string read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw GraderError("cannot read " + in_quotes(path) + ": " + os_error(err) +
                      "; check that the file exists and is readable");
  }
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw GraderError("cannot read " + in_quotes(path) + ": " + os_error(err) +
                        "; check that the path names a readable regular file");
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const Decoded d = decode_at(text, i);
    if (!d.valid) return false;
    i += d.length;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const Decoded d = decode_at(text, i);
    if (!d.valid || is_control(d.code_point)) {
      out += kReplacement;
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

std::string truncate_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes;
  // Back off over at most three continuation bytes: a UTF-8 character is at
  // most four bytes, and further back there is no character to keep whole.
  const auto is_continuation = [&](std::size_t k) {
    return (static_cast<unsigned char>(text[k]) & 0xC0u) == 0x80u;
  };
  for (int step = 0; step < 3 && cut > 0 && is_continuation(cut); ++step) --cut;
  if (is_continuation(cut)) cut = max_bytes;
  std::string out(text.substr(0, cut));
  out += "… [truncated: " + std::to_string(text.size() - cut) + " more bytes]";
  return out;
}

TempFolder::TempFolder(const std::string& area, const std::string& prefix, const std::string& purpose) {
  const std::filesystem::path base = std::filesystem::temp_directory_path() / area;
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  std::string tmpl = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw GraderError("cannot create a folder in \"" + base.string() + "\" to " + purpose +
                      " (" + std::strerror(errno) + "); set TMPDIR to a writable folder");
  path_ = tmpl;
}

TempFolder::~TempFolder() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace grader
