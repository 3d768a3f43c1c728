#pragma once
// A 128-bit content hash (two FNV-1a lanes) for the build cache keys and the
// batch's fingerprints: fast, stable across runs and machines, and not a
// defence against a chosen collision (a submission is graded by its own
// content either way).
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "grader/error.hpp"

namespace grader {

class ContentHash {
 public:
  void add(const char* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(data[i]);
      a_ = (a_ ^ c) * 1099511628211ULL;
      b_ = (b_ ^ c) * 1099511628211ULL;
    }
  }
  /// Adds `s` and a separator, so ("ab", "c") != ("a", "bc").
  void add(const std::string& s) {
    add(s.data(), s.size());
    a_ = (a_ ^ 0xff) * 1099511628211ULL;
    b_ = (b_ ^ 0xfe) * 1099511628211ULL;
  }
  /// Streams a file in (large uploads are not read into memory at once), then a separator.
  void add_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw GraderError("cannot read \"" + path.string() + "\"; check that it is readable by the grader");
    char buffer[1 << 16];
    while (in) {
      in.read(buffer, sizeof buffer);
      add(buffer, static_cast<std::size_t>(in.gcount()));
    }
    add(std::string());
  }
  /// 32 hex digits.
  std::string hex() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                  static_cast<unsigned long long>(b_));
    return buf;
  }

 private:
  unsigned long long a_ = 1469598103934665603ULL;
  unsigned long long b_ = 0x84222325cbf29ce4ULL;
};

}  // namespace grader
