// Process-wide settings. malloc's thresholds are process-wide and cannot be put back, so this file
// is its own executable and its one test goes through the states in order.

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "geosr/core/runtime.hpp"

namespace geosr {
namespace {

#ifdef __GLIBC__
// Where the block goes, so the compiler cannot drop the allocation.
char* volatile held = nullptr;

// Bytes malloc holds in mmap'ed blocks while a block of `bytes` is alive (touched, as a tensor is).
size_t mapped_while_holding(size_t bytes) {
  char* block = held = static_cast<char*>(std::malloc(bytes));
  std::memset(block, 1, bytes);
  const size_t mapped = mallinfo2().hblkhd;
  std::free(block);
  return mapped;
}

TEST(Runtime, FreedActivationSizedBlocksStayInTheHeapUnlessTheUserTunedMallocUntilReleased) {
  constexpr size_t kBlock = size_t{100} << 20;  // bigger than glibc's largest dynamic threshold
  const size_t before = mallinfo2().hblkhd;
  // A user's own malloc tuning wins: nothing changes, the block is mmap'ed.
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1), 0);
  keep_freed_memory();
  EXPECT_GE(mapped_while_holding(kBlock), before + kBlock);
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  keep_freed_memory();
  EXPECT_LT(mapped_while_holding(kBlock), before + kBlock);
  // Freed, it stays with the process for the next batch instead of going back to the kernel.
  EXPECT_GE(mallinfo2().fordblks, kBlock);

  // Near its RAM limit a run hands the free pages back: the resident set drops by the block.
  const auto block = static_cast<double>(kBlock);
  const double kept = resident_bytes();
  ASSERT_GT(kept, block);
  release_free_heap();
  const double released = resident_bytes();
  EXPECT_LT(released, kept - 0.9 * block);
  // The peak after a reset forgets the block held before it and sees the next one.
  reset_peak_resident();
  EXPECT_LT(peak_resident_bytes(), kept - 0.5 * block);
  mapped_while_holding(kBlock);
  EXPECT_GE(peak_resident_bytes(), released + 0.9 * block);
}
#endif

}  // namespace
}  // namespace geosr
