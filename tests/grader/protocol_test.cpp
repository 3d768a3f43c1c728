// Tests of grader/protocol.hpp: the request (JSON) and the results channel (lines).
#include "grader/protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

using grader::protocol::Channel;
using grader::protocol::decode_channel;
using grader::protocol::MatrixData;
using grader::protocol::Request;
using grader::protocol::Task;
using grader::protocol::TaskKind;
using testing::HasSubstr;

/// The bits of a double, so that -0.0 and NaN compare exactly.
std::uint64_t bits(double v) {
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// Expects two vectors of doubles to hold the same bits.
void expect_same_bits(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(bits(got[i]), bits(want[i])) << "entry " << i << ": got " << got[i] << ", want " << want[i];
}

/// Values a text format is likely to mangle.
const std::vector<double> awkward = {
    std::numeric_limits<double>::quiet_NaN(),
    std::numeric_limits<double>::infinity(),
    -std::numeric_limits<double>::infinity(),
    -0.0,
    0.0,
    std::numeric_limits<double>::denorm_min(),
    -3.0 * std::numeric_limits<double>::denorm_min(),
    std::numeric_limits<double>::min() / 3.0,
    1e308,
    -std::numeric_limits<double>::max(),
    0.1,
    1.0 / 3.0,
};

TEST(ProtocolRequest, RoundTripsEveryField) {
  Request r;
  r.start = 3;
  r.check_cpu_seconds = 0.25;
  Task a;
  a.kind = TaskKind::jacobian_reverse;
  a.functions = {"x*y", "sin(x) + \"y\""};
  a.variables = {"x", "y"};
  a.point = {2.0, 5.0};
  Task b;
  b.kind = TaskKind::network_step;
  b.matrices = {MatrixData{2, 3, {1, 2, 3, 4, 5, 6}}, MatrixData{1, 1, {7}}};
  b.scalars = {0.5, 0.1};
  b.steps = 10;
  Task c;
  c.kind = TaskKind::timing;
  c.timing.sizes = {8, 32};
  c.timing.budget_seconds = 1.5;
  c.timing.first_call_seconds = 0.125;
  r.tasks = {a, b, c};
  const Request d = grader::protocol::decode_request(grader::protocol::encode_request(r));
  EXPECT_EQ(d.start, 3u);
  EXPECT_EQ(d.check_cpu_seconds, 0.25);
  ASSERT_EQ(d.tasks.size(), 3u);
  EXPECT_EQ(d.tasks[0].kind, TaskKind::jacobian_reverse);
  EXPECT_EQ(d.tasks[0].functions, a.functions);
  EXPECT_EQ(d.tasks[0].variables, a.variables);
  EXPECT_EQ(d.tasks[0].point, a.point);
  EXPECT_EQ(d.tasks[1].kind, TaskKind::network_step);
  ASSERT_EQ(d.tasks[1].matrices.size(), 2u);
  EXPECT_EQ(d.tasks[1].matrices[0].rows, 2u);
  EXPECT_EQ(d.tasks[1].matrices[0].cols, 3u);
  EXPECT_EQ(d.tasks[1].matrices[0].values, b.matrices[0].values);
  EXPECT_EQ(d.tasks[1].matrices[1].values, b.matrices[1].values);
  EXPECT_EQ(d.tasks[1].scalars, b.scalars);
  EXPECT_EQ(d.tasks[1].steps, 10);
  EXPECT_EQ(d.tasks[2].timing.sizes, c.timing.sizes);
  EXPECT_EQ(d.tasks[2].timing.budget_seconds, 1.5);
  EXPECT_EQ(d.tasks[2].timing.first_call_seconds, 0.125);
}

TEST(ProtocolRequest, RoundTripsSpecialValuesBitwise) {
  Request r;
  Task t;
  t.kind = TaskKind::vjp_scale;
  t.point = awkward;
  t.matrices = {MatrixData{3, 4, awkward}};
  t.scalars = awkward;
  r.tasks = {t};
  const Request d = grader::protocol::decode_request(grader::protocol::encode_request(r));
  ASSERT_EQ(d.tasks.size(), 1u);
  expect_same_bits(d.tasks[0].point, awkward);
  ASSERT_EQ(d.tasks[0].matrices.size(), 1u);
  expect_same_bits(d.tasks[0].matrices[0].values, awkward);
  expect_same_bits(d.tasks[0].scalars, awkward);
}

TEST(ProtocolRequest, MalformedTextThrows) {
  EXPECT_THROW(grader::protocol::decode_request("{\"start\": 0, \"tasks\": [{\"kind\": \"forward_gradient\"}]}"),
               std::runtime_error);
}

TEST(ProtocolChannel, OkRepliesRoundTripBitwise) {
  const std::vector<double> second = {1.5, -2.0};
  const Channel ch = decode_channel(grader::protocol::encode_ok(0, awkward) + grader::protocol::encode_ok(4, second) +
                                    grader::protocol::encode_end());
  EXPECT_EQ(ch.problem, "");
  EXPECT_TRUE(ch.ended);
  ASSERT_EQ(ch.replies.size(), 2u);
  EXPECT_EQ(ch.replies[0].task, 0u);
  EXPECT_TRUE(ch.replies[0].ok);
  expect_same_bits(ch.replies[0].values, awkward);
  EXPECT_EQ(ch.replies[1].task, 4u);
  expect_same_bits(ch.replies[1].values, second);
}

TEST(ProtocolChannel, EmptyOkReplyHasNoValues) {
  const Channel ch = decode_channel(grader::protocol::encode_ok(2, {}));
  EXPECT_EQ(ch.problem, "");
  ASSERT_EQ(ch.replies.size(), 1u);
  EXPECT_TRUE(ch.replies[0].values.empty());
  EXPECT_FALSE(ch.ended);
}

TEST(ProtocolChannel, GarbageLineIsAProblem) {
  const Channel ch = decode_channel(grader::protocol::encode_ok(0, {1.0}) + "hello from printf\n");
  EXPECT_THAT(ch.problem, HasSubstr("line 2"));
  EXPECT_THAT(ch.problem, HasSubstr("hello from printf"));
  EXPECT_EQ(ch.replies.size(), 1u);
}

TEST(ProtocolChannel, CountMismatchIsAProblem) {
  const Channel ch = decode_channel("T 0 OK 2 0x1p+0\n");
  EXPECT_THAT(ch.problem, HasSubstr("line 1"));
  EXPECT_TRUE(ch.replies.empty());
}

TEST(ProtocolChannel, NonIncreasingTaskNumbersAreAProblem) {
  for (const std::string text : {"T 2 OK 0\nT 2 OK 0\n", "T 2 OK 0\nT 1 OK 0\n"}) {
    const Channel ch = decode_channel(text);
    EXPECT_THAT(ch.problem, HasSubstr("line 2")) << text;
    EXPECT_THAT(ch.problem, HasSubstr("repeats or reorders")) << text;
    EXPECT_EQ(ch.replies.size(), 1u) << text;
  }
}

TEST(ProtocolChannel, LineAfterEndIsAProblem) {
  const Channel ch = decode_channel("T 0 OK 0\nEND\nT 1 OK 0\n");
  EXPECT_TRUE(ch.ended);
  EXPECT_THAT(ch.problem, HasSubstr("comes after END"));
  EXPECT_EQ(ch.replies.size(), 1u);
}

TEST(ProtocolChannel, CutOffLastLineIsIgnored) {
  const Channel ch = decode_channel(grader::protocol::encode_ok(0, {1.0}) + "T 1 OK 3 0x1p+0 0x1");
  EXPECT_EQ(ch.problem, "");
  EXPECT_FALSE(ch.ended);
  ASSERT_EQ(ch.replies.size(), 1u);
  EXPECT_EQ(ch.replies[0].task, 0u);
}

TEST(ProtocolChannel, ErrLineKeepsCategoryAndMessage) {
  const Channel ch =
      decode_channel(grader::protocol::encode_error(3, "not_implemented", "ad::sin(Dual): not implemented yet"));
  EXPECT_EQ(ch.problem, "");
  ASSERT_EQ(ch.replies.size(), 1u);
  EXPECT_EQ(ch.replies[0].task, 3u);
  EXPECT_FALSE(ch.replies[0].ok);
  EXPECT_EQ(ch.replies[0].category, "not_implemented");
  EXPECT_EQ(ch.replies[0].message, "ad::sin(Dual): not implemented yet");
}

TEST(ProtocolChannel, EncodeErrorFlattensNewlines) {
  const std::string line = grader::protocol::encode_error(0, "exception", "first\nsecond\r\nthird");
  EXPECT_EQ(line, "T 0 ERR exception first second  third\n");
  const Channel ch = decode_channel(line);
  ASSERT_EQ(ch.replies.size(), 1u);
  EXPECT_EQ(ch.replies[0].message, "first second  third");
}

}  // namespace
