// Tests that recording on the tape allocates no heap memory per operation.
// This executable replaces the global operator new to count calls, so it is
// kept apart from the other tests.
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "ad/tape.hpp"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

void* counted_alloc(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

/// Counts the operator new calls made while it is alive.
class AllocationCounter {
 public:
  AllocationCounter() {
    allocations = 0;
    counting = true;
  }
  ~AllocationCounter() { counting = false; }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  /// Stops counting and returns the number of calls so far.
  std::size_t stop() {
    counting = false;
    return allocations;
  }
};

/// Records `steps` iterations of x ← 0.999999·x + 1e-7 (two nodes each).
ad::Var record_chain(ad::Tape& tape, std::size_t steps) {
  ad::Var x = tape.variable(1.0);
  for (std::size_t k = 0; k < steps; ++k) x = x * 0.999999 + 1e-7;
  return x;
}

constexpr std::size_t kSteps = 500'000;  // 1,000,000 recorded operations

TEST(TapeAllocation, ReservedTapeRecordsWithoutAllocating) {
  ad::Tape tape;
  tape.reserve(2 * kSteps + 1);
  AllocationCounter counter;
  const ad::Var y = record_chain(tape, kSteps);
  const std::size_t n = counter.stop();
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(tape.size(), 2 * kSteps + 1);
  EXPECT_EQ(y.index(), 2 * kSteps);
}

TEST(TapeAllocation, UnreservedTapeAllocatesLogarithmically) {
  // Geometric growth of a few arrays: about log2(10^6) = 20 reallocations each.
  ad::Tape tape;
  AllocationCounter counter;
  record_chain(tape, kSteps);
  const std::size_t n = counter.stop();
  EXPECT_LT(n, 200u);
  EXPECT_EQ(tape.size(), 2 * kSteps + 1);
}

TEST(TapeAllocation, BackwardOnReservedTapeDoesNotAllocate) {
  ad::Tape tape;
  tape.reserve(2 * kSteps + 1);
  const ad::Var y = record_chain(tape, kSteps);
  AllocationCounter counter;
  tape.backward(y);
  const std::size_t n = counter.stop();
  EXPECT_EQ(n, 0u);
  EXPECT_GT(tape.adjoint(y), 0.0);
}

TEST(TapeAllocation, ClearKeepsMemoryForTheNextRecording) {
  ad::Tape tape;
  record_chain(tape, kSteps);
  tape.clear();
  AllocationCounter counter;
  record_chain(tape, kSteps);
  const std::size_t n = counter.stop();
  EXPECT_EQ(n, 0u);
}

TEST(TapeAllocation, CounterSeesAllocations) {
  // Guards the other tests: a counter that never counts would pass them all.
  // The first node on an empty tape must allocate its arrays.
  ad::Tape tape;
  AllocationCounter counter;
  tape.variable(1.0);
  const std::size_t n = counter.stop();
  EXPECT_GE(n, 2u);
}

}  // namespace

// The plain and nothrow allocation forms go through the counter. The aligned
// forms are left alone: nothing the tape stores is over-aligned.
void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
