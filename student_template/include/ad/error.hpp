#pragma once
/// \file Errors thrown by the AD library.

#include <stdexcept>
#include <string>

namespace ad {

/// Thrown by every spot of the assignment that is still to be written.
/// The grader recognises it and reports "not implemented yet" instead of a crash.
class NotImplemented : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Thrown when the shapes of two operands do not fit; the message names both shapes.
class ShapeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Throws NotImplemented("not implemented yet: <what>").
[[noreturn]] inline void not_implemented(const std::string& what) {
  throw NotImplemented("not implemented yet: " + what);
}

}  // namespace ad

/// Marks a spot of the assignment that the student has to fill in.
#define ADC_TODO(what) ::ad::not_implemented(what)
