// Validation of what machines publish: every rogue payload is rejected with its reason.
#include "core/inbound.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vend::cloud::core {
namespace {

using nlohmann::json;

json StockEvent(int64_t seq, const std::string& type = "stock.changed") {
  return {{"seq", seq},
          {"id", "00000000-0000-7000-8000-00000000000" + std::to_string(seq % 10)},
          {"type", type},
          {"at", "2026-01-01T00:00:00.000Z"},
          {"data", {{"product_id", 1}, {"count", 5}, {"cause", "sale"}}}};
}

std::string Batch(const std::string& machine, std::vector<json> events) {
  return json{{"machine", machine}, {"events", events}}.dump();
}

TEST(ParseEventBatch, AcceptsAValidBatch) {
  auto b = ParseEventBatch("vm-1", Batch("vm-1", {StockEvent(1), StockEvent(2)}));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->events.size(), 2u);
}

TEST(ParseEventBatch, RejectsGarbageAsBadJson) {
  EXPECT_EQ(ParseEventBatch("vm-1", "{not json").status().reason(), "bad_json");
  EXPECT_EQ(ParseEventBatch("vm-1", "[1,2]").status().reason(), "bad_json");
}

TEST(ParseEventBatch, RejectsAMachineThatDiffersFromTheTopic) {
  EXPECT_EQ(ParseEventBatch("vm-1", Batch("vm-2", {StockEvent(1)})).status().reason(),
            "machine_mismatch");
}

TEST(ParseEventBatch, RejectsMoreThanTheEventLimitAsOversized) {
  std::vector<json> events;
  for (int i = 1; i <= 501; ++i) events.push_back(StockEvent(i));
  EXPECT_EQ(ParseEventBatch("vm-1", Batch("vm-1", events)).status().reason(), "oversized");
}

TEST(ParseEventBatch, RejectsAPayloadOverOneMebibyteAsOversized) {
  std::string big(kMaxPayloadBytes + 1, ' ');
  EXPECT_EQ(ParseEventBatch("vm-1", big).status().reason(), "oversized");
}

TEST(ParseEventBatch, RejectsUnknownEventTypes) {
  EXPECT_EQ(
      ParseEventBatch("vm-1", Batch("vm-1", {StockEvent(1, "coffee.brewed")})).status().reason(),
      "unknown_type");
}

TEST(ParseEventBatch, RejectsSeqOutOfOrderAsInvalid) {
  EXPECT_EQ(
      ParseEventBatch("vm-1", Batch("vm-1", {StockEvent(2), StockEvent(1)})).status().reason(),
      "invalid_batch");
}

TEST(ParseEventBatch, RejectsAnEmptyBatchAsInvalid) {
  EXPECT_EQ(ParseEventBatch("vm-1", Batch("vm-1", {})).status().reason(), "invalid_batch");
}

TEST(ParseTelemetry, RejectsMissingFields) {
  EXPECT_EQ(ParseTelemetry(R"({"at":"2026-01-01T00:00:00.000Z"})").status().reason(),
            "invalid_telemetry");
}

TEST(ParsePresence, AcceptsTheWillForm) {
  auto p = ParsePresence(R"({"online":false})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->online);
}

TEST(ParsePresence, RejectsUnknownFields) {
  EXPECT_EQ(ParsePresence(R"({"online":true,"x":1})").status().reason(), "invalid_status");
}

}  // namespace
}  // namespace vend::cloud::core
