// Command rules: what each cloud command does to a machine's catalog, stock and config,
// and the events that report it.
#include "core/command_rules.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "vend/ids.h"

namespace vend::edge::core {
namespace {

using schemas::Command;
using schemas::CommandApplied;
using schemas::CommandRejected;
using schemas::StockChanged;

Command Make(schemas::CommandData data) {
  return Command{"0190a3b4-1111-7000-8000-000000000001", "2026-01-01T00:00:00.000Z",
                 std::move(data)};
}

Product Cola(int64_t count) {
  return Product{1, "Cola", Money::FromCents(150), count, "cola.svg", true};
}

// Every event a plan carries must survive the wire codec, or the outbox would hold a
// row the drainer cannot send.
void ExpectEncodable(const CommandPlan& plan) {
  for (const auto& e : plan.events) {
    auto back = schemas::DecodeEventData(schemas::EventType(e), schemas::EncodeEventData(e));
    EXPECT_TRUE(back.ok()) << back.status().ToString();
  }
}

const CommandApplied* AppliedEvent(const CommandPlan& plan) {
  return plan.events.empty() ? nullptr : std::get_if<CommandApplied>(&plan.events.back());
}
const CommandRejected* RejectedEvent(const CommandPlan& plan) {
  return plan.events.empty() ? nullptr : std::get_if<CommandRejected>(&plan.events.back());
}

TEST(ProductUpsert, CreatesANewProductAtCountZero) {
  auto cmd = Make(schemas::ProductUpsert{7, "Tea", 220, "tea.svg", false});
  auto plan = PlanCommand(cmd, std::nullopt);
  ASSERT_FALSE(plan.rejected);
  ASSERT_TRUE(plan.write_product);
  EXPECT_TRUE(plan.product_created);
  EXPECT_EQ(plan.write_product->count, 0);
  EXPECT_EQ(plan.write_product->price.cents(), 220);
  ASSERT_EQ(plan.events.size(), 2u);
  auto* stock = std::get_if<StockChanged>(&plan.events[0]);
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->product_id, 7);
  EXPECT_EQ(stock->count, 0);
  EXPECT_EQ(stock->cause, "command");
  ASSERT_TRUE(AppliedEvent(plan));
  EXPECT_EQ(AppliedEvent(plan)->command_id, cmd.id);
  EXPECT_EQ(AppliedEvent(plan)->command_type, "product.upsert");
  ExpectEncodable(plan);
}

TEST(ProductUpsert, UpdatesTheCatalogEntryAndKeepsTheCount) {
  auto plan =
      PlanCommand(Make(schemas::ProductUpsert{1, "Cola Zero", 175, "zero.svg", false}), Cola(9));
  ASSERT_FALSE(plan.rejected);
  EXPECT_FALSE(plan.product_created);
  EXPECT_EQ(plan.write_product->name, "Cola Zero");
  EXPECT_EQ(plan.write_product->price.cents(), 175);
  EXPECT_EQ(plan.write_product->image, "zero.svg");
  EXPECT_FALSE(plan.write_product->is_refundable);
  EXPECT_EQ(plan.write_product->count, 9);
  ASSERT_EQ(plan.events.size(), 1u);  // no stock change to report
  EXPECT_TRUE(AppliedEvent(plan));
}

TEST(ProductRemove, TakesTheProductOutAndReportsCountZero) {
  auto plan = PlanCommand(Make(schemas::ProductRemove{1}), Cola(4));
  ASSERT_FALSE(plan.rejected);
  EXPECT_EQ(plan.remove_product, 1);
  ASSERT_EQ(plan.events.size(), 2u);
  auto* stock = std::get_if<StockChanged>(&plan.events[0]);
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->count, 0);
  EXPECT_EQ(stock->cause, "command");
  EXPECT_TRUE(AppliedEvent(plan));
}

TEST(ProductRemove, OfAnAbsentProductIsAppliedWithNoOtherEffect) {
  auto plan = PlanCommand(Make(schemas::ProductRemove{5}), std::nullopt);
  EXPECT_FALSE(plan.rejected);
  EXPECT_FALSE(plan.remove_product);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_TRUE(AppliedEvent(plan));
}

TEST(StockSet, SetsTheAbsoluteCount) {
  auto plan = PlanCommand(Make(schemas::StockSet{1, 24}), Cola(3));
  ASSERT_FALSE(plan.rejected);
  EXPECT_EQ(plan.write_product->count, 24);
  EXPECT_EQ(plan.write_product->name, "Cola");
  auto* stock = std::get_if<StockChanged>(&plan.events[0]);
  ASSERT_TRUE(stock);
  EXPECT_EQ(stock->count, 24);
  EXPECT_EQ(stock->cause, "command");
  EXPECT_TRUE(AppliedEvent(plan));
}

TEST(StockSet, OfAnUnknownProductIsRejected) {
  auto plan = PlanCommand(Make(schemas::StockSet{9, 24}), std::nullopt);
  EXPECT_TRUE(plan.rejected);
  EXPECT_FALSE(plan.write_product);
  ASSERT_EQ(plan.events.size(), 1u);
  ASSERT_TRUE(RejectedEvent(plan));
  EXPECT_EQ(RejectedEvent(plan)->command_type, "stock.set");
  EXPECT_NE(RejectedEvent(plan)->reason.find("9"), std::string::npos);
  ExpectEncodable(plan);
}

TEST(StockAdd, AddsTheDelta) {
  auto plan = PlanCommand(Make(schemas::StockAdd{1, 6}), Cola(3));
  ASSERT_FALSE(plan.rejected);
  EXPECT_EQ(plan.write_product->count, 9);
  EXPECT_EQ(std::get<StockChanged>(plan.events[0]).count, 9);
}

TEST(StockAdd, MayTakeItemsOutDownToZero) {
  auto plan = PlanCommand(Make(schemas::StockAdd{1, -3}), Cola(3));
  ASSERT_FALSE(plan.rejected);
  EXPECT_EQ(plan.write_product->count, 0);
}

TEST(StockAdd, BelowZeroIsRejectedAndChangesNothing) {
  auto plan = PlanCommand(Make(schemas::StockAdd{1, -4}), Cola(3));
  EXPECT_TRUE(plan.rejected);
  EXPECT_FALSE(plan.write_product);
  ASSERT_EQ(plan.events.size(), 1u);
  ASSERT_TRUE(RejectedEvent(plan));
  EXPECT_EQ(RejectedEvent(plan)->command_type, "stock.add");
}

TEST(StockAdd, AnOverflowingCountIsRejected) {
  auto plan = PlanCommand(Make(schemas::StockAdd{1, INT64_MAX}), Cola(3));
  EXPECT_TRUE(plan.rejected);
  EXPECT_FALSE(plan.write_product);
}

TEST(StockAdd, OfAnUnknownProductIsRejected) {
  EXPECT_TRUE(PlanCommand(Make(schemas::StockAdd{9, 1}), std::nullopt).rejected);
}

TEST(ConfigSet, IsStoredAndApplied) {
  auto plan = PlanCommand(Make(schemas::ConfigSet{"max_deposit", 5000}), std::nullopt);
  ASSERT_FALSE(plan.rejected);
  ASSERT_TRUE(plan.config);
  EXPECT_EQ(plan.config->key, "max_deposit");
  EXPECT_EQ(plan.config->value, 5000);
  ASSERT_EQ(plan.events.size(), 1u);
  EXPECT_EQ(AppliedEvent(plan)->command_type, "config.set");
}

TEST(CommandProductId, NamesTheProductOfEveryProductCommand) {
  EXPECT_EQ(CommandProductId(schemas::ProductUpsert{3, "x", 1, "", false}), 3);
  EXPECT_EQ(CommandProductId(schemas::ProductRemove{4}), 4);
  EXPECT_EQ(CommandProductId(schemas::StockSet{5, 1}), 5);
  EXPECT_EQ(CommandProductId(schemas::StockAdd{6, 1}), 6);
  EXPECT_EQ(CommandProductId(schemas::ConfigSet{"max_deposit", 1}), std::nullopt);
}

TEST(UndecodableCommand, IsRejectedEchoingItsType) {
  auto plan = PlanUndecodableCommand("0190a3b4-1111-7000-8000-000000000002", "stock.teleport",
                                     "unknown command type 'stock.teleport'");
  EXPECT_TRUE(plan.rejected);
  ASSERT_TRUE(RejectedEvent(plan));
  EXPECT_EQ(RejectedEvent(plan)->command_type, "stock.teleport");
  ExpectEncodable(plan);
}

TEST(UndecodableCommand, HostileTextStillMakesAValidEvent) {
  const std::string control("bad\x01type\n", 9);
  const std::string invalid_utf8("\xff\xfe", 2);
  const std::string long_reason(5000, 'x');
  for (const auto& [type, reason] :
       std::vector<std::pair<std::string, std::string>>{{control, control},
                                                        {invalid_utf8, invalid_utf8},
                                                        {"", ""},
                                                        {std::string(300, 't'), long_reason}}) {
    auto plan = PlanUndecodableCommand("0190a3b4-1111-7000-8000-000000000003", type, reason);
    ExpectEncodable(plan);
    EXPECT_LE(RejectedEvent(plan)->command_type.size(), kMaxCommandTypeBytes);
    EXPECT_LE(RejectedEvent(plan)->reason.size(), kMaxRejectReasonBytes);
  }
}

TEST(SanitizeText, KeepsPrintableUtf8AndReplacesTheRest) {
  EXPECT_EQ(SanitizeText("caf\xc3\xa9", 64, "x"), "caf\xc3\xa9");
  EXPECT_EQ(SanitizeText(std::string("a\x01"
                                     "b",
                                     3),
                         64, "x"),
            "a?b");
  EXPECT_EQ(SanitizeText("\xff", 64, "x"), "?");
  EXPECT_EQ(SanitizeText("", 64, "fallback"), "fallback");
}

TEST(SanitizeText, CutsOnACharacterBoundary) {
  // "é" is two bytes: a limit of 4 after "abc" cannot hold it.
  EXPECT_EQ(SanitizeText("abc\xc3\xa9", 4, "x"), "abc");
  EXPECT_TRUE(IsPrintableUtf8(SanitizeText(std::string(300, 'a') + "\xc3\xa9", 256, "x")));
}

}  // namespace
}  // namespace vend::edge::core
