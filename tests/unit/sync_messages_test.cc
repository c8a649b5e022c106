#include "vend/sync_messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vend/ids.h"
#include "vend/topics.h"

namespace vend::schemas {
namespace {

using nlohmann::json;

Event StockEvent(int64_t seq) {
  return Event{seq, NewUuid(), NowIso8601(), StockChanged{1, 5, "sale"}};
}

TEST(EventBatchCodec, RoundTrips) {
  EventBatch b{"vm-1", {StockEvent(3), StockEvent(4), StockEvent(9)}};
  auto back = DecodeEventBatch(EncodeEventBatch(b));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->machine, "vm-1");
  ASSERT_EQ(back->events.size(), 3u);
  EXPECT_EQ(back->events[2].seq, 9);
}

TEST(EventBatchCodec, RejectsUnorderedEmptyOrBadMachine) {
  EXPECT_FALSE(DecodeEventBatch(EncodeEventBatch({"vm-1", {StockEvent(4), StockEvent(4)}})).ok());
  EXPECT_FALSE(DecodeEventBatch(EncodeEventBatch({"vm-1", {StockEvent(5), StockEvent(4)}})).ok());
  EXPECT_FALSE(DecodeEventBatch(EncodeEventBatch({"vm-1", {}})).ok());
  EXPECT_FALSE(DecodeEventBatch(EncodeEventBatch({"vm/1", {StockEvent(1)}})).ok());
  EXPECT_FALSE(DecodeEventBatch(json::parse(R"({"machine":"vm-1"})")).ok());
}

TEST(EventBatchCodec, RejectsTooManyEvents) {
  EventBatch b{"vm-1", {}};
  for (int64_t i = 1; i <= static_cast<int64_t>(kMaxBatchEvents) + 1; ++i) {
    b.events.push_back(StockEvent(i));
  }
  EXPECT_FALSE(DecodeEventBatch(EncodeEventBatch(b)).ok());
}

TEST(AckCodec, RoundTripsAndRejectsNegative) {
  EXPECT_EQ(DecodeAck(EncodeAck({42}))->upto, 42);
  EXPECT_FALSE(DecodeAck(json::parse(R"({"upto":-1})")).ok());
  EXPECT_FALSE(DecodeAck(json::parse(R"({"upto":"1"})")).ok());
}

TEST(TelemetryCodec, RoundTrips) {
  Telemetry t{NowIso8601(), 4.5, false, 3600, 2, {{1, 9}, {2, 0}}, "0.1.0"};
  auto back = DecodeTelemetry(EncodeTelemetry(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_DOUBLE_EQ(back->temperature_c, 4.5);
  EXPECT_EQ(back->stock.at(1), 9);
}

TEST(TelemetryCodec, RejectsBadStockAndTemperature) {
  json j = EncodeTelemetry({NowIso8601(), 4.5, false, 1, 0, {{1, 9}}, "0.1.0"});
  j["stock"]["abc"] = 1;
  EXPECT_FALSE(DecodeTelemetry(j).ok());
  j = EncodeTelemetry({NowIso8601(), 4.5, false, 1, 0, {{1, 9}}, "0.1.0"});
  j["temperature_c"] = 1000;
  EXPECT_FALSE(DecodeTelemetry(j).ok());
}

TEST(PresenceCodec, RoundTripsTheWillForm) {
  auto back = DecodePresence(EncodePresence({false, std::nullopt, std::nullopt}));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->online);
  EXPECT_FALSE(DecodePresence(json::parse(R"({"online":"yes"})")).ok());
}

TEST(Topics, BuildsAndParsesTheTree) {
  EXPECT_EQ(Topic("vm-1", TopicKind::kEvents), "vend/v1/m/vm-1/events");
  EXPECT_EQ(AllMachinesFilter(TopicKind::kStatus), "vend/v1/m/+/status");
  auto p = ParseTopic("vend/v1/m/vm-1/commands");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->machine, "vm-1");
  EXPECT_EQ(p->kind, TopicKind::kCommands);
  EXPECT_FALSE(ParseTopic("vend/v1/m/vm-1/commands/x"));
  EXPECT_FALSE(ParseTopic("vend/v1/m/vm+1/events"));
  EXPECT_FALSE(ParseTopic("vend/v2/m/vm-1/events"));
  EXPECT_FALSE(ParseTopic("vend/v1/m//events"));
}

}  // namespace
}  // namespace vend::schemas
