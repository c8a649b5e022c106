// OutboxDrainer: what the edge publishes, when, and what an ack lets it drop.
#include "core/outbox_drainer.h"

#include <gtest/gtest.h>

namespace vend::edge::core {
namespace {

using namespace std::chrono_literals;
using Kind = OutboxDrainer::AckKind;

constexpr auto kTimeout = 1000ms;

OutboxDrainer Connected(size_t window = 2, size_t batch = 10, int64_t acked = 0) {
  OutboxDrainer d(DrainerOptions{batch, window, kTimeout, 8}, acked);
  d.OnConnected();
  return d;
}

const OutboxDrainer::TimePoint t0{};

TEST(OutboxDrainer, SendsNothingWhileDisconnected) {
  OutboxDrainer d(DrainerOptions{10, 2, kTimeout, 8}, 0);
  EXPECT_FALSE(d.NextSend());
  d.OnConnected();
  d.OnDisconnected();
  EXPECT_FALSE(d.NextSend());
}

TEST(OutboxDrainer, StartsAfterTheStoredAckInBatchesOfTheConfiguredSize) {
  auto d = Connected(2, 10, /*acked=*/41);
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 41);
  EXPECT_EQ(next->limit, 10u);
}

TEST(OutboxDrainer, ContinuesAfterEachPublishedBatch) {
  auto d = Connected();
  d.OnPublished(1, 10, t0);
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 10);
}

TEST(OutboxDrainer, StopsWhenTheWindowIsFull) {
  auto d = Connected(/*window=*/2);
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0);
  EXPECT_FALSE(d.NextSend());
  EXPECT_EQ(d.in_flight(), 2u);
}

TEST(OutboxDrainer, AnAckOpensTheWindowAndSaysWhatToDrop) {
  auto d = Connected(2);
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0);
  auto ack = d.OnAck(10, 20, t0 + 1ms);
  EXPECT_EQ(ack.kind, Kind::kAdvance);
  EXPECT_EQ(ack.acknowledge_upto, 10);
  EXPECT_EQ(d.in_flight(), 1u);
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 20);
}

TEST(OutboxDrainer, AnAckInsideABatchKeepsThatBatchInFlight) {
  auto d = Connected(1);
  d.OnPublished(1, 10, t0);
  EXPECT_EQ(d.OnAck(5, 10, t0).kind, Kind::kAdvance);
  EXPECT_EQ(d.in_flight(), 1u);
  EXPECT_FALSE(d.NextSend());
}

TEST(OutboxDrainer, ADuplicateAckChangesNothing) {
  auto d = Connected();
  d.OnPublished(1, 10, t0);
  ASSERT_EQ(d.OnAck(10, 10, t0).kind, Kind::kAdvance);
  EXPECT_EQ(d.OnAck(10, 10, t0).kind, Kind::kDuplicate);
  EXPECT_EQ(d.acked_seq(), 10);
}

TEST(OutboxDrainer, AStaleAckArrivingOutOfOrderIsIgnored) {
  auto d = Connected();
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0);
  ASSERT_EQ(d.OnAck(20, 20, t0).kind, Kind::kAdvance);
  EXPECT_EQ(d.OnAck(10, 20, t0).kind, Kind::kStale);
  EXPECT_EQ(d.acked_seq(), 20);
  EXPECT_EQ(d.in_flight(), 0u);
}

TEST(OutboxDrainer, AnAckBeyondTheNewestEventIsInvalidAndDropsNothing) {
  auto d = Connected();
  d.OnPublished(1, 10, t0);
  EXPECT_EQ(d.OnAck(11, 10, t0).kind, Kind::kInvalid);
  EXPECT_EQ(d.acked_seq(), 0);
  EXPECT_EQ(d.in_flight(), 1u);
}

TEST(OutboxDrainer, AnAckForEventsNotYetSentThisConnectionSkipsThem) {
  // A previous connection sent 1..30; its ack arrives after the reconnect rewound.
  auto d = Connected(2, 10, 0);
  d.OnPublished(1, 10, t0);
  EXPECT_EQ(d.OnAck(30, 40, t0).kind, Kind::kAdvance);
  EXPECT_EQ(d.in_flight(), 0u);
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 30);
}

TEST(OutboxDrainer, AReconnectResendsEverythingAboveTheLastAck) {
  auto d = Connected(3);
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0);
  d.OnPublished(21, 30, t0);
  ASSERT_EQ(d.OnAck(10, 30, t0).kind, Kind::kAdvance);
  d.OnDisconnected();
  EXPECT_FALSE(d.NextSend());
  d.OnConnected();
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 10);
  EXPECT_EQ(d.in_flight(), 0u);
}

TEST(OutboxDrainer, NoAckDeadlineWhileNothingIsInFlight) {
  auto d = Connected();
  EXPECT_FALSE(d.AckDeadline());
  EXPECT_FALSE(d.CheckAckTimeout(t0 + 1h));
}

TEST(OutboxDrainer, AnAckTimeoutRewindsToTheLastAck) {
  auto d = Connected(2);
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0 + 10ms);
  EXPECT_FALSE(d.CheckAckTimeout(t0 + kTimeout - 1ms));
  EXPECT_TRUE(d.CheckAckTimeout(t0 + kTimeout));
  EXPECT_EQ(d.in_flight(), 0u);
  auto next = d.NextSend();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->after_seq, 0);
}

TEST(OutboxDrainer, ASlowButAdvancingCloudDoesNotTimeOut) {
  auto d = Connected(3);
  d.OnPublished(1, 10, t0);
  d.OnPublished(11, 20, t0);
  d.OnPublished(21, 30, t0);
  ASSERT_EQ(d.OnAck(10, 30, t0 + 900ms).kind, Kind::kAdvance);
  ASSERT_EQ(d.OnAck(20, 30, t0 + 1800ms).kind, Kind::kAdvance);
  EXPECT_FALSE(d.CheckAckTimeout(t0 + 2500ms));
  EXPECT_TRUE(d.CheckAckTimeout(t0 + 2800ms));
}

TEST(OutboxDrainer, ConsecutiveTimeoutsWaitLongerUpToTheCap) {
  auto d = Connected(1);
  auto now = t0;
  std::vector<std::chrono::milliseconds> waits;
  for (int i = 0; i < 6; ++i) {
    d.OnPublished(1, 10, now);
    auto deadline = d.AckDeadline();
    ASSERT_TRUE(deadline);
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now));
    ASSERT_TRUE(d.CheckAckTimeout(*deadline));
    now = *deadline;
  }
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{1000ms, 2000ms, 4000ms, 8000ms, 8000ms,
                                                           8000ms}));
}

TEST(OutboxDrainer, AnAdvancingAckResetsTheTimeoutBackoff) {
  auto d = Connected(1);
  d.OnPublished(1, 10, t0);
  ASSERT_TRUE(d.CheckAckTimeout(t0 + kTimeout));
  d.OnPublished(1, 10, t0 + kTimeout);
  ASSERT_EQ(d.OnAck(10, 10, t0 + kTimeout).kind, Kind::kAdvance);
  d.OnPublished(11, 20, t0 + kTimeout);
  EXPECT_EQ(*d.AckDeadline(), t0 + 2 * kTimeout);
}

TEST(OutboxDrainer, APublishThatDoesNotFollowTheLastOneIsIgnored) {
  auto d = Connected();
  d.OnPublished(1, 10, t0);
  d.OnPublished(5, 12, t0);  // overlaps: not what NextSend asked for
  EXPECT_EQ(d.sent_upto(), 10);
  EXPECT_EQ(d.in_flight(), 1u);
}

}  // namespace
}  // namespace vend::edge::core
