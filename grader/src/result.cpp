#include "grader/result.hpp"

namespace grader {

std::string to_string(Visibility v) {
  switch (v) {
    case Visibility::visible: return "visible";
    case Visibility::hidden: return "hidden";
    case Visibility::after_due_date: return "after_due_date";
    case Visibility::after_published: return "after_published";
  }
  return "visible";
}

std::optional<Visibility> parse_visibility(const std::string& text) {
  if (text == "visible") return Visibility::visible;
  if (text == "hidden") return Visibility::hidden;
  if (text == "after_due_date") return Visibility::after_due_date;
  if (text == "after_published") return Visibility::after_published;
  return std::nullopt;
}

}  // namespace grader
