// Backoff: capped exponential reconnect delays with full jitter.
#include "core/backoff.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace vend::edge::core {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, CeilingDoublesPerFailureUpToTheCap) {
  Backoff b(500ms, 30000ms);
  std::vector<std::chrono::milliseconds> ceilings;
  for (int i = 0; i < 9; ++i) {
    ceilings.push_back(b.CurrentCeiling());
    (void)b.NextDelay(0.5);
  }
  EXPECT_EQ(ceilings, (std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms, 4000ms, 8000ms,
                                                              16000ms, 30000ms, 30000ms, 30000ms}));
}

TEST(Backoff, FullJitterSpansZeroToTheCeiling) {
  Backoff low(500ms, 30000ms), high(500ms, 30000ms);
  EXPECT_EQ(low.NextDelay(0.0), 0ms);
  EXPECT_EQ(high.NextDelay(0.999), 499ms);
  EXPECT_EQ(low.NextDelay(0.5), 500ms);  // second failure: ceiling 1000 ms
}

TEST(Backoff, ResetStartsOverFromTheInitialDelay) {
  Backoff b(500ms, 30000ms);
  for (int i = 0; i < 5; ++i) (void)b.NextDelay(0.5);
  b.Reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.CurrentCeiling(), 500ms);
}

TEST(Backoff, ManyFailuresNeverExceedTheCap) {
  Backoff b(500ms, 30000ms);
  for (int i = 0; i < 1000; ++i) EXPECT_LE(b.NextDelay(0.9999), 30000ms);
}

TEST(Backoff, AFleetSpreadsItsReconnectsOverTheInterval) {
  // 1,000 machines failing once with evenly spread random numbers land in every tenth of
  // the first interval, not all at its start.
  std::array<int, 10> buckets{};
  for (int m = 0; m < 1000; ++m) {
    Backoff b(1000ms, 30000ms);
    auto d = b.NextDelay((m + 0.5) / 1000.0);
    buckets[static_cast<size_t>(d.count() / 100)]++;
  }
  for (int n : buckets) EXPECT_EQ(n, 100);
}

}  // namespace
}  // namespace vend::edge::core
