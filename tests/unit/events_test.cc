#include "vend/events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vend/ids.h"

namespace vend::schemas {
namespace {

using nlohmann::json;

Event SampleOrder() {
  return Event{7, NewUuid(), "2026-11-26T17:30:00.123Z",
               OrderCreated{12, NewUuid(), 3, "kiosk-abc", 1, 150, 850}};
}

TEST(EventCodec, RoundTripsEveryType) {
  std::vector<EventData> all = {
      OrderCreated{1, NewUuid(), 2, "u", 3, 150, 0},
      OrderRefunded{1, NewUuid(), 2, "u", 3, 150, 150},
      BalanceDeposited{4, NewUuid(), 2, "u", 500, 500},
      StockChanged{3, 9, "sale"},
      CommandApplied{NewUuid(), "stock.set"},
      CommandRejected{NewUuid(), "product.remove", "unknown product"},
  };
  int64_t seq = 1;
  for (const auto& data : all) {
    Event e{seq++, NewUuid(), NowIso8601(), data};
    json j = EncodeEvent(e);
    auto back = DecodeEvent(j);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << " " << j.dump();
    EXPECT_EQ(EncodeEvent(*back), j);
    EXPECT_EQ(j["type"], std::string(EventType(data)));
  }
}

TEST(EventCodec, RejectsMissingField) {
  json j = EncodeEvent(SampleOrder());
  j["data"].erase("price");
  auto r = DecodeEvent(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("price"), std::string::npos);
}

TEST(EventCodec, RejectsWrongTypes) {
  for (auto [path, value] : std::vector<std::pair<std::string, json>>{
           {"/seq", "7"},
           {"/seq", 0},
           {"/seq", 1.5},
           {"/id", "not-a-uuid"},
           {"/at", "yesterday"},
           {"/data/price", -1},
           {"/data/price", "150"},
           {"/data/user_name", ""},
           {"/data/order_id", true},
           {"/data/balance_after", 1e300},
       }) {
    json j = EncodeEvent(SampleOrder());
    j[json::json_pointer(path)] = value;
    EXPECT_FALSE(DecodeEvent(j).ok()) << path << " = " << value.dump();
  }
}

TEST(EventCodec, RejectsUnknownTypeAndFields) {
  json j = EncodeEvent(SampleOrder());
  j["type"] = "order.exploded";
  auto r = DecodeEvent(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unknown_type");

  j = EncodeEvent(SampleOrder());
  j["data"]["surprise"] = 1;
  EXPECT_FALSE(DecodeEvent(j).ok());
  j = EncodeEvent(SampleOrder());
  j["extra"] = 1;
  EXPECT_FALSE(DecodeEvent(j).ok());
}

TEST(EventCodec, RejectsUnknownStockCause) {
  Event e{1, NewUuid(), NowIso8601(), StockChanged{1, 2, "theft"}};
  EXPECT_FALSE(DecodeEvent(EncodeEvent(e)).ok());
}

TEST(EventCodec, RejectsIntegersPastInt64) {
  json j = EncodeEvent(SampleOrder());
  j["data"]["price"] = 18446744073709551615ULL;
  EXPECT_FALSE(DecodeEvent(j).ok());
}

}  // namespace
}  // namespace vend::schemas
