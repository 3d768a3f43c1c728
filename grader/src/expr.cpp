// The parser of grader/expr.hpp. Self-contained (standard library and
// grader/error.hpp only) so that the probe's small support library can compile
// it too.
#include "grader/expr.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <string_view>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include "grader/error.hpp"

namespace grader {

std::string to_string(ExprOp op) {
  switch (op) {
    case ExprOp::constant: return "constant";
    case ExprOp::variable: return "variable";
    case ExprOp::add: return "+";
    case ExprOp::sub: return "-";
    case ExprOp::mul: return "*";
    case ExprOp::div: return "/";
    case ExprOp::neg: return "unary -";
    case ExprOp::pow: return "pow";
    case ExprOp::sin: return "sin";
    case ExprOp::cos: return "cos";
    case ExprOp::tan: return "tan";
    case ExprOp::exp: return "exp";
    case ExprOp::log: return "log";
    case ExprOp::sqrt: return "sqrt";
    case ExprOp::abs: return "abs";
    case ExprOp::tanh: return "tanh";
    case ExprOp::relu: return "relu";
  }
  return "unknown";
}

namespace {

struct FunctionInfo {
  std::string_view name;
  ExprOp op;
  int arguments;
};

constexpr std::array<FunctionInfo, 10> functions = {{
    {"sin", ExprOp::sin, 1},
    {"cos", ExprOp::cos, 1},
    {"tan", ExprOp::tan, 1},
    {"exp", ExprOp::exp, 1},
    {"log", ExprOp::log, 1},
    {"sqrt", ExprOp::sqrt, 1},
    {"abs", ExprOp::abs, 1},
    {"tanh", ExprOp::tanh, 1},
    {"relu", ExprOp::relu, 1},
    {"pow", ExprOp::pow, 2},
}};

const FunctionInfo* find_function(std::string_view name) {
  for (const FunctionInfo& f : functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string known_functions() {
  std::string out;
  for (const FunctionInfo& f : functions) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

/// "a, b, c" with at most `limit` names, then ", ...".
std::string join_names(const std::vector<std::string>& names, std::size_t limit = 10) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > limit) out += ", ...";
  return out;
}

std::string format_double(double v) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  return std::string(buffer.data(), result.ptr);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_identifier_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_identifier_char(char c) { return is_identifier_start(c) || is_digit(c); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_identifier(const std::string& name) {
  if (name.empty() || !is_identifier_start(name[0])) return false;
  for (char c : name) {
    if (!is_identifier_char(c)) return false;
  }
  return true;
}

/// A character as a reader can see it: printable ASCII as is, anything else as \xNN.
std::string printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  std::array<char, 8> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buffer.data();
}

// Beyond this many variables an xN is surely a typo, and the name list would
// be absurd.
constexpr std::size_t max_auto_variables = 100000;
// Node indices are int32; a text this long is not a hand-written function.
constexpr std::size_t max_text_length = 16u << 20u;

enum class TokenKind { number, identifier, plus, minus, star, slash, caret, lparen, rparen, comma, end };

struct Token {
  TokenKind kind;
  std::size_t pos;  ///< byte offset of its first character
  std::size_t len;  ///< bytes
  double number;    ///< the value of a number token
};

/// A parsed subexpression: its root node and the bytes of text it spans.
struct Operand {
  std::int32_t node;
  std::size_t begin;
  std::size_t end;
};

class Parser {
 public:
  Parser(const std::string& text, const std::vector<std::string>& variables)
      : text_(text), explicit_names_(variables) {}

  /// Parses the whole text; fills nodes() and variable_names().
  void run() {
    if (text_.size() > max_text_length) {
      fail_no_column("is longer than " + std::to_string(max_text_length) + " characters");
    }
    validate_variable_names();
    lex();
    const Operand root = parse_sum(0);
    const Token& t = peek();
    if (t.kind == TokenKind::rparen) fail(t.pos, "unexpected \")\"", " (no \"(\" to close)");
    if (t.kind != TokenKind::end) fail(t.pos, "expected an operator or the end of the expression", found(t));
    assert(static_cast<std::size_t>(root.node) + 1 == nodes_.size());
    (void)root;
    if (explicit_names_.empty()) {
      names_.reserve(auto_arity_);
      for (std::size_t i = 1; i <= auto_arity_; ++i) names_.push_back("x" + std::to_string(i));
    } else {
      names_ = explicit_names_;
    }
  }

  std::vector<ExprNode>& nodes() { return nodes_; }
  std::vector<std::string>& variable_names() { return names_; }

 private:
  // ---- errors

  /// The expression as quoted in messages: whole when short, else the part around `pos`.
  std::string excerpt(std::size_t pos) const {
    constexpr std::size_t whole = 80;
    constexpr std::size_t before = 30;
    constexpr std::size_t width = 60;
    if (text_.size() <= whole) return text_;
    const std::size_t begin = std::min(pos > before ? pos - before : 0, text_.size() - width);
    std::string out = begin > 0 ? "..." : "";
    out += text_.substr(begin, width);
    if (begin + width < text_.size()) out += "...";
    return out;
  }

  /// Throws `expression "<text>": <what> at column <pos + 1><tail>`.
  [[noreturn]] void fail(std::size_t pos, const std::string& what, const std::string& tail = "") const {
    throw GraderError("expression \"" + excerpt(pos) + "\": " + what + " at column " + std::to_string(pos + 1) + tail);
  }

  [[noreturn]] void fail_no_column(const std::string& what) const {
    throw GraderError("expression \"" + excerpt(0) + "\": " + what);
  }

  std::string lexeme(const Token& t) const { return text_.substr(t.pos, t.len); }

  std::string found(const Token& t) const {
    if (t.kind == TokenKind::end) return " (found the end of the expression)";
    return " (found \"" + lexeme(t) + "\")";
  }

  /// A piece of the text for a message, shortened when long.
  std::string snippet(std::size_t begin, std::size_t end) const {
    constexpr std::size_t width = 40;
    if (end - begin <= width) return text_.substr(begin, end - begin);
    return text_.substr(begin, width) + "...";
  }

  // ---- variables

  void validate_variable_names() {
    for (std::size_t i = 0; i < explicit_names_.size(); ++i) {
      const std::string& name = explicit_names_[i];
      if (!is_identifier(name)) {
        fail_no_column("variable name \"" + name + "\" is not an identifier (letters, digits and _, not starting with a digit)");
      }
      if (find_function(name) != nullptr) {
        fail_no_column("variable name \"" + name + "\" is the name of a function; choose another");
      }
      if (!index_of_.emplace(name, i).second) fail_no_column("variable name \"" + name + "\" is listed twice");
    }
  }

  static bool is_numbered_variable(const std::string& name) {
    return name.size() >= 2 && name[0] == 'x' && name[1] >= '1' && name[1] <= '9' &&
           name.find_first_not_of("0123456789", 1) == std::string::npos;
  }

  bool is_variable_name(const std::string& name) const {
    return explicit_names_.empty() ? is_numbered_variable(name) : index_of_.count(name) > 0;
  }

  /// The 0-based index of variable `name` (a token at `pos`), or a GraderError.
  std::int32_t resolve_variable(const std::string& name, std::size_t pos) {
    if (!explicit_names_.empty()) {
      const auto it = index_of_.find(name);
      if (it == index_of_.end()) {
        fail(pos, "unknown variable \"" + name + "\"", " (variables: " + join_names(explicit_names_) + ")");
      }
      return static_cast<std::int32_t>(it->second);
    }
    if (!is_numbered_variable(name)) fail(pos, "unknown variable \"" + name + "\"", " (variables: x1, x2, x3, ...)");
    std::size_t index = 0;
    const auto result = std::from_chars(name.data() + 1, name.data() + name.size(), index);
    if (result.ec != std::errc() || index > max_auto_variables) {
      fail(pos, "variable \"" + name + "\"", " is beyond x" + std::to_string(max_auto_variables));
    }
    auto_arity_ = std::max(auto_arity_, index);
    return static_cast<std::int32_t>(index - 1);
  }

  // ---- lexer

  void lex() {
    std::size_t i = 0;
    const std::size_t n = text_.size();
    while (true) {
      while (i < n && is_space(text_[i])) ++i;
      if (i == n) break;
      const char c = text_[i];
      if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(text_[i + 1]))) {
        i = lex_number(i);
        continue;
      }
      if (is_identifier_start(c)) {
        std::size_t j = i;
        while (j < n && is_identifier_char(text_[j])) ++j;
        tokens_.push_back({TokenKind::identifier, i, j - i, 0.0});
        i = j;
        continue;
      }
      TokenKind kind = TokenKind::end;
      std::size_t len = 1;
      switch (c) {
        case '+': kind = TokenKind::plus; break;
        case '-': kind = TokenKind::minus; break;
        case '*':
          kind = TokenKind::star;
          if (i + 1 < n && text_[i + 1] == '*') {
            kind = TokenKind::caret;
            len = 2;
          }
          break;
        case '/': kind = TokenKind::slash; break;
        case '^': kind = TokenKind::caret; break;
        case '(': kind = TokenKind::lparen; break;
        case ')': kind = TokenKind::rparen; break;
        case ',': kind = TokenKind::comma; break;
        default:
          fail(i, "unexpected character \"" + printable(c) + "\"",
               " (expected a number, a variable, a function call or one of + - * / ^ ( ) ,)");
      }
      tokens_.push_back({kind, i, len, 0.0});
      i += len;
    }
    tokens_.push_back({TokenKind::end, n, 0, 0.0});
  }

  /// Lexes the number starting at `begin`; returns the offset after it.
  std::size_t lex_number(std::size_t begin) {
    const std::size_t n = text_.size();
    std::size_t i = begin;
    while (i < n && is_digit(text_[i])) ++i;
    if (i < n && text_[i] == '.') {
      ++i;
      while (i < n && is_digit(text_[i])) ++i;
    }
    if (i < n && (text_[i] == 'e' || text_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < n && (text_[j] == '+' || text_[j] == '-')) ++j;
      if (j == n || !is_digit(text_[j])) {
        fail(j, "expected the digits of the exponent of \"" + text_.substr(begin, j - begin) + "\"");
      }
      while (j < n && is_digit(text_[j])) ++j;
      i = j;
    }
    double value = 0.0;
    // from_chars, unlike strtod, ignores the locale: "2.5" means 2.5 everywhere.
    const auto result = std::from_chars(text_.data() + begin, text_.data() + i, value);
    if (result.ec != std::errc() || result.ptr != text_.data() + i || !std::isfinite(value)) {
      fail(begin, "number \"" + text_.substr(begin, i - begin) + "\"", " is out of the range of a double");
    }
    tokens_.push_back({TokenKind::number, begin, i - begin, value});
    return i;
  }

  const Token& peek() const { return tokens_[next_]; }
  const Token& take() { return tokens_[next_++]; }

  // ---- node emission with constant folding
  //
  // Invariant: a constant subexpression is always exactly one constant node,
  // and it is the last node emitted when its operand is complete. So folding
  // only ever rewrites the last one or two nodes.

  // Every node that depends on a variable is made once: a repeated
  // subexpression (`exp(x1*x2) * (1 + exp(x1*x2))`, and `x1` in `x1 * x1`) is
  // one node, computed once and used twice, as a person writing the function
  // by hand would keep it in a variable. So the graph a submission records has
  // shared interior nodes, not only shared inputs, and a backward sweep that
  // mishandles a node with several consumers shows. Constants are never
  // shared (the folding invariant below needs each to be the last node
  // emitted); as operands they are compared by value.
  std::int32_t push(const ExprNode& node) {
    if (node.op != ExprOp::constant) {
      const auto [it, inserted] = made_.try_emplace(key_of(node), static_cast<std::int32_t>(nodes_.size()));
      if (!inserted) return it->second;
    }
    nodes_.push_back(node);
    return static_cast<std::int32_t>(nodes_.size() - 1);
  }

  /// What makes two non-constant nodes the same: the operation, the variable,
  /// and each operand (a constant by its value's bits, any other by its node).
  using NodeKey = std::tuple<int, int, std::uint64_t, int, std::uint64_t, std::int32_t>;
  NodeKey key_of(const ExprNode& node) const {
    const auto operand = [&](std::int32_t i) -> std::pair<int, std::uint64_t> {
      if (i < 0) return {0, 0};
      const ExprNode& o = nodes_[static_cast<std::size_t>(i)];
      if (o.op == ExprOp::constant) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &o.value, sizeof bits);
        return {1, bits};
      }
      return {2, static_cast<std::uint64_t>(i)};
    };
    const auto [ak, av] = operand(node.a);
    const auto [bk, bv] = operand(node.b);
    return {static_cast<int>(node.op), ak, av, bk, bv, node.var};
  }

  bool is_constant(const Operand& o) const { return nodes_[static_cast<std::size_t>(o.node)].op == ExprOp::constant; }

  void check_finite(double v, const Operand& where) const {
    if (!std::isfinite(v)) {
      fail(where.begin, "the constant \"" + snippet(where.begin, where.end) + "\"",
           " evaluates to " + format_double(v) + " (a constant must be finite)");
    }
  }

  Operand constant(double value, std::size_t begin, std::size_t end) {
    ExprNode node;
    node.value = value;
    return {push(node), begin, end};
  }

  Operand variable(std::int32_t index, std::size_t begin, std::size_t end) {
    ExprNode node;
    node.op = ExprOp::variable;
    node.var = index;
    return {push(node), begin, end};
  }

  Operand unary(ExprOp op, const Operand& x, std::size_t begin, std::size_t end) {
    const Operand result{x.node, begin, end};
    if (is_constant(x)) {
      assert(static_cast<std::size_t>(x.node) + 1 == nodes_.size());
      const double v = detail::apply_unary(op, nodes_.back().value);
      check_finite(v, result);
      nodes_.back().value = v;
      return result;
    }
    ExprNode node;
    node.op = op;
    node.a = x.node;
    return {push(node), begin, end};
  }

  Operand binary(ExprOp op, const Operand& a, const Operand& b, std::size_t op_pos) {
    const Operand result{a.node, a.begin, b.end};
    if (is_constant(a) && is_constant(b)) {
      assert(static_cast<std::size_t>(b.node) + 1 == nodes_.size() && a.node + 1 == b.node);
      const double v = detail::combine_vv(op, nodes_[static_cast<std::size_t>(a.node)].value, nodes_.back().value);
      check_finite(v, result);
      nodes_.pop_back();
      nodes_.back().value = v;
      return result;
    }
    if (op == ExprOp::pow && is_constant(a)) {
      const double base = nodes_[static_cast<std::size_t>(a.node)].value;
      if (!(base > 0.0)) {
        fail(a.begin, "the base \"" + snippet(a.begin, a.end) + "\" (= " + format_double(base) + ") of the power at column " +
                          std::to_string(op_pos + 1) + " must be > 0 because its exponent depends on a variable",
             " (c^x is evaluated as exp(x*log(c)))");
      }
    }
    ExprNode node;
    node.op = op;
    node.a = a.node;
    node.b = b.node;
    return {push(node), a.begin, b.end};
  }

  // ---- recursive descent; every level of nesting passes through parse_unary,
  // which enforces max_depth so that hostile input cannot overflow the stack.

  Operand parse_sum(std::size_t depth) {
    Operand left = parse_product(depth);
    while (peek().kind == TokenKind::plus || peek().kind == TokenKind::minus) {
      const Token& op = take();
      const Operand right = parse_product(depth);
      left = binary(op.kind == TokenKind::plus ? ExprOp::add : ExprOp::sub, left, right, op.pos);
    }
    return left;
  }

  Operand parse_product(std::size_t depth) {
    Operand left = parse_unary(depth);
    while (peek().kind == TokenKind::star || peek().kind == TokenKind::slash) {
      const Token& op = take();
      const Operand right = parse_unary(depth);
      left = binary(op.kind == TokenKind::star ? ExprOp::mul : ExprOp::div, left, right, op.pos);
    }
    return left;
  }

  Operand parse_unary(std::size_t depth) {
    if (depth > Expression::max_depth) {
      fail(peek().pos, "nesting deeper than " + std::to_string(Expression::max_depth) + " levels",
           " (parentheses, calls, unary minus and chained ^ each add a level)");
    }
    if (peek().kind == TokenKind::minus) {
      const Token& minus = take();
      const Operand x = parse_unary(depth + 1);
      return unary(ExprOp::neg, x, minus.pos, x.end);
    }
    return parse_power(depth);
  }

  Operand parse_power(std::size_t depth) {
    const Operand base = parse_primary(depth);
    if (peek().kind != TokenKind::caret) return base;
    const Token& op = take();
    const Operand exponent = parse_unary(depth + 1);  // right-associative: 2^3^2 = 2^(3^2)
    return binary(ExprOp::pow, base, exponent, op.pos);
  }

  Operand parse_primary(std::size_t depth) {
    const Token& t = take();
    switch (t.kind) {
      case TokenKind::number:
        return constant(t.number, t.pos, t.pos + t.len);
      case TokenKind::identifier:
        return parse_identifier(t, depth);
      case TokenKind::lparen: {
        const Operand inner = parse_sum(depth + 1);
        const Token& close = take();
        if (close.kind != TokenKind::rparen) {
          fail(close.pos, "expected \")\"", " to close the \"(\" at column " + std::to_string(t.pos + 1) + found(close));
        }
        return {inner.node, t.pos, close.pos + close.len};
      }
      default:
        fail(t.pos, "expected an operand", " (a number, a variable, a function call or \"(\")" + found(t));
    }
  }

  Operand parse_identifier(const Token& name_token, std::size_t depth) {
    const std::string name = lexeme(name_token);
    const FunctionInfo* function = find_function(name);
    if (peek().kind == TokenKind::lparen) {
      if (function != nullptr) return parse_call(*function, name_token, depth);
      if (is_variable_name(name)) {
        fail(peek().pos, "expected an operator after the variable \"" + name + "\"", found(peek()));
      }
      fail(name_token.pos, "unknown function \"" + name + "\"", " (known: " + known_functions() + ")");
    }
    if (function != nullptr) {
      fail(peek().pos, "expected \"(\" after the function name \"" + name + "\"", found(peek()));
    }
    return variable(resolve_variable(name, name_token.pos), name_token.pos, name_token.pos + name_token.len);
  }

  Operand parse_call(const FunctionInfo& function, const Token& name_token, std::size_t depth) {
    const std::string arguments = function.arguments == 1 ? "1 argument" : std::to_string(function.arguments) + " arguments";
    const std::string takes = " (" + std::string(function.name) + " takes " + arguments + ")";
    take();  // "("
    const Operand first = parse_sum(depth + 1);
    Operand second = first;
    if (function.arguments == 2) {
      const Token& comma = take();
      if (comma.kind != TokenKind::comma) fail(comma.pos, "expected \",\"", takes + found(comma));
      second = parse_sum(depth + 1);
    }
    const Token& close = take();
    if (close.kind != TokenKind::rparen) fail(close.pos, "expected \")\"", takes + found(close));
    const std::size_t end = close.pos + close.len;
    if (function.arguments == 2) {
      Operand call = binary(function.op, first, second, name_token.pos);
      call.begin = name_token.pos;
      call.end = end;
      return call;
    }
    return unary(function.op, first, name_token.pos, end);
  }

  const std::string& text_;
  const std::vector<std::string>& explicit_names_;
  std::unordered_map<std::string, std::size_t> index_of_;
  std::size_t auto_arity_ = 0;
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  std::vector<ExprNode> nodes_;
  std::map<NodeKey, std::int32_t> made_;  ///< each non-constant node made so far, by what it computes
  std::vector<std::string> names_;
};

}  // namespace

Expression::Expression() : text_("0"), nodes_{ExprNode{}}, slots_{-1} {}

Expression Expression::parse(const std::string& text, const std::vector<std::string>& variables) {
  Parser parser(text, variables);
  parser.run();
  Expression e;
  e.text_ = text;
  e.variable_names_ = std::move(parser.variable_names());
  e.nodes_ = std::move(parser.nodes());
  e.slots_.assign(e.nodes_.size(), -1);
  e.slot_count_ = 0;
  for (std::size_t i = 0; i < e.nodes_.size(); ++i) {
    if (e.nodes_[i].op != ExprOp::constant) e.slots_[i] = static_cast<std::int32_t>(e.slot_count_++);
  }
  return e;
}

std::vector<ExprOp> Expression::operations() const {
  constexpr std::size_t count = static_cast<std::size_t>(ExprOp::relu) + 1;
  std::array<bool, count> used{};
  for (const ExprNode& n : nodes_) used[static_cast<std::size_t>(n.op)] = true;
  std::vector<ExprOp> out;
  for (std::size_t i = 0; i < count; ++i) {
    const auto op = static_cast<ExprOp>(i);
    if (used[i] && op != ExprOp::constant && op != ExprOp::variable) out.push_back(op);
  }
  return out;
}

namespace detail {

std::string arity_mismatch_message(const Expression& expression, std::size_t got) {
  std::string names = join_names(expression.variable_names());
  if (names.empty()) names = "none";
  constexpr std::size_t width = 80;
  const std::string& text = expression.text();
  const std::string quoted = text.size() <= width ? text : text.substr(0, width) + "...";
  return "expression \"" + quoted + "\": expected " + std::to_string(expression.arity()) +
         " values (variables: " + names + "), got " + std::to_string(got);
}

}  // namespace detail

}  // namespace grader
