#include "vend/commands.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vend/ids.h"

namespace vend::schemas {
namespace {

using nlohmann::json;

Command Make(CommandData data) { return Command{NewUuid(), NowIso8601(), std::move(data)}; }

TEST(CommandCodec, RoundTripsEveryType) {
  for (const auto& data : std::vector<CommandData>{
           ProductUpsert{1, "Cola", 150, "cola.svg", true},
           ProductRemove{2},
           StockSet{1, 24},
           StockAdd{1, -3},
           ConfigSet{"telemetry_interval_s", 30},
       }) {
    json j = EncodeCommand(Make(data));
    auto back = DecodeCommand(j);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << " " << j.dump();
    EXPECT_EQ(EncodeCommand(*back), j);
  }
}

TEST(CommandCodec, RejectsBadFields) {
  for (auto [type, data] : std::vector<std::pair<std::string, json>>{
           {"product.upsert",
            {{"product_id", 1},
             {"name", "X"},
             {"price", -1},
             {"image", ""},
             {"is_refundable", true}}},
           {"product.upsert",
            {{"product_id", 1},
             {"name", "X"},
             {"price", 1},
             {"image", "../x.svg"},
             {"is_refundable", true}}},
           {"product.upsert", {{"product_id", 1}, {"name", "X"}, {"price", 1}}},
           {"product.remove", {{"product_id", 0}}},
           {"stock.set", {{"product_id", 1}, {"count", -1}}},
           {"stock.add", {{"product_id", 1}, {"delta", 0}}},
           {"stock.add", {{"product_id", 1}, {"delta", 1}, {"extra", 1}}},
           {"config.set", {{"key", "telemetry_interval_s"}, {"value", 0}}},
           {"config.set", {{"key", "root_password"}, {"value", 1}}},
           {"firmware.flash", json::object()},
       }) {
    json j{{"id", NewUuid()}, {"type", type}, {"data", data}, {"issued_at", NowIso8601()}};
    EXPECT_FALSE(DecodeCommand(j).ok()) << j.dump();
  }
}

TEST(CommandCodec, RejectsABadEnvelope) {
  json j = EncodeCommand(Make(StockSet{1, 2}));
  j["id"] = "nope";
  EXPECT_FALSE(DecodeCommand(j).ok());
  j = EncodeCommand(Make(StockSet{1, 2}));
  j.erase("issued_at");
  EXPECT_FALSE(DecodeCommand(j).ok());
}

}  // namespace
}  // namespace vend::schemas
