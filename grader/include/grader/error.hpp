#pragma once
/// \file The one exception type for grader faults.

#include <stdexcept>
#include <string>

namespace grader {

/// A fault of the grader or of its input (a bad problem spec, a missing file,
/// an output path that cannot be written), as opposed to a fault of the
/// submission, which is a normal result. The message names the file, the
/// field, the value and the fix, e.g.
/// `problems/matmul.json: "tolerance" must be > 0 (got -1)`.
class GraderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace grader
