// Tests of grader/expr.hpp: parsing, evaluation with doubles and AD types,
// constant folding, overload dispatch and error messages.
#include "grader/expr.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ad/dual.hpp"
#include "ad/tape.hpp"
#include "grader/error.hpp"

namespace {

using grader::ExprOp;
using grader::Expression;
using grader::GraderError;
using testing::HasSubstr;

double eval(const std::string& text, const std::vector<double>& x) { return Expression::parse(text).evaluate(x); }

/// The message of the GraderError parse throws, or "" when it does not throw.
std::string parse_error(const std::string& text, const std::vector<std::string>& variables = {}) {
  try {
    Expression::parse(text, variables);
  } catch (const GraderError& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------
// Every operator and function against the direct C++ expression.

struct DoubleCase {
  std::string name;
  std::string text;
  std::function<double(double, double)> expected;
  std::vector<std::vector<double>> points;
};

void PrintTo(const DoubleCase& c, std::ostream* os) { *os << c.text; }

class ExprDouble : public testing::TestWithParam<DoubleCase> {};

TEST_P(ExprDouble, MatchesDirectCpp) {
  const DoubleCase& c = GetParam();
  const Expression e = Expression::parse(c.text, {"x1", "x2"});
  for (const std::vector<double>& x : c.points) {
    EXPECT_DOUBLE_EQ(e.evaluate(x), c.expected(x[0], x[1])) << c.text << " at (" << x[0] << ", " << x[1] << ")";
  }
}

const std::vector<std::vector<double>> positive_points = {{0.7, 1.9}, {2.5, 0.3}, {1.0, 4.0}};
const std::vector<std::vector<double>> signed_points = {{0.7, 1.9}, {-1.3, 0.4}, {0.0, -2.0}, {-0.25, 3.0}};

INSTANTIATE_TEST_SUITE_P(
    Operators, ExprDouble,
    testing::Values(
        DoubleCase{"Add", "x1 + x2", [](double a, double b) { return a + b; }, signed_points},
        DoubleCase{"Sub", "x1 - x2", [](double a, double b) { return a - b; }, signed_points},
        DoubleCase{"Mul", "x1 * x2", [](double a, double b) { return a * b; }, signed_points},
        DoubleCase{"Div", "x1 / x2", [](double a, double b) { return a / b; }, signed_points},
        DoubleCase{"Neg", "-x1 + x2", [](double a, double b) { return -a + b; }, signed_points},
        DoubleCase{"PowCaret", "x1 ^ x2", [](double a, double b) { return std::pow(a, b); }, positive_points},
        DoubleCase{"PowStarStar", "x1 ** x2", [](double a, double b) { return std::pow(a, b); }, positive_points},
        DoubleCase{"PowCall", "pow(x1, x2)", [](double a, double b) { return std::pow(a, b); }, positive_points},
        DoubleCase{"PowConstantExponent", "x1 ^ 3.5", [](double a, double) { return std::pow(a, 3.5); },
                   positive_points},
        DoubleCase{"PowConstantBase", "2.5 ^ x2", [](double, double b) { return std::exp(b * std::log(2.5)); },
                   signed_points},
        DoubleCase{"ConstantMinusVariable", "1 - x1", [](double a, double) { return 1.0 - a; }, signed_points},
        DoubleCase{"ConstantOverVariable", "3 / x2", [](double, double b) { return 3.0 / b; }, signed_points},
        DoubleCase{"Sin", "sin(x1)", [](double a, double) { return std::sin(a); }, signed_points},
        DoubleCase{"Cos", "cos(x1)", [](double a, double) { return std::cos(a); }, signed_points},
        DoubleCase{"Tan", "tan(x1)", [](double a, double) { return std::tan(a); }, signed_points},
        DoubleCase{"Exp", "exp(x1)", [](double a, double) { return std::exp(a); }, signed_points},
        DoubleCase{"Log", "log(x1)", [](double a, double) { return std::log(a); }, positive_points},
        DoubleCase{"Sqrt", "sqrt(x1)", [](double a, double) { return std::sqrt(a); }, positive_points},
        DoubleCase{"Abs", "abs(x1)", [](double a, double) { return std::fabs(a); }, signed_points},
        DoubleCase{"Tanh", "tanh(x1)", [](double a, double) { return std::tanh(a); }, signed_points},
        DoubleCase{"Relu", "relu(x1)", [](double a, double) { return a > 0.0 ? a : 0.0; }, signed_points},
        DoubleCase{"Combined", "log(x1) + x1*x2 - sin(x2)",
                   [](double a, double b) { return std::log(a) + a * b - std::sin(b); }, positive_points},
        DoubleCase{"Whitespace", " \t(x1\n*\rx2 ) ", [](double a, double b) { return a * b; }, signed_points},
        DoubleCase{"NumberFormats", "x1*1.5e2 + .25 - 3. + 2E-1*x2",
                   [](double a, double b) { return a * 150.0 + 0.25 - 3.0 + 0.2 * b; }, signed_points}),
    [](const testing::TestParamInfo<DoubleCase>& param_info) { return param_info.param.name; });

// ---------------------------------------------------------------------------
// Precedence and associativity.

TEST(ExprPrecedence, PowerIsRightAssociative) { EXPECT_EQ(eval("2^3^2", {}), 512.0); }

TEST(ExprPrecedence, PowerIsRightAssociativeOnVariables) { EXPECT_EQ(eval("x1^x2^x3", {2.0, 3.0, 2.0}), 512.0); }

TEST(ExprPrecedence, UnaryMinusBindsLooserThanPower) { EXPECT_EQ(eval("-2^2", {}), -4.0); }

TEST(ExprPrecedence, UnaryMinusBindsLooserThanPowerOnVariables) { EXPECT_EQ(eval("-x1^2", {3.0}), -9.0); }

TEST(ExprPrecedence, NegativeExponentIsAllowed) { EXPECT_EQ(eval("x1^-1", {4.0}), 0.25); }

TEST(ExprPrecedence, SubtractionIsLeftAssociative) { EXPECT_EQ(eval("1-2-3", {}), -4.0); }

TEST(ExprPrecedence, SubtractionIsLeftAssociativeOnVariables) { EXPECT_EQ(eval("x1-x2-x3", {1.0, 2.0, 3.0}), -4.0); }

TEST(ExprPrecedence, DivisionIsLeftAssociative) { EXPECT_EQ(eval("8/4/2", {}), 1.0); }

TEST(ExprPrecedence, DivisionIsLeftAssociativeOnVariables) { EXPECT_EQ(eval("x1/x2/x3", {8.0, 4.0, 2.0}), 1.0); }

TEST(ExprPrecedence, ProductBindsTighterThanSum) { EXPECT_EQ(eval("x1 + x2*x3", {2.0, 3.0, 4.0}), 14.0); }

TEST(ExprPrecedence, ParenthesesOverridePrecedence) { EXPECT_EQ(eval("(x1 + x2)*x3", {2.0, 3.0, 4.0}), 20.0); }

TEST(ExprPrecedence, DoubleNegationCancels) { EXPECT_EQ(eval("x1 - -x2", {2.0, 3.0}), 5.0); }

// ---------------------------------------------------------------------------
// Variables.

TEST(ExprVariables, AutoArityIsLargestIndex) {
  const Expression e = Expression::parse("x3 + x1");
  EXPECT_EQ(e.arity(), 3u);
  EXPECT_EQ(e.variable_names(), (std::vector<std::string>{"x1", "x2", "x3"}));
  EXPECT_EQ(e.evaluate(std::vector<double>{1.0, 100.0, 2.0}), 3.0);
}

TEST(ExprVariables, MultiDigitIndicesAreRead) {
  const Expression e = Expression::parse("x12");
  ASSERT_EQ(e.arity(), 12u);
  std::vector<double> x(12, 0.0);
  x[11] = 7.0;
  EXPECT_EQ(e.evaluate(x), 7.0);
}

TEST(ExprVariables, ConstantExpressionHasNoVariables) {
  const Expression e = Expression::parse("1 + 2");
  EXPECT_EQ(e.arity(), 0u);
  EXPECT_EQ(e.evaluate(std::vector<double>{}), 3.0);
}

TEST(ExprVariables, ExplicitNamesAreUsedInOrder) {
  const Expression e = Expression::parse("a - b*rate", {"rate", "a", "b"});
  EXPECT_EQ(e.arity(), 3u);
  EXPECT_EQ(e.variable_names(), (std::vector<std::string>{"rate", "a", "b"}));
  EXPECT_EQ(e.evaluate(std::vector<double>{2.0, 10.0, 3.0}), 4.0);
}

TEST(ExprVariables, UnusedExplicitVariableIsAllowed) {
  const Expression e = Expression::parse("b", {"a", "b", "c"});
  EXPECT_EQ(e.arity(), 3u);
  EXPECT_EQ(e.evaluate(std::vector<double>{1.0, 2.0, 3.0}), 2.0);
}

TEST(ExprVariables, UnknownExplicitNameIsRejected) {
  const std::string message = parse_error("a + y", {"a", "b"});
  EXPECT_THAT(message, HasSubstr("expression \"a + y\": unknown variable \"y\" at column 5 (variables: a, b)"));
}

TEST(ExprVariables, UnknownAutoNameIsRejected) {
  const std::string message = parse_error("y + x1");
  EXPECT_THAT(message, HasSubstr("expression \"y + x1\": unknown variable \"y\" at column 1 (variables: x1, x2"));
}

TEST(ExprVariables, XZeroIsRejected) { EXPECT_THAT(parse_error("x0"), HasSubstr("unknown variable \"x0\" at column 1")); }

TEST(ExprVariables, LeadingZeroIndexIsRejected) {
  EXPECT_THAT(parse_error("x01"), HasSubstr("unknown variable \"x01\" at column 1"));
}

TEST(ExprVariables, HugeIndexIsRejected) {
  EXPECT_THAT(parse_error("x1 + x99999999999999999999"), HasSubstr("variable \"x99999999999999999999\" at column 6"));
}

TEST(ExprVariables, AutoNamesAreNotVariablesWhenNamesAreGiven) {
  EXPECT_THAT(parse_error("x1", {"a"}), HasSubstr("unknown variable \"x1\" at column 1 (variables: a)"));
}

TEST(ExprVariables, NonIdentifierNameIsRejected) {
  EXPECT_THAT(parse_error("a", {"a", "2b"}), HasSubstr("variable name \"2b\" is not an identifier"));
}

TEST(ExprVariables, DuplicateNameIsRejected) {
  EXPECT_THAT(parse_error("a", {"a", "a"}), HasSubstr("variable name \"a\" is listed twice"));
}

TEST(ExprVariables, FunctionNameIsRejectedAsVariableName) {
  EXPECT_THAT(parse_error("sin", {"sin"}), HasSubstr("variable name \"sin\" is the name of a function"));
}

TEST(ExprVariables, CallingAVariableIsRejected) {
  EXPECT_THAT(parse_error("x1(2)"), HasSubstr("expected an operator after the variable \"x1\" at column 3"));
}

TEST(ExprVariables, WrongNumberOfValuesThrowsInvalidArgument) {
  const Expression e = Expression::parse("x1 + x2");
  EXPECT_THROW(e.evaluate(std::vector<double>{1.0}), std::invalid_argument);
}

TEST(ExprVariables, WrongNumberOfValuesMessageNamesTheVariables) {
  const Expression e = Expression::parse("x1 + x2");
  try {
    e.evaluate(std::vector<double>{1.0, 2.0, 3.0});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_THAT(error.what(), HasSubstr("expected 2 values (variables: x1, x2), got 3"));
  }
}

// ---------------------------------------------------------------------------
// Error messages: the expression, the column and what was expected.

TEST(ExprErrors, MissingOperandNamesColumn) {
  EXPECT_THAT(parse_error("log(x1 + )"), HasSubstr("expression \"log(x1 + )\": expected an operand at column 10"));
}

TEST(ExprErrors, MissingOperandSaysWhatWasFound) {
  EXPECT_THAT(parse_error("log(x1 + )"), HasSubstr("(found \")\")"));
}

TEST(ExprErrors, EmptyExpressionExpectsOperand) {
  EXPECT_THAT(parse_error("  "), HasSubstr("expected an operand at column 3"));
}

TEST(ExprErrors, UnknownFunctionListsKnownOnes) {
  EXPECT_THAT(parse_error("sinh(x1)"),
              HasSubstr("expression \"sinh(x1)\": unknown function \"sinh\" at column 1 "
                        "(known: sin, cos, tan, exp, log, sqrt, abs, tanh, relu, pow)"));
}

TEST(ExprErrors, TrailingOperandExpectsOperator) {
  EXPECT_THAT(parse_error("x1 x2"),
              HasSubstr("expression \"x1 x2\": expected an operator or the end of the expression at column 4"));
}

TEST(ExprErrors, ImplicitMultiplicationIsRejected) {
  EXPECT_THAT(parse_error("2x1"), HasSubstr("expected an operator or the end of the expression at column 2"));
}

TEST(ExprErrors, UnmatchedCloseIsRejected) {
  EXPECT_THAT(parse_error("x1 + 1)"), HasSubstr("expression \"x1 + 1)\": unexpected \")\" at column 7"));
}

TEST(ExprErrors, MissingCloseNamesTheOpening) {
  EXPECT_THAT(parse_error("2*(x1 + 2"),
              HasSubstr("expected \")\" at column 10 to close the \"(\" at column 3 (found the end of the expression)"));
}

TEST(ExprErrors, UnexpectedCharacterIsNamed) {
  EXPECT_THAT(parse_error("x1 # 2"), HasSubstr("expression \"x1 # 2\": unexpected character \"#\" at column 4"));
}

TEST(ExprErrors, UnaryPlusIsRejected) { EXPECT_THAT(parse_error("+x1"), HasSubstr("expected an operand at column 1")); }

TEST(ExprErrors, FunctionNeedsParenthesis) {
  EXPECT_THAT(parse_error("sin x1"), HasSubstr("expected \"(\" after the function name \"sin\" at column 5"));
}

TEST(ExprErrors, PowNeedsTwoArguments) {
  EXPECT_THAT(parse_error("pow(x1)"), HasSubstr("expected \",\" at column 7 (pow takes 2 arguments)"));
}

TEST(ExprErrors, UnaryFunctionTakesOneArgument) {
  EXPECT_THAT(parse_error("sin(x1, x2)"), HasSubstr("expected \")\" at column 7 (sin takes 1 argument)"));
}

TEST(ExprErrors, ExponentWithoutDigitsIsRejected) {
  EXPECT_THAT(parse_error("2e+ * x1"), HasSubstr("expected the digits of the exponent of \"2e+\" at column 4"));
}

TEST(ExprErrors, InfiniteNumberIsRejected) {
  EXPECT_THAT(parse_error("1e999 * x1"),
              HasSubstr("expression \"1e999 * x1\": number \"1e999\" at column 1 is out of the range of a double"));
}

TEST(ExprErrors, InfiniteFoldedConstantIsRejected) {
  EXPECT_THAT(parse_error("x1 + 1/0"),
              HasSubstr("expression \"x1 + 1/0\": the constant \"1/0\" at column 6 evaluates to inf"));
}

TEST(ExprErrors, NanFoldedConstantIsRejected) {
  EXPECT_THAT(parse_error("x1 * sqrt(-1)"), HasSubstr("the constant \"sqrt(-1)\" at column 6 evaluates to"));
}

TEST(ExprErrors, NegativeBaseWithVariableExponentIsRejected) {
  EXPECT_THAT(parse_error("(-2)^x1"),
              HasSubstr("the base \"(-2)\" (= -2) of the power at column 5 must be > 0 because its exponent "
                        "depends on a variable at column 1"));
}

TEST(ExprErrors, ZeroBaseWithVariableExponentIsRejected) {
  EXPECT_THAT(parse_error("pow(0, x1)"), HasSubstr("the base \"0\" (= 0) of the power"));
}

TEST(ExprErrors, NegativeBaseWithConstantExponentIsAllowed) { EXPECT_EQ(eval("(-2)^2 * x1", {1.5}), 6.0); }

TEST(ExprErrors, LongExpressionIsQuotedAroundTheColumn) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "x1+";
  text += "#";
  const std::string message = parse_error(text);
  EXPECT_THAT(message, HasSubstr("unexpected character \"#\" at column 1501"));
  EXPECT_THAT(message, HasSubstr("expression \"...")) << "the start of the text is elided";
  EXPECT_THAT(message, HasSubstr("x1+x1+#\":")) << "the text around the column is quoted";
  EXPECT_LT(message.size(), 300u);
}

// ---------------------------------------------------------------------------
// Deep input must neither overflow the stack nor be silently truncated.

std::string nested_parentheses(std::size_t depth) {
  return std::string(depth, '(') + "x1" + std::string(depth, ')');
}

TEST(ExprNesting, TenThousandParenthesesAreRejectedClearly) {
  EXPECT_THAT(parse_error(nested_parentheses(10000)), HasSubstr("nesting deeper than 200 levels at column"));
}

TEST(ExprNesting, MaxDepthParenthesesAreAccepted) {
  EXPECT_EQ(Expression::parse(nested_parentheses(Expression::max_depth)).evaluate(std::vector<double>{2.5}), 2.5);
}

TEST(ExprNesting, OneLevelBeyondMaxDepthIsRejected) {
  EXPECT_THAT(parse_error(nested_parentheses(Expression::max_depth + 1)), HasSubstr("nesting deeper than 200 levels"));
}

TEST(ExprNesting, LongUnaryMinusChainIsRejectedClearly) {
  EXPECT_THAT(parse_error(std::string(10000, '-') + "x1"), HasSubstr("nesting deeper than 200 levels"));
}

TEST(ExprNesting, LongPowerChainIsRejectedClearly) {
  std::string text = "x1";
  for (int i = 0; i < 10000; ++i) text += "^x1";
  EXPECT_THAT(parse_error(text), HasSubstr("nesting deeper than 200 levels"));
}

TEST(ExprNesting, HundredThousandTermSumEvaluates) {
  std::string text = "x1";
  for (int i = 1; i < 100000; ++i) text += "+x1";
  const Expression e = Expression::parse(text);
  EXPECT_EQ(e.nodes().size(), 100000u);  // x1 once, then 99999 additions
  EXPECT_EQ(e.evaluate(std::vector<double>{0.5}), 50000.0);
}

TEST(ExprNesting, HundredThousandTermSumEvaluatesOnDual) {
  std::string text = "x1";
  for (int i = 1; i < 100000; ++i) text += "+x1";
  const ad::Dual y = Expression::parse(text).evaluate(std::vector<ad::Dual>{ad::Dual(0.5, 1.0)});
  EXPECT_EQ(y.tangent, 100000.0);
}

// ---------------------------------------------------------------------------
// Repeated subexpressions: one node, computed once.

TEST(ExprSharing, ARepeatedSubexpressionIsOneNodeUsedTwice) {
  const Expression e = Expression::parse("exp(x1*x2) * (1 + exp(x1*x2))");
  // x1, x2, x1*x2, exp, 1, 1 + exp, the product: 7 nodes, not 10.
  ASSERT_EQ(e.nodes().size(), 7u);
  const grader::ExprNode& root = e.nodes().back();
  const grader::ExprNode& sum = e.nodes()[static_cast<std::size_t>(root.b)];
  EXPECT_EQ(sum.b, root.a) << "1 + exp(x1*x2) must use the same exp node as the left factor";
  EXPECT_EQ(e.evaluate(std::vector<double>{0.5, 0.25}), std::exp(0.125) * (1 + std::exp(0.125)));
}

TEST(ExprSharing, TheSharedNodeIsRecordedOnceOnATape) {
  // A backward sweep must pass the shared node's adjoint on once, after both
  // of its consumers: on the tape, exp(x1*x2) is one Var with two consumers.
  ad::Tape tape;
  std::vector<ad::Var> x{tape.variable(0.5), tape.variable(0.25)};
  const ad::Var y = Expression::parse("exp(x1*x2) * (1 + exp(x1*x2))").evaluate(x, [&](double c) { return tape.variable(c); });
  // x1, x2, x1*x2, exp, 1 + exp, the product.
  EXPECT_EQ(tape.size(), 6u);
  tape.backward(y);
  const double e = std::exp(0.125);
  EXPECT_NEAR(tape.adjoint(x[0]), (1 + 2 * e) * e * 0.25, 1e-15);
  EXPECT_NEAR(tape.adjoint(x[1]), (1 + 2 * e) * e * 0.5, 1e-15);
}

TEST(ExprSharing, ConstantsAsOperandsAreComparedByValue) {
  const Expression e = Expression::parse("x1*2 + x1*(1+1)");
  std::size_t products = 0;
  for (const grader::ExprNode& n : e.nodes()) products += n.op == ExprOp::mul ? 1 : 0;
  EXPECT_EQ(products, 1u);
  EXPECT_EQ(e.evaluate(std::vector<double>{3.0}), 12.0);
}

TEST(ExprSharing, DifferentOperandsAreNotShared) {
  const Expression e = Expression::parse("sin(x1) + sin(x2) + x1*x2 + x2*x1");
  std::size_t sines = 0, products = 0;
  for (const grader::ExprNode& n : e.nodes()) {
    sines += n.op == ExprOp::sin ? 1 : 0;
    products += n.op == ExprOp::mul ? 1 : 0;
  }
  EXPECT_EQ(sines, 2u);
  EXPECT_EQ(products, 2u);  // x1*x2 and x2*x1 are not the same call
}

// ---------------------------------------------------------------------------
// Constant folding.

std::size_t count_constants(const Expression& e) {
  std::size_t n = 0;
  for (const grader::ExprNode& node : e.nodes()) n += node.op == ExprOp::constant ? 1 : 0;
  return n;
}

TEST(ExprFolding, ProductOfConstantsIsOneNode) {
  const Expression e = Expression::parse("2*3*x1");
  EXPECT_EQ(count_constants(e), 1u);
  EXPECT_EQ(e.nodes().size(), 3u);
  EXPECT_EQ(e.nodes().front().value, 6.0);
}

TEST(ExprFolding, FoldingDoesNotReassociate) {
  // (2*x1)*3 keeps both constants: reassociating would change the rounding.
  EXPECT_EQ(count_constants(Expression::parse("2*x1*3")), 2u);
}

TEST(ExprFolding, FoldedFunctionUsesDoubleSemantics) {
  const Expression e = Expression::parse("sin(0.5)*x1 + relu(-3) + abs(-2)");
  EXPECT_EQ(e.nodes().front().value, std::sin(0.5));
  EXPECT_EQ(e.evaluate(std::vector<double>{2.0}), std::sin(0.5) * 2.0 + 0.0 + 2.0);
}

TEST(ExprFolding, FullyConstantExpressionIsOneNode) {
  const Expression e = Expression::parse("2*sin(1) + 3^2");
  EXPECT_TRUE(e.is_constant());
  ASSERT_EQ(e.nodes().size(), 1u);
  EXPECT_EQ(e.nodes()[0].value, 2.0 * std::sin(1.0) + 9.0);
}

TEST(ExprFolding, FullyConstantExpressionUsesMakeConstant) {
  const Expression e = Expression::parse("2*sin(1) + 3^2");
  std::vector<double> seen;
  const double y = e.evaluate(std::vector<double>{}, [&](double c) {
    seen.push_back(c);
    return c;
  });
  EXPECT_EQ(seen, std::vector<double>{2.0 * std::sin(1.0) + 9.0});
  EXPECT_EQ(y, seen.at(0));
}

TEST(ExprFolding, VariableExpressionNeverCallsMakeConstant) {
  const Expression e = Expression::parse("2*x1 + 1/x1 + x1^3 - 4");
  int calls = 0;
  e.evaluate(std::vector<double>{2.0}, [&](double c) {
    ++calls;
    return c;
  });
  EXPECT_EQ(calls, 0);
}

TEST(ExprFolding, DefaultExpressionIsConstantZero) {
  const Expression e;
  EXPECT_TRUE(e.is_constant());
  EXPECT_EQ(e.arity(), 0u);
  EXPECT_EQ(e.evaluate(std::vector<double>{}), 0.0);
}

TEST(ExprOperations, ListsDistinctOperationsInEnumOrder) {
  const Expression e = Expression::parse("sin(x1)^2 + pow(x2, x1) * sin(x1) + cos(2)");
  EXPECT_EQ(e.operations(), (std::vector<ExprOp>{ExprOp::add, ExprOp::mul, ExprOp::pow, ExprOp::sin}));
}

TEST(ExprOperations, NamesReadLikeTheExpression) {
  EXPECT_EQ(grader::to_string(ExprOp::pow), "pow");
  EXPECT_EQ(grader::to_string(ExprOp::neg), "unary -");
  EXPECT_EQ(grader::to_string(ExprOp::div), "/");
  EXPECT_EQ(grader::to_string(ExprOp::relu), "relu");
}

// ---------------------------------------------------------------------------
// Overload dispatch: a number type that records which of its functions ran.

namespace rec {

std::vector<std::string>& calls() {
  static std::vector<std::string> log;
  return log;
}

struct Num {
  double v = 0.0;
  /// Building from a double is what evaluation must avoid; it is recorded.
  explicit Num(double x) : v(x) { calls().emplace_back("T(double)"); }
  /// Results of operations, not recorded.
  Num(double x, bool /*internal*/) : v(x) {}
};

Num note(const char* what, double v) {
  calls().emplace_back(what);
  return Num(v, true);
}

Num operator+(const Num& a, const Num& b) { return note("T+T", a.v + b.v); }
Num operator+(const Num& a, double b) { return note("T+double", a.v + b); }
Num operator+(double a, const Num& b) { return note("double+T", a + b.v); }
Num operator-(const Num& a, const Num& b) { return note("T-T", a.v - b.v); }
Num operator-(const Num& a, double b) { return note("T-double", a.v - b); }
Num operator-(double a, const Num& b) { return note("double-T", a - b.v); }
Num operator*(const Num& a, const Num& b) { return note("T*T", a.v * b.v); }
Num operator*(const Num& a, double b) { return note("T*double", a.v * b); }
Num operator*(double a, const Num& b) { return note("double*T", a * b.v); }
Num operator/(const Num& a, const Num& b) { return note("T/T", a.v / b.v); }
Num operator/(const Num& a, double b) { return note("T/double", a.v / b); }
Num operator/(double a, const Num& b) { return note("double/T", a / b.v); }
Num operator-(const Num& a) { return note("-T", -a.v); }
Num pow(const Num& a, double b) { return note("pow(T,double)", std::pow(a.v, b)); }
Num pow(const Num& a, const Num& b) { return note("pow(T,T)", std::pow(a.v, b.v)); }
Num sin(const Num& a) { return note("sin(T)", std::sin(a.v)); }
Num cos(const Num& a) { return note("cos(T)", std::cos(a.v)); }
Num tan(const Num& a) { return note("tan(T)", std::tan(a.v)); }
Num exp(const Num& a) { return note("exp(T)", std::exp(a.v)); }
Num log(const Num& a) { return note("log(T)", std::log(a.v)); }
Num sqrt(const Num& a) { return note("sqrt(T)", std::sqrt(a.v)); }
Num abs(const Num& a) { return note("abs(T)", std::fabs(a.v)); }
Num tanh(const Num& a) { return note("tanh(T)", std::tanh(a.v)); }
Num relu(const Num& a) { return note("relu(T)", a.v > 0.0 ? a.v : 0.0); }

}  // namespace rec

struct DispatchCase {
  std::string name;
  std::string text;
  std::vector<std::string> calls;
};

void PrintTo(const DispatchCase& c, std::ostream* os) { *os << c.text; }

class ExprDispatch : public testing::TestWithParam<DispatchCase> {};

/// Evaluates `text` on Nums at (x1, x2) = (1.5, 2.5); returns the calls made.
std::vector<std::string> calls_of(const std::string& text, double* value = nullptr) {
  const Expression e = Expression::parse(text, {"x1", "x2"});
  const std::vector<rec::Num> x = {rec::Num(1.5, true), rec::Num(2.5, true)};
  rec::calls().clear();
  const rec::Num y = e.evaluate(x);
  if (value != nullptr) *value = y.v;
  return rec::calls();
}

TEST_P(ExprDispatch, CallsTheExpectedOverloads) {
  EXPECT_EQ(calls_of(GetParam().text), GetParam().calls) << GetParam().text;
}

TEST_P(ExprDispatch, ComputesTheSameValueAsDouble) {
  double value = 0.0;
  calls_of(GetParam().text, &value);
  EXPECT_EQ(value, Expression::parse(GetParam().text, {"x1", "x2"}).evaluate(std::vector<double>{1.5, 2.5}));
}

INSTANTIATE_TEST_SUITE_P(
    Overloads, ExprDispatch,
    testing::Values(DispatchCase{"VariableOnly", "x1", {}},
                    DispatchCase{"AddVariables", "x1 + x2", {"T+T"}},
                    DispatchCase{"AddConstantRight", "x1 + 2", {"T+double"}},
                    DispatchCase{"AddConstantLeft", "2 + x1", {"double+T"}},
                    DispatchCase{"SubVariables", "x1 - x2", {"T-T"}},
                    DispatchCase{"SubConstantRight", "x1 - 1", {"T-double"}},
                    DispatchCase{"SubConstantLeft", "1 - x1", {"double-T"}},
                    DispatchCase{"MulVariables", "x1 * x2", {"T*T"}},
                    DispatchCase{"MulConstantRight", "x1 * 2", {"T*double"}},
                    DispatchCase{"MulConstantLeft", "2 * x1", {"double*T"}},
                    DispatchCase{"MulFoldedConstant", "2 * 3 * x1", {"double*T"}},
                    DispatchCase{"DivVariables", "x1 / x2", {"T/T"}},
                    DispatchCase{"DivConstantRight", "x1 / 2", {"T/double"}},
                    DispatchCase{"DivConstantLeft", "1 / x1", {"double/T"}},
                    DispatchCase{"Neg", "-x1", {"-T"}},
                    DispatchCase{"PowConstantExponent", "x1 ^ 3", {"pow(T,double)"}},
                    DispatchCase{"PowCallConstantExponent", "pow(x1, 3)", {"pow(T,double)"}},
                    DispatchCase{"PowVariables", "x1 ^ x2", {"pow(T,T)"}},
                    DispatchCase{"PowConstantBase", "2 ^ x1", {"T*double", "exp(T)"}},
                    DispatchCase{"Sin", "sin(x1)", {"sin(T)"}},
                    DispatchCase{"Cos", "cos(x1)", {"cos(T)"}},
                    DispatchCase{"Tan", "tan(x1)", {"tan(T)"}},
                    DispatchCase{"Exp", "exp(x1)", {"exp(T)"}},
                    DispatchCase{"Log", "log(x1)", {"log(T)"}},
                    DispatchCase{"Sqrt", "sqrt(x1)", {"sqrt(T)"}},
                    DispatchCase{"Abs", "abs(x1)", {"abs(T)"}},
                    DispatchCase{"Tanh", "tanh(x1)", {"tanh(T)"}},
                    DispatchCase{"Relu", "relu(x1)", {"relu(T)"}},
                    DispatchCase{"PostfixOrder", "sin(x1) * x2 + 1", {"sin(T)", "T*T", "T+double"}}),
    [](const testing::TestParamInfo<DispatchCase>& param_info) { return param_info.param.name; });

TEST(ExprDispatchConstant, DefaultMakeConstantBuildsFromDoubleOnce) {
  const Expression e = Expression::parse("2 * 3", {"x1"});
  rec::calls().clear();
  const rec::Num y = e.evaluate(std::vector<rec::Num>{rec::Num(1.0, true)});
  EXPECT_EQ(rec::calls(), std::vector<std::string>{"T(double)"});
  EXPECT_EQ(y.v, 6.0);
}

// ---------------------------------------------------------------------------
// The reference's AD types: the derivatives of log(x1) + x1*x2 - sin(x2) at (2, 5).

const char* const combined = "log(x1) + x1*x2 - sin(x2)";

TEST(ExprAd, DualGivesPartialDerivativeInX1) {
  const ad::Dual y = Expression::parse(combined).evaluate(std::vector<ad::Dual>{ad::Dual(2.0, 1.0), ad::Dual(5.0, 0.0)});
  EXPECT_NEAR(y.value, std::log(2.0) + 10.0 - std::sin(5.0), 1e-14);
  EXPECT_NEAR(y.tangent, 5.5, 1e-14);
}

TEST(ExprAd, DualGivesPartialDerivativeInX2) {
  const ad::Dual y = Expression::parse(combined).evaluate(std::vector<ad::Dual>{ad::Dual(2.0, 0.0), ad::Dual(5.0, 1.0)});
  EXPECT_NEAR(y.tangent, 2.0 - std::cos(5.0), 1e-14);
}

TEST(ExprAd, VarGivesGradient) {
  ad::Tape tape;
  const std::vector<ad::Var> x = {tape.variable(2.0), tape.variable(5.0)};
  const ad::Var y = Expression::parse(combined).evaluate(x, [&](double c) { return tape.variable(c); });
  tape.backward(y);
  EXPECT_NEAR(y.value(), std::log(2.0) + 10.0 - std::sin(5.0), 1e-14);
  EXPECT_NEAR(tape.adjoint(x[0]), 5.5, 1e-14);
  EXPECT_NEAR(tape.adjoint(x[1]), 2.0 - std::cos(5.0), 1e-14);
}

TEST(ExprAd, VarRecordsNoConstantNodes) {
  // Constants go through the mixed overloads, so the tape holds the two inputs
  // and one node per operation: 2*x1 + 3 records two.
  ad::Tape tape;
  const std::vector<ad::Var> x = {tape.variable(2.0)};
  Expression::parse("2*x1 + 3").evaluate(x, [&](double c) { return tape.variable(c); });
  EXPECT_EQ(tape.size(), 3u);
}

TEST(ExprAd, VarConstantExpressionUsesMakeConstant) {
  ad::Tape tape;
  const std::vector<ad::Var> x = {tape.variable(2.0)};
  const ad::Var y = Expression::parse("2*3", {"x1"}).evaluate(x, [&](double c) { return tape.variable(c); });
  EXPECT_EQ(y.value(), 6.0);
  EXPECT_EQ(y.tape(), &tape);
}

TEST(ExprAd, DualConstantBaseUsesExpRule) {
  // 2^x1 = exp(x1 log 2): derivative 2^x1 log 2.
  const ad::Dual y = Expression::parse("2^x1").evaluate(std::vector<ad::Dual>{ad::Dual(3.0, 1.0)});
  EXPECT_NEAR(y.value, 8.0, 1e-14);
  EXPECT_NEAR(y.tangent, 8.0 * std::log(2.0), 1e-13);
}

// ---------------------------------------------------------------------------
// The probe includes expr.hpp against a student's headers: it must stay light.

TEST(ExprHeader, IncludesOnlyStandardHeaders) {
  std::ifstream in(std::string(ADC_SOURCE_DIR) + "/grader/include/grader/expr.hpp");
  ASSERT_TRUE(in) << "cannot open expr.hpp";
  std::string line;
  int includes = 0;
  while (std::getline(in, line)) {
    if (line.rfind("#include", 0) != 0) continue;
    ++includes;
    EXPECT_THAT(line, testing::StartsWith("#include <")) << "expr.hpp must include only standard headers";
    EXPECT_THAT(line, testing::Not(HasSubstr("nlohmann")));
  }
  EXPECT_GT(includes, 0);
}

}  // namespace
