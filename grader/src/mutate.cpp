// Mutation testing of the problem set (see grader/mutate.hpp).
#include "grader/mutate.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "grader/assign.hpp"
#include "grader/error.hpp"
#include "grader/fsutil.hpp"
#include "grader/grade.hpp"
#include "grader/plan.hpp"
#include "grader/protocol.hpp"
#include "grader/spec.hpp"
#include "mistakes.hpp"

namespace grader {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------- text helpers

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && blank(s[b])) ++b;
  while (e > b && blank(s[e - 1])) --e;
  return s.substr(b, e - b);
}

/// Collapses runs of blanks to one space (for summaries).
std::string squeeze(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (blank(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

/// `text` with comments, string and character literals blanked (same length),
/// so that code scans never see a `+=` in a comment.
std::string mask(const std::string& text) {
  std::string m = text;
  std::size_t i = 0;
  while (i < m.size()) {
    if (m.compare(i, 2, "//") == 0) {
      while (i < m.size() && m[i] != '\n') m[i++] = ' ';
    } else if (m.compare(i, 2, "/*") == 0) {
      while (i < m.size() && m.compare(i, 2, "*/") != 0) {
        if (m[i] != '\n') m[i] = ' ';
        ++i;
      }
      for (int k = 0; k < 2 && i < m.size(); ++k) m[i++] = ' ';
    } else if (m[i] == '"' || m[i] == '\'') {
      const char q = m[i];
      m[i++] = ' ';
      while (i < m.size() && m[i] != q && m[i] != '\n') {
        if (m[i] == '\\' && i + 1 < m.size()) m[i++] = ' ';
        m[i++] = ' ';
      }
      if (i < m.size()) m[i++] = ' ';
    } else {
      ++i;
    }
  }
  return m;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// ---------------------------------------------------------------- signatures

/// A function definition's first line, taken apart.
struct Signature {
  std::string return_type;               ///< e.g. "Dual", "void", "NetGradient"
  std::string name;                      ///< e.g. "operator*", "Tape::backward", "sin"
  std::vector<std::string> param_types;  ///< e.g. {"Dual", "double"}
};

Signature parse_signature(const std::string& line) {
  Signature s;
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return s;
  std::string head = trim(line.substr(0, open));
  // The name is the last token of the head (operator names end with their symbol).
  std::size_t name_at = head.rfind(' ');
  const auto op_at = head.find("operator");
  if (op_at != std::string::npos) {
    std::size_t start = op_at;
    while (start > 0 && (ident_char(head[start - 1]) || head[start - 1] == ':')) --start;
    name_at = start == 0 ? std::string::npos : start - 1;
  }
  s.name = trim(name_at == std::string::npos ? head : head.substr(name_at + 1));
  s.return_type = name_at == std::string::npos ? "" : trim(head.substr(0, name_at));
  std::string params = line.substr(open + 1, close - open - 1);
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i <= params.size(); ++i) {
    if (i < params.size() && (params[i] == '<' || params[i] == '(')) ++depth;
    if (i < params.size() && (params[i] == '>' || params[i] == ')')) --depth;
    if (i == params.size() || (params[i] == ',' && depth == 0)) {
      std::string p = trim(params.substr(start, i - start));
      start = i + 1;
      if (p.empty()) continue;
      // Drop the parameter's name: the trailing identifier after the type.
      std::size_t e = p.size();
      while (e > 0 && ident_char(p[e - 1])) --e;
      std::string type = trim(p.substr(0, e));
      if (type.empty()) type = p;
      if (type.rfind("const ", 0) == 0) type = trim(type.substr(6));
      type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
      s.param_types.push_back(type);
    }
  }
  return s;
}

/// "sin(Dual)", "operator*(Dual,double)": a short name without spaces, for ids.
std::string short_name(const Signature& s) {
  std::string out = s.name + "(";
  for (std::size_t i = 0; i < s.param_types.size(); ++i) out += (i ? "," : "") + s.param_types[i];
  return out + ")";
}

/// What a rule region implements, from its function's signature.
struct RuleInfo {
  bool forward = false;  ///< a Dual rule
  bool reverse = false;  ///< a Var rule
  mistakes::OpUse use;
  bool known = false;    ///< the operation is one of the expression language's
};

RuleInfo rule_info(const Signature& s) {
  RuleInfo r;
  r.forward = s.return_type == "Dual";
  r.reverse = s.return_type == "Var";
  if (!r.forward && !r.reverse) return r;
  const std::string t = r.forward ? "Dual" : "Var";
  std::string name = s.name;
  static const std::map<std::string, ExprOp> names = {
      {"operator+", ExprOp::add}, {"operator-", ExprOp::sub}, {"operator*", ExprOp::mul}, {"operator/", ExprOp::div},
      {"sin", ExprOp::sin},       {"cos", ExprOp::cos},       {"tan", ExprOp::tan},       {"exp", ExprOp::exp},
      {"log", ExprOp::log},       {"sqrt", ExprOp::sqrt},     {"pow", ExprOp::pow},       {"abs", ExprOp::abs},
      {"tanh", ExprOp::tanh},     {"relu", ExprOp::relu}};
  const auto it = names.find(name);
  if (it == names.end()) return r;
  r.use.op = it->second;
  const auto& p = s.param_types;
  if (p.size() == 1) {
    r.use.form = mistakes::Form::unary;
    if (r.use.op == ExprOp::sub) r.use.op = ExprOp::neg;
  } else if (p.size() == 2) {
    r.use.form = p[0] == t && p[1] == t ? mistakes::Form::vv : (p[0] == t ? mistakes::Form::vc : mistakes::Form::cv);
  } else {
    return r;
  }
  r.known = true;
  return r;
}

// ---------------------------------------------------------------- a small C++ expression parser

/// A node of a parsed C++ expression, with its span in the file's text.
struct Node {
  enum class Kind { atom, paren, neg, sum, product, ternary, other };
  Kind kind = Kind::atom;
  std::size_t b = 0, e = 0;        ///< [b, e) in the file
  std::vector<Node> kids;
  std::vector<char> ops;           ///< sum/product: the operator before kid k (ops[0] = 0)
  std::vector<std::size_t> op_at;  ///< and where it is
};

struct ParseFailure {};

/// Recursive descent over the masked text; spans are offsets into it (and so into the original).
class Parser {
 public:
  Parser(const std::string& masked, std::size_t begin, std::size_t end) : s_(masked), pos_(begin), end_(end) {}

  /// The whole of [begin, end) as one expression; throws ParseFailure otherwise.
  Node parse_all() {
    Node n = expr();
    skip();
    if (pos_ != end_) throw ParseFailure{};
    return n;
  }
  /// Comparison operators met: where, and which ("<", ">").
  const std::vector<std::pair<std::size_t, std::string>>& comparisons() const { return comparisons_; }

 private:
  void skip() {
    while (pos_ < end_ && blank(s_[pos_])) ++pos_;
  }
  bool at(const char* t) {
    skip();
    const std::size_t n = std::char_traits<char>::length(t);
    return pos_ + n <= end_ && s_.compare(pos_, n, t) == 0;
  }
  char peek() {
    skip();
    return pos_ < end_ ? s_[pos_] : '\0';
  }
  void expect(char c) {
    if (peek() != c) throw ParseFailure{};
    ++pos_;
  }

  Node expr() {
    skip();
    const std::size_t b = pos_;
    Node cond = logical();
    if (peek() != '?') return cond;
    ++pos_;
    Node a = expr();
    expect(':');
    Node c = expr();
    Node t;
    t.kind = Node::Kind::ternary;
    t.b = b;
    t.e = c.e;
    t.kids = {cond, a, c};
    return t;
  }
  Node logical() {
    Node first = compare();
    while (at("&&") || at("||")) {
      pos_ += 2;
      Node next = compare();
      first = other(first.b, next.e);
    }
    return first;
  }
  Node compare() {
    Node first = additive();
    for (const char* op : {"==", "!=", "<=", ">="}) {
      if (at(op)) {
        pos_ += 2;
        Node next = additive();
        return other(first.b, next.e);
      }
    }
    if ((peek() == '<' || peek() == '>') && !at("<<") && !at(">>")) {
      comparisons_.push_back({pos_, std::string(1, s_[pos_])});
      ++pos_;
      Node next = additive();
      return other(first.b, next.e);
    }
    return first;
  }
  Node chain(Node::Kind kind, char op1, char op2, Node (Parser::*next)()) {
    Node first = (this->*next)();
    Node c;
    c.kind = kind;
    c.b = first.b;
    c.kids.push_back(first);
    c.ops.push_back(0);
    c.op_at.push_back(0);
    for (;;) {
      const char p = peek();
      if (p != op1 && p != op2) break;
      // Not an assignment, an increment or an arrow.
      if (pos_ + 1 < end_ && (s_[pos_ + 1] == '=' || s_[pos_ + 1] == p || s_[pos_ + 1] == '>')) break;
      c.ops.push_back(p);
      c.op_at.push_back(pos_);
      ++pos_;
      c.kids.push_back((this->*next)());
    }
    if (c.kids.size() == 1) return first;
    c.e = c.kids.back().e;
    return c;
  }
  Node additive() { return chain(Node::Kind::sum, '+', '-', &Parser::multiplicative); }
  Node multiplicative() { return chain(Node::Kind::product, '*', '/', &Parser::unary); }
  Node unary() {
    skip();
    const std::size_t b = pos_;
    if (peek() == '-' && !at("--")) {
      ++pos_;
      Node k = unary();
      Node n;
      n.kind = Node::Kind::neg;
      n.b = b;
      n.e = k.e;
      n.kids = {k};
      return n;
    }
    if (peek() == '!' || (peek() == '+' && !at("++"))) {
      ++pos_;
      Node k = unary();
      return other(b, k.e);
    }
    return postfix();
  }
  void balanced(char open, char close) {
    int depth = 0;
    while (pos_ < end_) {
      const char c = s_[pos_++];
      if (c == open) ++depth;
      if (c == close && --depth == 0) return;
    }
    throw ParseFailure{};
  }
  Node postfix() {
    skip();
    const std::size_t b = pos_;
    Node n = primary();
    bool more = true;
    while (more) {
      const char p = peek();
      if (p == '(') {
        balanced('(', ')');
      } else if (p == '[') {
        balanced('[', ']');
      } else if (p == '.' && !(pos_ + 1 < end_ && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
        ++pos_;
        identifier();
      } else if (at("->")) {
        pos_ += 2;
        identifier();
      } else {
        more = false;
        continue;
      }
      n.kind = Node::Kind::atom;
      n.kids.clear();
    }
    n.b = b;
    n.e = pos_;
    while (n.e > n.b && blank(s_[n.e - 1])) --n.e;  // peek() skipped what follows
    return n;
  }
  void identifier() {
    skip();
    const std::size_t b = pos_;
    while (pos_ < end_ && (ident_char(s_[pos_]) || (s_[pos_] == ':' && pos_ + 1 < end_ && s_[pos_ + 1] == ':'))) {
      pos_ += s_[pos_] == ':' ? 2 : 1;
    }
    if (pos_ == b) throw ParseFailure{};
    const std::string name = s_.substr(b, pos_ - b);
    if (name.find("_cast") != std::string::npos && peek() == '<') balanced('<', '>');
  }
  Node primary() {
    skip();
    Node n;
    n.b = pos_;
    const char p = peek();
    if (p == '(') {
      ++pos_;
      Node k = expr();
      expect(')');
      n.kind = Node::Kind::paren;
      n.kids = {k};
    } else if (p == '{') {
      balanced('{', '}');
    } else if (std::isdigit(static_cast<unsigned char>(p)) || p == '.') {
      while (pos_ < end_ && (ident_char(s_[pos_]) || s_[pos_] == '.' ||
                             ((s_[pos_] == '-' || s_[pos_] == '+') && (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E'))))
        ++pos_;
    } else {
      identifier();
    }
    n.e = pos_;
    return n;
  }
  Node other(std::size_t b, std::size_t e) {
    Node n;
    n.kind = Node::Kind::other;
    n.b = b;
    n.e = e;
    return n;
  }

  const std::string& s_;
  std::size_t pos_, end_;
  std::vector<std::pair<std::size_t, std::string>> comparisons_;
};

/// A canonical text of an expression: commutative chains sorted, so that an
/// edit that only reorders them is recognised as no change.
std::string canonical(const Node& n, const std::string& text) {
  switch (n.kind) {
    case Node::Kind::paren: return canonical(n.kids[0], text);
    case Node::Kind::neg: return "-(" + canonical(n.kids[0], text) + ")";
    case Node::Kind::sum: {
      std::vector<std::string> terms;
      for (std::size_t k = 0; k < n.kids.size(); ++k)
        terms.push_back(std::string(n.ops[k] == '-' ? "-" : "+") + canonical(n.kids[k], text));
      std::sort(terms.begin(), terms.end());
      std::string out = "S(";
      for (const auto& t : terms) out += t + ";";
      return out + ")";
    }
    case Node::Kind::product: {
      const bool all_times = std::all_of(n.ops.begin() + 1, n.ops.end(), [](char c) { return c == '*'; });
      std::vector<std::string> factors;
      for (std::size_t k = 0; k < n.kids.size(); ++k)
        factors.push_back(std::string(k ? std::string(1, n.ops[k]) : "") + canonical(n.kids[k], text));
      if (all_times) {
        for (auto& f : factors)
          if (!f.empty() && f[0] == '*') f.erase(0, 1);
        std::sort(factors.begin(), factors.end());
      }
      std::string out = "P(";
      for (const auto& f : factors) out += f + ";";
      return out + ")";
    }
    default: {
      std::string t = text.substr(n.b, n.e - n.b);
      t.erase(std::remove_if(t.begin(), t.end(), blank), t.end());
      return t;
    }
  }
}

// ---------------------------------------------------------------- the mutants of a region

/// One edit of a file.
struct Edit {
  std::size_t offset = 0, length = 0;
  std::string replacement;
};

/// Collects the mutants of one region.
class RegionMutants {
 public:
  RegionMutants(const std::string& text, const std::string& masked, const SolutionRegion& region,
                std::vector<Mutant>& out)
      : text_(text), masked_(masked), region_(region), out_(out), sig_(parse_signature(region.signature)) {
    prefix_ = fs::path(region.file).filename().string() + "/" + short_name(sig_) + "/";
  }

  void add(MutantClass kind, const std::string& tag, const Edit& e, std::string summary = "") {
    if (text_.compare(e.offset, e.length, e.replacement) == 0) return;  // no change
    const std::string mutated = text_.substr(0, e.offset) + e.replacement + text_.substr(e.offset + e.length);
    const std::string body =
        mutated.substr(region_.begin, region_.end - region_.begin + e.replacement.size() - e.length);
    if (!bodies_.insert(body).second) return;  // the same mutant by another operator
    Mutant m;
    m.id = prefix_ + tag;
    for (int k = 2; ids_.count(m.id) != 0; ++k) m.id = prefix_ + tag + "." + std::to_string(k);
    ids_.insert(m.id);
    m.kind = kind;
    m.file = region_.file;
    m.region = region_.description;
    m.signature = trim(region_.signature);
    if (summary.empty()) {
      // The mutated line(s), squeezed.
      std::size_t b = mutated.rfind('\n', e.offset);
      b = b == std::string::npos ? 0 : b + 1;
      std::size_t end = mutated.find('\n', e.offset + e.replacement.size());
      if (end == std::string::npos) end = mutated.size();
      summary = squeeze(mutated.substr(b, end - b));
      if (summary.size() > 110) summary = summary.substr(0, 107) + "...";
    }
    m.summary = summary;
    m.offset = e.offset;
    m.length = e.length;
    m.replacement = e.replacement;
    m.original = text_.substr(e.offset, e.length);
    out_.push_back(std::move(m));
  }

  /// The expression operators on one derivative site [b, e).
  void site(std::size_t b, std::size_t e, const std::string& where) {
    Node root;
    try {
      Parser p(masked_, b, e);
      root = p.parse_all();
      for (const auto& [at, op] : p.comparisons()) boundary(at, op, where);
    } catch (const ParseFailure&) {
      return;  // not an expression this parser knows: no expression mutants here
    }
    const std::string t = text_.substr(root.b, root.e - root.b);
    add(MutantClass::sign, where + "sign", {root.b, root.e - root.b, "-(" + t + ")"});
    add(MutantClass::factor, where + "extra-factor", {root.b, root.e - root.b, "2.0 * (" + t + ")"});
    walk(root, where);
  }

  /// `>` → `>=`, `<` → `<=`: the other side at a kink.
  void boundary(std::size_t at, const std::string& op, const std::string& where) {
    add(MutantClass::kink, where + "boundary", {at, 1, op + "="});
  }

  /// Dropped factors, dropped and negated terms, everywhere in a derivative
  /// expression except inside calls (whose arguments are not its factors).
  void walk(const Node& n, const std::string& where) {
    switch (n.kind) {
      case Node::Kind::paren:
      case Node::Kind::neg: walk(n.kids[0], where); break;
      case Node::Kind::ternary:
        walk(n.kids[1], where);
        walk(n.kids[2], where);
        break;
      case Node::Kind::product:
        for (std::size_t k = 0; k < n.kids.size(); ++k) {
          Edit e;
          if (k > 0) {
            e = {n.kids[k - 1].e, n.kids[k].e - n.kids[k - 1].e, ""};
          } else if (n.ops[1] == '*') {
            e = {n.b, n.kids[1].b - n.b, ""};
          } else {
            e = {n.kids[0].b, n.kids[0].e - n.kids[0].b, "1.0"};
          }
          add(MutantClass::factor, where + "drop-factor", e);
          walk(n.kids[k], where);
        }
        break;
      case Node::Kind::sum:
        for (std::size_t k = 0; k < n.kids.size(); ++k) {
          if (k > 0) {
            add(MutantClass::term, where + "drop-term", {n.kids[k - 1].e, n.kids[k].e - n.kids[k - 1].e, ""});
            add(MutantClass::sign, where + "flip-term", {n.op_at[k], 1, n.ops[k] == '+' ? "-" : "+"});
          } else {
            // The first term and the operator after it ("a + b" → "b"; "a - b" → "-b").
            const std::size_t cut = n.ops[1] == '+' ? n.kids[1].b : n.op_at[1];
            add(MutantClass::term, where + "drop-term", {n.b, cut - n.b, ""});
            const std::string t = text_.substr(n.kids[0].b, n.kids[0].e - n.kids[0].b);
            add(MutantClass::sign, where + "flip-term", {n.kids[0].b, n.kids[0].e - n.kids[0].b, "-(" + t + ")"});
          }
          walk(n.kids[k], where);
        }
        break;
      default: break;
    }
  }

  /// `X += E;` and `X -= E;` statements of a region that is not a rule.
  void update_statements() {
    for (std::size_t i = region_.begin; i + 1 < region_.end; ++i) {
      if ((masked_[i] != '+' && masked_[i] != '-') || masked_[i + 1] != '=') continue;
      if (i > 0 && (masked_[i - 1] == '+' || masked_[i - 1] == '-' || masked_[i - 1] == '<' || masked_[i - 1] == '>'))
        continue;
      const std::size_t semi = masked_.find(';', i);
      if (semi == std::string::npos || semi > region_.end) continue;
      std::size_t rhs = i + 2;
      while (rhs < semi && blank(masked_[rhs])) ++rhs;
      const std::string where = "update" + std::to_string(++updates_) + "-";
      const bool plus = masked_[i] == '+';
      add(MutantClass::accumulation, where + "assign", {i, 2, "="});
      add(MutantClass::sign, where + "sign", {i, 1, plus ? "-" : "+"});
      const std::string e = text_.substr(rhs, semi - rhs);
      add(MutantClass::factor, where + "extra-factor", {rhs, semi - rhs, "2.0 * (" + e + ")"});
      try {
        Parser p(masked_, rhs, semi);
        const Node root = p.parse_all();
        if (root.kind == Node::Kind::product) walk_top_product(root, where);
      } catch (const ParseFailure&) {
      }
    }
  }

  /// Dropped factors of a statement's right side (its top-level product only).
  void walk_top_product(const Node& n, const std::string& where) {
    for (std::size_t k = 0; k < n.kids.size(); ++k) {
      Edit e;
      if (k > 0) e = {n.kids[k - 1].e, n.kids[k].e - n.kids[k - 1].e, ""};
      else if (n.ops[1] == '*') e = {n.b, n.kids[1].b - n.b, ""};
      else e = {n.kids[0].b, n.kids[0].e - n.kids[0].b, "1.0"};
      add(MutantClass::factor, where + "drop-factor", e);
    }
  }

  /// The whole body replaced (catalogue mutants and wrong functions).
  void body(MutantClass kind, const std::string& tag, const std::string& code, const std::string& summary) {
    add(kind, tag, {region_.begin, region_.end - region_.begin, code}, summary);
  }

  /// `find` (in the region's code) replaced by `replacement`; nothing when absent.
  void find_replace(MutantClass kind, const std::string& tag, const std::string& find, const std::string& replacement,
                    const std::string& summary = "") {
    const std::size_t at = masked_.find(find, region_.begin);
    if (at == std::string::npos || at + find.size() > region_.end) return;
    add(kind, tag, {at, find.size(), replacement}, summary);
  }

  const Signature& signature() const { return sig_; }
  const std::string& text() const { return text_; }
  const std::string& masked() const { return masked_; }
  const SolutionRegion& region() const { return region_; }

 private:
  const std::string& text_;
  const std::string& masked_;
  const SolutionRegion& region_;
  std::vector<Mutant>& out_;
  Signature sig_;
  std::string prefix_;
  std::set<std::string> bodies_;
  std::set<std::string> ids_;
  int updates_ = 0;
};

/// The end of the statement or braced list that starts at `from` (the matching `;`).
std::size_t statement_end(const std::string& m, std::size_t from, std::size_t limit) {
  int depth = 0;
  for (std::size_t i = from; i < limit; ++i) {
    const char c = m[i];
    if (c == '(' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '}' || c == ']') --depth;
    if (c == ';' && depth == 0) return i;
  }
  return std::string::npos;
}

/// Splits [b, e) at its top-level commas.
std::vector<std::pair<std::size_t, std::size_t>> split_args(const std::string& m, std::size_t b, std::size_t e) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  int depth = 0;
  std::size_t start = b;
  for (std::size_t i = b; i <= e; ++i) {
    if (i < e && (m[i] == '(' || m[i] == '{' || m[i] == '[')) ++depth;
    if (i < e && (m[i] == ')' || m[i] == '}' || m[i] == ']')) --depth;
    if (i == e || (m[i] == ',' && depth == 0)) {
      std::size_t s = start, t = i;
      while (s < t && blank(m[s])) ++s;
      while (t > s && blank(m[t - 1])) --t;
      out.push_back({s, t});
      start = i + 1;
    }
  }
  return out;
}

/// Is `name` used as a whole identifier in [b, e)?
bool uses(const std::string& m, std::size_t b, std::size_t e, const std::string& name) {
  for (std::size_t at = m.find(name, b); at != std::string::npos && at + name.size() <= e; at = m.find(name, at + 1)) {
    const bool left = at == 0 || !ident_char(m[at - 1]);
    const bool right = at + name.size() >= m.size() || !ident_char(m[at + name.size()]);
    if (left && right) return true;
  }
  return false;
}

/// The value and derivative of a unary function as code, at argument `x`.
std::string value_code(ExprOp op, const std::string& x) {
  switch (op) {
    case ExprOp::abs: return "std::fabs(" + x + ")";
    case ExprOp::relu: return "(" + x + " > 0.0 ? " + x + " : 0.0)";
    default: return "std::" + to_string(op) + "(" + x + ")";
  }
}
std::string derivative_code(ExprOp op, const std::string& x) {
  switch (op) {
    case ExprOp::sin: return "std::cos(" + x + ")";
    case ExprOp::cos: return "-std::sin(" + x + ")";
    case ExprOp::tan: return "(1.0 + std::tan(" + x + ") * std::tan(" + x + "))";
    case ExprOp::tanh: return "(1.0 - std::tanh(" + x + ") * std::tanh(" + x + "))";
    case ExprOp::exp: return "std::exp(" + x + ")";
    case ExprOp::log: return "(1.0 / " + x + ")";
    case ExprOp::sqrt: return "(0.5 / std::sqrt(" + x + "))";
    case ExprOp::abs: return "(" + x + " > 0.0 ? 1.0 : (" + x + " < 0.0 ? -1.0 : 0.0))";
    case ExprOp::relu: return "(" + x + " > 0.0 ? 1.0 : 0.0)";
    default: return "";
  }
}

/// The mutants of a forward (Dual) or reverse (Var) rule.
void rule_mutants(RegionMutants& rm, const RuleInfo& info) {
  const SolutionRegion& r = rm.region();
  const std::string& m = rm.masked();
  std::vector<std::pair<std::size_t, std::size_t>> sites;
  std::vector<std::string> site_names;
  std::set<std::string> helpers;  // variables the derivative sites use
  if (info.forward) {
    // return {value, tangent}: the tangent is the site; a tangent held in a
    // variable (double t = …; t += …;) has its assignments as sites.
    const std::size_t ret = m.find("return", r.begin);
    if (ret != std::string::npos && ret < r.end) {
      std::size_t b = ret + 6;
      while (b < r.end && blank(m[b])) ++b;
      const std::size_t semi = statement_end(m, b, r.end);
      if (semi != std::string::npos && m[b] == '{') {
        const std::size_t close = m.rfind('}', semi);
        const auto parts = split_args(m, b + 1, close);
        if (parts.size() == 2) {
          const std::string tangent = trim(m.substr(parts[1].first, parts[1].second - parts[1].first));
          const bool variable = !tangent.empty() && std::all_of(tangent.begin(), tangent.end(), ident_char) &&
                                !std::isdigit(static_cast<unsigned char>(tangent[0]));
          if (variable) {
            // Every `… tangent = E;` and `tangent += E;` in the region.
            for (std::size_t at = m.find(tangent, r.begin); at < ret; at = m.find(tangent, at + 1)) {
              if ((at > 0 && ident_char(m[at - 1])) || ident_char(m[at + tangent.size()])) continue;
              std::size_t op = at + tangent.size();
              while (op < r.end && blank(m[op])) ++op;
              std::size_t rhs;
              if (m.compare(op, 2, "+=") == 0) rhs = op + 2;
              else if (m[op] == '=' && m[op + 1] != '=') rhs = op + 1;
              else continue;
              const std::size_t semi2 = statement_end(m, rhs, r.end);
              if (semi2 == std::string::npos) continue;
              while (rhs < semi2 && blank(m[rhs])) ++rhs;
              sites.push_back({rhs, semi2});
            }
          } else {
            sites.push_back(parts[1]);
          }
        }
      } else if (semi != std::string::npos) {
        // return C ? A : B; (relu): only its comparison can be mutated.
        try {
          Parser p(m, b, semi);
          (void)p.parse_all();
          for (const auto& [at, op] : p.comparisons()) rm.boundary(at, op, "return-");
        } catch (const ParseFailure&) {
        }
      }
    }
  } else {
    // t.record(value, a, da[, b, db]): the partials are the sites.
    const std::size_t rec = m.find("record(", r.begin);
    if (rec != std::string::npos && rec < r.end) {
      const std::size_t open = rec + 6;
      int depth = 0;
      std::size_t close = open;
      for (; close < r.end; ++close) {
        if (m[close] == '(') ++depth;
        if (m[close] == ')' && --depth == 0) break;
      }
      const auto args = split_args(m, open + 1, close);
      if (args.size() >= 3) sites.push_back(args[2]);
      if (args.size() >= 5) {
        sites.push_back(args[4]);
        // Swapped operands: the two partials exchanged.
        const std::string& text = rm.text();
        const std::string da = text.substr(args[2].first, args[2].second - args[2].first);
        const std::string db = text.substr(args[4].first, args[4].second - args[4].first);
        // Partials 1 and -1 swapped are the whole rule negated: a sign mistake, not a swap.
        const bool negation = trim(db) == "-" + trim(da) || trim(da) == "-" + trim(db);
        if (trim(da) != trim(db))
          rm.add(negation ? MutantClass::sign : MutantClass::swap, "swap",
                 {args[2].first, args[4].second - args[2].first,
                  db + text.substr(args[2].second, args[4].first - args[2].second) + da});
      }
    }
  }
  for (std::size_t k = 0; k < sites.size(); ++k) {
    const std::string where = sites.size() > 1 ? "d" + std::to_string(k + 1) + "-" : "";
    rm.site(sites[k].first, sites[k].second, where);
    // Variables the site uses, defined earlier in the region (sign = a > 0 ? …).
    for (std::size_t i = sites[k].first; i < sites[k].second; ++i) {
      if (!ident_char(m[i]) || (i > sites[k].first && ident_char(m[i - 1]))) continue;
      std::size_t j = i;
      while (j < sites[k].second && ident_char(m[j])) ++j;
      helpers.insert(m.substr(i, j - i));
    }
  }
  // Comparisons in the definitions of helper variables: the side of a kink.
  for (const std::string& h : helpers) {
    for (const char* decl : {"const double ", "double "}) {
      const std::string d = decl + h + " =";
      const std::size_t at = m.find(d, r.begin);
      if (at == std::string::npos || at > r.end) continue;
      const std::size_t rhs = at + d.size();
      const std::size_t semi = statement_end(m, rhs, r.end);
      if (semi == std::string::npos) continue;
      try {
        Parser p(m, rhs, semi);
        (void)p.parse_all();
        for (const auto& [pos, op] : p.comparisons()) rm.boundary(pos, op, h + "-");
      } catch (const ParseFailure&) {
      }
      break;
    }
  }
  // Swapped operands in forward mode: the values (a·db + b·da → b·db + a·da)
  // or, where the rule has no values of both, the tangents.
  if (info.forward && info.use.form == mistakes::Form::vv && !sites.empty()) {
    for (const auto& [b, e] : sites) {
      std::string t = m.substr(b, e - b);
      std::string original_text = t;
      const auto swap_names = [&](const std::string& x, const std::string& y) {
        std::string out;
        for (std::size_t i = 0; i < t.size();) {
          if (t.compare(i, x.size(), x) == 0 && (i == 0 || !ident_char(t[i - 1]))) {
            out += y;
            i += x.size();
          } else if (t.compare(i, y.size(), y) == 0 && (i == 0 || !ident_char(t[i - 1]))) {
            out += x;
            i += y.size();
          } else {
            out += t[i++];
          }
        }
        return out;
      };
      // The product rule swaps the values (b·da + a·db → a·da + b·db); other
      // rules swap the tangents, which exchanges their partials.
      std::string swapped;
      if (info.use.op == ExprOp::mul) {
        if (uses(m, b, e, "a.value") && uses(m, b, e, "b.value")) swapped = swap_names("a.value", "b.value");
      } else if (uses(m, b, e, "a.tangent") && uses(m, b, e, "b.tangent")) {
        swapped = swap_names("a.tangent", "b.tangent");
      }
      if (swapped.empty()) continue;
      // Skip a swap that only reorders a commutative expression.
      try {
        const std::string padded = std::string(b, ' ') + swapped;
        Parser p1(m, b, e), p2(padded, b, b + swapped.size());
        const Node original = p1.parse_all();
        const std::string after = canonical(p2.parse_all(), padded);
        if (canonical(original, m) == after) continue;
        // a - b with its operands swapped is the rule negated: the sign mutant already.
        if (original.kind == Node::Kind::sum) {
          Node negated = original;
          for (std::size_t k = 0; k < negated.ops.size(); ++k) negated.ops[k] = negated.ops[k] == '-' ? '+' : '-';
          if (canonical(negated, m) == after) continue;
        }
      } catch (const ParseFailure&) {
        continue;
      }
      rm.add(MutantClass::swap, "swap", {b, e - b, swapped});
    }
  }
  // The derivative of a confusable function.
  if (info.known && info.use.form == mistakes::Form::unary && mistakes::confusable(info.use.op) != info.use.op) {
    const ExprOp g = mistakes::confusable(info.use.op);
    const std::string x = info.forward ? "a.value" : "a.value()";
    const std::string code =
        info.forward ? r.indent + "return {" + value_code(info.use.op, x) + ", " + derivative_code(g, x) +
                           " * a.tangent};\n"
                     : r.indent + "return t.record(" + value_code(info.use.op, x) + ", a, " + derivative_code(g, x) +
                           ");\n";
    rm.body(MutantClass::function, "function-" + to_string(g), code,
            "the derivative of " + to_string(g) + " instead of " + to_string(info.use.op) + "'s");
  }
}

/// The catalogue: what text operators cannot express, by function.
void catalogue_mutants(RegionMutants& rm) {
  const std::string name = rm.signature().name;
  const std::string in = rm.region().indent;
  const auto lines = [&](std::initializer_list<const char*> ls) {
    std::string s;
    for (const char* l : ls) s += in + l + "\n";
    return s;
  };
  if (name == "Tape::backward") {
    rm.find_replace(MutantClass::reset, "no-reset", ".assign(", ".resize(",
                    "adjoints resized, not reset to 0 (assign → resize)");
    const std::size_t at = rm.masked().find("i-- > 0", rm.region().begin);
    if (at != std::string::npos && at < rm.region().end) {
      const std::size_t for_at = rm.masked().rfind("for (", at);
      const std::size_t close = rm.masked().find(')', at);
      if (for_at != std::string::npos && for_at > rm.region().begin && close != std::string::npos)
        rm.add(MutantClass::order, "forward-order",
               {for_at, close + 1 - for_at, "for (std::size_t i = 0; i <= output.index(); ++i)"},
               "the sweep walks the tape from the first node to the output");
    }
    rm.body(MutantClass::path, "once-per-path",
            lines({"adjoints_.assign(nodes_.size(), 0.0);", "adjoints_[output.index()] = 1.0;",
                   "// Depth first from the output: a node passes on its adjoint each time it is reached.",
                   "std::vector<std::uint32_t> stack{output.index()};", "while (!stack.empty()) {",
                   "  const std::uint32_t i = stack.back();", "  stack.pop_back();", "  const Node n = nodes_[i];",
                   "  if (n.a == tensor_result) continue;", "  const double g = adjoints_[i];",
                   "  if (n.a != no_operand) {", "    adjoints_[n.a] += n.da * g;", "    stack.push_back(n.a);", "  }",
                   "  if (n.b != no_operand) {", "    adjoints_[n.b] += n.db * g;", "    stack.push_back(n.b);", "  }",
                   "}"}),
            "a depth-first sweep: a node passes its adjoint on once per path that reaches it");
  } else if (name == "vjp_add") {
    rm.body(MutantClass::transpose, "extra-transpose",
            lines({"for (std::size_t i = 0; i < dx.rows(); ++i)",
                   "  for (std::size_t j = 0; j < dx.cols(); ++j) dx(i, j) += dz.data()[j * dx.rows() + i];"}),
            "dx += dz read transposed");
  } else if (name == "vjp_scale_a") {
    rm.body(MutantClass::transpose, "extra-transpose",
            lines({"double da = 0.0;", "for (std::size_t i = 0; i < x.rows(); ++i)",
                   "  for (std::size_t j = 0; j < x.cols(); ++j) da += x(i, j) * dz.data()[j * x.rows() + i];",
                   "return da;"}),
            "da = <x, dz> with dz read transposed");
  } else if (name == "vjp_scale_x") {
    rm.body(MutantClass::transpose, "extra-transpose",
            lines({"for (std::size_t i = 0; i < dx.rows(); ++i)",
                   "  for (std::size_t j = 0; j < dx.cols(); ++j) dx(i, j) += a * dz.data()[j * dx.rows() + i];"}),
            "dx += a dz read transposed");
  } else if (name == "vjp_matmul_x") {
    // dX is m × k, W is k × n, dZ is m × n. Each wrong formula only fits some
    // shapes; elsewhere it throws ShapeError, as a student's code would.
    rm.body(MutantClass::transpose, "missing-transpose",
            lines({"check_shapes(w.rows() == w.cols(), \"vjp_matmul_x (dZ W)\", dz.shape(), w.shape());",
                   "for (std::size_t i = 0; i < dx.rows(); ++i)", "  for (std::size_t p = 0; p < dx.cols(); ++p) {",
                   "    double acc = 0.0;", "    for (std::size_t j = 0; j < w.cols(); ++j) acc += dz(i, j) * w(j, p);",
                   "    dx(i, p) += acc;", "  }"}),
            "dX += dZ W (W not transposed)");
    rm.body(MutantClass::transpose, "extra-transpose",
            lines({"check_shapes(dz.rows() == w.rows(), \"vjp_matmul_x ((dZ Wᵀ)ᵀ)\", dz.shape(), w.shape());",
                   "for (std::size_t i = 0; i < dx.rows(); ++i)", "  for (std::size_t p = 0; p < dx.cols(); ++p) {",
                   "    double acc = 0.0;", "    for (std::size_t j = 0; j < w.cols(); ++j) acc += dz(p, j) * w(i, j);",
                   "    dx(i, p) += acc;", "  }"}),
            "dX += (dZ Wᵀ)ᵀ = W dZᵀ");
    rm.body(MutantClass::swap, "swapped-operands",
            lines({"check_shapes(dz.rows() == w.rows() && w.rows() == w.cols(), \"vjp_matmul_x (Wᵀ dZ)\", dz.shape(), "
                   "w.shape());",
                   "for (std::size_t i = 0; i < dx.rows(); ++i)", "  for (std::size_t p = 0; p < dx.cols(); ++p) {",
                   "    double acc = 0.0;", "    for (std::size_t j = 0; j < w.rows(); ++j) acc += w(j, i) * dz(j, p);",
                   "    dx(i, p) += acc;", "  }"}),
            "dX += Wᵀ dZ (operands swapped)");
  } else if (name == "vjp_matmul_w") {
    // dW is k × n, X is m × k, dZ is m × n.
    rm.body(MutantClass::transpose, "missing-transpose",
            lines({"check_shapes(x.rows() == x.cols(), \"vjp_matmul_w (X dZ)\", x.shape(), dz.shape());",
                   "for (std::size_t p = 0; p < dw.rows(); ++p)", "  for (std::size_t j = 0; j < dw.cols(); ++j) {",
                   "    double acc = 0.0;", "    for (std::size_t i = 0; i < x.cols(); ++i) acc += x(p, i) * dz(i, j);",
                   "    dw(p, j) += acc;", "  }"}),
            "dW += X dZ (X not transposed)");
    rm.body(MutantClass::swap, "swapped-operands",
            lines({"check_shapes(dz.cols() == x.cols(), \"vjp_matmul_w (dZᵀ X)\", dz.shape(), x.shape());",
                   "for (std::size_t p = 0; p < dw.rows(); ++p)", "  for (std::size_t j = 0; j < dw.cols(); ++j) {",
                   "    double acc = 0.0;", "    for (std::size_t i = 0; i < x.rows(); ++i) acc += dz(i, p) * x(i, j);",
                   "    dw(p, j) += acc;", "  }"}),
            "dW += dZᵀ X (operands swapped)");
  } else if (name == "gradient") {
    rm.find_replace(MutantClass::factor, "no-relu-derivative", "vjp_relu(z1, dh, dz1);", "dz1 = dh;",
                    "the relu derivative left out (dZ1 = dH)");
    rm.find_replace(MutantClass::transpose, "missing-transpose", "g.w1 = dw1t.transposed();", "g.w1 = dw1t;",
                    "dW1 not transposed back");
  }
}

/// The byte offset of the start of line `n` (0-based) of `text`.
std::vector<std::size_t> line_starts(const std::string& text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

// ---------------------------------------------------------------- grading

/// Words that name each class of mistake in the judge's feedback.
const std::vector<std::string>& keywords(MutantClass c) {
  static const std::map<MutantClass, std::vector<std::string>> k = {
      {MutantClass::sign, {"wrong sign", "uphill", "negated"}},
      {MutantClass::factor, {"factor", "scale"}},
      {MutantClass::term, {"term"}},
      {MutantClass::function, {"derivative of", "wrong function"}},
      {MutantClass::swap, {"swapped"}},
      {MutantClass::kink, {"kink"}},
      {MutantClass::accumulation, {"accumulation", "overwritten"}},
      {MutantClass::transpose, {"transpose"}},
      {MutantClass::order, {"order"}},
      {MutantClass::reset, {"reset", "left over"}},
      {MutantClass::path, {"path"}},
  };
  return k.at(c);
}

bool names(MutantClass c, const std::string& feedback) {
  std::string f = feedback;
  std::transform(f.begin(), f.end(), f.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const std::string& w : keywords(c))
    if (f.find(w) != std::string::npos) return true;
  return false;
}

/// The problem kinds that run a region's function, for rules: the cases that call the rule.
std::vector<std::string> exercised_by(const Mutant& m, const std::vector<ProblemSpec>& problems) {
  const Signature sig = parse_signature(m.signature);
  const RuleInfo info = rule_info(sig);
  std::vector<std::string> out;
  for (const ProblemSpec& p : problems) {
    for (const CaseSpec& c : p.cases) {
      bool calls = false;
      const bool forward_kind =
          p.kind == ProblemKind::forward_gradient || (p.kind == ProblemKind::jacobian && c.mode != "reverse");
      const bool reverse_kind =
          p.kind == ProblemKind::reverse_gradient || (p.kind == ProblemKind::jacobian && c.mode != "forward");
      if (info.known && ((info.forward && forward_kind) || (info.reverse && reverse_kind))) {
        for (const std::string& text : c.functions) {
          const Expression e = Expression::parse(text, c.variables);
          for (const mistakes::OpUse& u : mistakes::op_uses(e))
            calls = calls || (u.op == info.use.op && u.form == info.use.form);
        }
      } else if (sig.name == "Tape::backward") {
        calls = reverse_kind;
      } else if (sig.name == "vjp_add") {
        calls = p.kind == ProblemKind::vjp_add;
      } else if (sig.name == "vjp_scale_a" || sig.name == "vjp_scale_x") {
        calls = p.kind == ProblemKind::vjp_scale;
      } else if (sig.name == "vjp_matmul_x" || sig.name == "vjp_matmul_w") {
        calls = p.kind == ProblemKind::vjp_matmul || p.kind == ProblemKind::network_gradient ||
                p.kind == ProblemKind::network_step;
      } else if (sig.name == "gradient") {
        calls = p.kind == ProblemKind::network_gradient || p.kind == ProblemKind::network_step;
      } else if (sig.name == "sgd_step") {
        calls = p.kind == ProblemKind::network_step;
      }
      if (calls) out.push_back(p.id + " / " + c.name);
    }
  }
  return out;
}

MutantResult grade_mutant(const MutateOptions& o, const Mutant& m, const fs::path& dir) {
  MutantResult r;
  r.mutant = m;
  try {
    write_mutant(o.reference, m, dir);
    GradeOptions g;
    g.submission = dir;
    g.problems = o.problems;
    g.installation = o.installation;
    g.seed = o.seed;
    g.sandbox = o.sandbox;
    g.time_limit_seconds = o.time_limit_seconds;
    const GradeReport report = grade_submission(g);
    r.score = report.score;
    r.max_score = report.max_score;
    for (const TestResult& t : report.tests) {
      if (t.problem_id == "compilation") {
        r.status = MutantResult::Status::stillborn;
        r.compile_errors = t.output;
      }
      for (const CaseResult& c : t.cases) {
        if (c.passed) continue;
        r.caught_by.push_back(t.problem_id + " / " + c.name);
        const std::string fb = c.message + (c.diagnosis.empty() ? "" : " — likely mistake: " + c.diagnosis);
        if (r.feedback.empty()) r.feedback = fb;
        if (names(m.kind, fb)) {
          if (!r.named) r.feedback = fb;  // show the feedback that names it
          r.named = true;
        }
      }
    }
    if (r.status != MutantResult::Status::stillborn)
      r.status = r.score < r.max_score - 1e-9 ? MutantResult::Status::killed : MutantResult::Status::survived;
  } catch (const GraderError& e) {
    r.status = MutantResult::Status::stillborn;
    r.compile_errors = std::string("the grader failed on this mutant: ") + e.what();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

const char* status_name(MutantResult::Status s) {
  switch (s) {
    case MutantResult::Status::killed: return "killed";
    case MutantResult::Status::survived: return "survived";
    case MutantResult::Status::stillborn: return "stillborn";
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------- public

std::vector<SolutionRegion> find_regions(const std::string& text, const std::string& file) {
  (void)count_solutions(text, file);  // the template generator's validation: malformed markers throw
  std::vector<SolutionRegion> out;
  const std::vector<std::size_t> starts = line_starts(text);
  const auto line = [&](std::size_t k) {
    const std::size_t b = starts[k];
    const std::size_t e = k + 1 < starts.size() ? starts[k + 1] : text.size();
    return text.substr(b, e - b);
  };
  std::string signature;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::string l = line(k);
    const std::string t = trim(l);
    // A function definition starts at column 0 and opens its body on the same line.
    if (!l.empty() && !blank(l[0]) && l[0] != '/' && l[0] != '#' && l.find('(') != std::string::npos &&
        !t.empty() && t.back() == '{')
      signature = t;
    const auto at = t.find("BEGIN SOLUTION");
    if (t.rfind("//", 0) != 0 || at == std::string::npos) continue;
    SolutionRegion r;
    r.file = file;
    const auto q1 = t.find('"', at), q2 = t.rfind('"');
    r.description = q1 != std::string::npos && q2 > q1 ? t.substr(q1 + 1, q2 - q1 - 1) : "";
    r.signature = signature;
    r.indent = l.substr(0, l.find('/'));
    r.begin = k + 1 < starts.size() ? starts[k + 1] : text.size();
    std::size_t e = k + 1;
    while (e < starts.size() && trim(line(e)).rfind("// END SOLUTION", 0) != 0) ++e;
    r.end = e < starts.size() ? starts[e] : text.size();
    out.push_back(r);
    k = e;
  }
  return out;
}

std::string replace_region(const std::string& text, const SolutionRegion& r, const std::string& body) {
  return text.substr(0, r.begin) + body + text.substr(r.end);
}

std::string to_string(MutantClass c) {
  switch (c) {
    case MutantClass::sign: return "sign";
    case MutantClass::factor: return "factor";
    case MutantClass::term: return "term";
    case MutantClass::function: return "function";
    case MutantClass::swap: return "swap";
    case MutantClass::kink: return "kink";
    case MutantClass::accumulation: return "accumulation";
    case MutantClass::transpose: return "transpose";
    case MutantClass::order: return "order";
    case MutantClass::reset: return "reset";
    case MutantClass::path: return "path";
  }
  return "?";
}

std::vector<Mutant> generate_mutants(const fs::path& reference_dir) {
  std::vector<fs::path> files;
  for (const char* sub : {"include", "src"}) {
    if (!fs::is_directory(reference_dir / sub)) continue;
    for (const auto& e : fs::recursive_directory_iterator(reference_dir / sub))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  if (files.empty())
    throw GraderError(reference_dir.string() + ": holds no include/ or src/ files; pass the reference folder");
  std::sort(files.begin(), files.end());
  std::vector<Mutant> out;
  for (const fs::path& f : files) {
    const std::string rel = f.lexically_relative(reference_dir).generic_string();
    const std::string text = read_file(f);
    const std::string masked = mask(text);
    for (const SolutionRegion& r : find_regions(text, rel)) {
      RegionMutants rm(text, masked, r, out);
      const RuleInfo info = rule_info(rm.signature());
      if (info.forward || info.reverse) {
        rule_mutants(rm, info);
      } else {
        rm.update_statements();
      }
      catalogue_mutants(rm);
    }
  }
  return out;
}

void write_mutant(const fs::path& reference_dir, const Mutant& m, const fs::path& out_dir) {
  std::error_code ec;
  fs::remove_all(out_dir, ec);
  fs::create_directories(out_dir);
  for (const char* sub : {"include", "src"})
    if (fs::is_directory(reference_dir / sub))
      fs::copy(reference_dir / sub, out_dir / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  const fs::path file = out_dir / m.file;
  std::string text = read_file(file);
  if (m.offset + m.length > text.size() || text.compare(m.offset, m.length, m.original) != 0)
    throw GraderError(m.file + ": the reference changed since mutant " + m.id + " was generated; run again");
  text.replace(m.offset, m.length, m.replacement);
  write_file_atomically(file, text);
}

double MutationReport::score() const {
  const std::size_t n = killed + survived;
  return n == 0 ? 100.0 : 100.0 * static_cast<double>(killed) / static_cast<double>(n);
}

double MutationReport::named_share() const {
  return killed == 0 ? 100.0 : 100.0 * static_cast<double>(named) / static_cast<double>(killed);
}

MutationReport run_mutation(const MutateOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ProblemSpec> problems = load_problems(o.problems);  // a bad spec stops us first
  fs::path work = o.work_dir;
  std::optional<TempFolder> own_work;  // removed however this function ends
  if (work.empty()) {
    own_work.emplace("adcourse-mutants", "mutants", "write the mutants in");
    work = own_work->path();
  }
  // Mutants are generated from, and written from, a snapshot: an edit of the
  // reference during a long run does not mix two versions in one mutant.
  const fs::path snapshot = work / "reference";
  for (const char* sub : {"include", "src"}) {
    if (!fs::is_directory(o.reference / sub)) continue;
    fs::create_directories(snapshot / sub);
    fs::copy(o.reference / sub, snapshot / sub, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  std::vector<Mutant> all = generate_mutants(snapshot);
  std::vector<Mutant> chosen;
  for (Mutant& m : all) {
    const bool keep = o.only.empty() || std::any_of(o.only.begin(), o.only.end(), [&](const std::string& s) {
                        return m.id.find(s) != std::string::npos;
                      });
    if (keep) chosen.push_back(std::move(m));
    if (o.limit > 0 && chosen.size() >= o.limit) break;
  }
  MutationReport report;
  MutateOptions run = o;
  run.reference = snapshot;
  if (!o.with_timing) {
    // Problems that time the submission cost seconds per mutant: grade a copy of the set without them.
    const fs::path kept = work / "problems";
    fs::create_directories(kept);
    std::vector<ProblemSpec> numeric;
    for (ProblemSpec& p : problems) {
      const Plan plan = plan_problem(p, o.seed, false);
      const bool timing = std::any_of(plan.tasks.begin(), plan.tasks.end(),
                                      [](const protocol::Task& t) { return t.kind == protocol::TaskKind::timing; });
      if (timing) {
        report.left_out.push_back(p.id);
        continue;
      }
      fs::copy_file(p.file, kept / p.file.filename(), fs::copy_options::overwrite_existing);
      numeric.push_back(std::move(p));
    }
    problems = std::move(numeric);
    run.problems = kept;
  }
  report.results.resize(chosen.size());
  std::atomic<std::size_t> next{0};
  std::mutex say;
  std::size_t done = 0;
  const auto worker = [&]() {
    for (std::size_t i = next++; i < chosen.size(); i = next++) {
      MutantResult r = grade_mutant(run, chosen[i], work / std::to_string(i));
      r.exercised_by = exercised_by(r.mutant, problems);
      std::lock_guard<std::mutex> lock(say);
      ++done;
      if (o.progress) {
        std::string line = "[" + std::to_string(done) + "/" + std::to_string(chosen.size()) + "] " +
                           status_name(r.status) + " " + r.mutant.id;
        if (r.status == MutantResult::Status::killed) line += r.named ? " (named)" : " (not named)";
        o.progress(line);
      }
      report.results[i] = std::move(r);
    }
  };
  std::vector<std::thread> threads;
  const unsigned jobs = std::max(1u, o.jobs);
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  for (const MutantResult& r : report.results) {
    switch (r.status) {
      case MutantResult::Status::killed:
        ++report.killed;
        report.named += r.named ? 1 : 0;
        break;
      case MutantResult::Status::survived: ++report.survived; break;
      case MutantResult::Status::stillborn: ++report.stillborn; break;
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

std::string format_mutation_report(const MutationReport& report, bool verbose) {
  std::string out;
  const std::size_t graded = report.killed + report.survived;
  out += "Mutation score: " + percent(report.score()) + " (" + std::to_string(report.killed) + " of " +
         std::to_string(graded) + " mutants caught)\n";
  out += "Feedback named the mistake for " + std::to_string(report.named) + " of " + std::to_string(report.killed) +
         " caught mutants (" + percent(report.named_share()) + ")\n";
  if (report.stillborn > 0)
    out += std::to_string(report.stillborn) + " mutant(s) did not compile and are not counted\n";
  if (!report.left_out.empty()) {
    out += "Not graded (they time the submission; --with-timing grades them too):";
    for (const std::string& id : report.left_out) out += " " + id;
    out += "\n";
  }
  // By class.
  std::map<std::string, std::array<std::size_t, 3>> by_class;  // caught, graded, named
  for (const MutantResult& r : report.results) {
    if (r.status == MutantResult::Status::stillborn) continue;
    auto& c = by_class[to_string(r.mutant.kind)];
    c[1] += 1;
    c[0] += r.status == MutantResult::Status::killed ? 1 : 0;
    c[2] += r.named ? 1 : 0;
  }
  out += "By class (caught / mutants, named):\n";
  for (const auto& [name, c] : by_class)
    out += "  " + name + std::string(name.size() < 13 ? 13 - name.size() : 1, ' ') + std::to_string(c[0]) + " / " +
           std::to_string(c[1]) + ", named " + std::to_string(c[2]) + "\n";
  bool header = false;
  for (const MutantResult& r : report.results) {
    if (r.status != MutantResult::Status::survived) continue;
    if (!header) out += "Survivors (each needs a stronger case, or a reason):\n";
    header = true;
    out += "  " + r.mutant.id + " [" + to_string(r.mutant.kind) + "]: " + r.mutant.summary + "\n";
    if (r.exercised_by.empty()) {
      out += "      no problem calls this code: add a case that does\n";
    } else {
      out += "      should have been caught by: ";
      for (std::size_t k = 0; k < r.exercised_by.size() && k < 6; ++k) out += (k ? "; " : "") + r.exercised_by[k];
      if (r.exercised_by.size() > 6) out += "; and " + std::to_string(r.exercised_by.size() - 6) + " more";
      out += "\n";
    }
  }
  for (const MutantResult& r : report.results) {
    if (r.status == MutantResult::Status::stillborn) out += "  did not compile: " + r.mutant.id + "\n";
    if (!verbose || r.status != MutantResult::Status::killed) continue;
    out += "  " + std::string(r.named ? "named     " : "not named ") + r.mutant.id + " [" + to_string(r.mutant.kind) +
           "]: " + r.mutant.summary + "\n      " + r.feedback.substr(0, 400) + "\n";
  }
  return out;
}

std::string mutation_report_json(const MutationReport& report) {
  nlohmann::json j;
  j["score_percent"] = report.score();
  j["named_percent"] = report.named_share();
  j["killed"] = report.killed;
  j["survived"] = report.survived;
  j["stillborn"] = report.stillborn;
  j["named"] = report.named;
  j["seconds"] = report.seconds;
  j["left_out"] = report.left_out;
  nlohmann::json list = nlohmann::json::array();
  for (const MutantResult& r : report.results) {
    nlohmann::json m;
    m["id"] = r.mutant.id;
    m["class"] = to_string(r.mutant.kind);
    m["file"] = r.mutant.file;
    m["region"] = r.mutant.region;
    m["summary"] = r.mutant.summary;
    m["status"] = status_name(r.status);
    m["score"] = r.score;
    m["max_score"] = r.max_score;
    m["caught_by"] = r.caught_by;
    m["feedback"] = r.feedback;
    m["named"] = r.named;
    m["exercised_by"] = r.exercised_by;
    if (!r.compile_errors.empty()) m["compile_errors"] = r.compile_errors;
    list.push_back(std::move(m));
  }
  j["mutants"] = std::move(list);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace grader
