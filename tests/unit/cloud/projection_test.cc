// Event application in the cloud core: which stored events apply (contiguity above the
// watermark) and what each event type does to the projections.
#include "core/projection.h"

#include <gtest/gtest.h>

namespace vend::cloud::core {
namespace {

using schemas::Event;

Event At(int64_t seq, schemas::EventData data) {
  return Event{seq, "00000000-0000-7000-8000-" + std::to_string(100000000000 + seq),
               "2026-01-01T00:00:0" + std::to_string(seq % 10) + ".000Z", std::move(data)};
}

schemas::OrderCreated Order(int64_t id, int64_t customer, int64_t price, int64_t balance_after) {
  return {id,
          "10000000-0000-7000-8000-00000000000" + std::to_string(id),
          customer,
          "kiosk-1",
          7,
          price,
          balance_after};
}

TEST(PlanRun, AppliesTheContiguousRunAboveTheWatermark) {
  auto plan = PlanRun(3, {4, 5, 6});
  EXPECT_EQ(plan.skip, 0u);
  EXPECT_EQ(plan.apply, 3u);
  EXPECT_EQ(plan.new_watermark, 6);
  EXPECT_FALSE(plan.gap);
}

TEST(PlanRun, SkipsWhatIsAlreadyApplied) {
  auto plan = PlanRun(5, {3, 4, 5, 6});
  EXPECT_EQ(plan.skip, 3u);
  EXPECT_EQ(plan.apply, 1u);
  EXPECT_EQ(plan.new_watermark, 6);
}

TEST(PlanRun, StopsAtAMissingSeq) {
  auto plan = PlanRun(0, {1, 2, 4, 5});
  EXPECT_EQ(plan.apply, 2u);
  EXPECT_EQ(plan.new_watermark, 2);
  EXPECT_TRUE(plan.gap);
}

TEST(PlanRun, AppliesNothingWhenTheNextSeqIsMissing) {
  auto plan = PlanRun(10, {12, 13});
  EXPECT_EQ(plan.apply, 0u);
  EXPECT_EQ(plan.new_watermark, 10);
  EXPECT_TRUE(plan.gap);
}

TEST(PlanRun, EmptyInputChangesNothing) {
  auto plan = PlanRun(7, {});
  EXPECT_EQ(plan.apply, 0u);
  EXPECT_EQ(plan.new_watermark, 7);
  EXPECT_FALSE(plan.gap);
}

TEST(FoldEvents, OrderCreatedInsertsTheOrderAndSetsTheBalance) {
  auto d = FoldEvents({At(1, Order(1, 3, 150, 350))});
  ASSERT_EQ(d.new_orders.size(), 1u);
  EXPECT_EQ(d.new_orders[0].order_id, 1);
  EXPECT_EQ(d.new_orders[0].price, 150);
  EXPECT_FALSE(d.new_orders[0].refunded);
  ASSERT_EQ(d.customers.size(), 1u);
  EXPECT_EQ(d.customers[0].customer_id, 3);
  EXPECT_EQ(d.customers[0].balance, 350);
}

TEST(FoldEvents, RefundOfAnOrderInTheSameRunMarksTheNewOrder) {
  schemas::OrderRefunded r{1, "10000000-0000-7000-8000-000000000001", 3, "kiosk-1", 7, 150, 500};
  auto d = FoldEvents({At(1, Order(1, 3, 150, 350)), At(2, r)});
  ASSERT_EQ(d.new_orders.size(), 1u);
  EXPECT_TRUE(d.new_orders[0].refunded);
  EXPECT_EQ(d.new_orders[0].refund_amount, 150);
  EXPECT_TRUE(d.refunds.empty());
  EXPECT_EQ(d.customers[0].balance, 500);
}

TEST(FoldEvents, RefundOfAnEarlierOrderBecomesAnUpdate) {
  schemas::OrderRefunded r{9, "10000000-0000-7000-8000-000000000009", 3, "kiosk-1", 7, 200, 900};
  auto d = FoldEvents({At(5, r)});
  EXPECT_TRUE(d.new_orders.empty());
  ASSERT_EQ(d.refunds.size(), 1u);
  EXPECT_EQ(d.refunds[0].order_id, 9);
  EXPECT_EQ(d.refunds[0].amount, 200);
  EXPECT_EQ(d.customers[0].balance, 900);
}

TEST(FoldEvents, DepositInsertsTheDepositAndSetsTheBalance) {
  schemas::BalanceDeposited dep{4, "20000000-0000-7000-8000-000000000004", 3, "kiosk-1", 500, 800};
  auto d = FoldEvents({At(1, dep)});
  ASSERT_EQ(d.deposits.size(), 1u);
  EXPECT_EQ(d.deposits[0].amount, 500);
  ASSERT_EQ(d.customers.size(), 1u);
  EXPECT_EQ(d.customers[0].balance, 800);
  EXPECT_EQ(d.customers[0].user_name, "kiosk-1");
}

TEST(FoldEvents, LastEventOfACustomerDecidesItsBalance) {
  schemas::BalanceDeposited dep{1, "20000000-0000-7000-8000-000000000001", 3, "kiosk-1", 500, 500};
  auto d = FoldEvents({At(1, dep), At(2, Order(1, 3, 100, 400)), At(3, Order(2, 3, 100, 300))});
  ASSERT_EQ(d.customers.size(), 1u);
  EXPECT_EQ(d.customers[0].balance, 300);
  EXPECT_EQ(d.new_orders.size(), 2u);
}

TEST(FoldEvents, StockKeepsTheLastAbsoluteCountPerProduct) {
  auto d = FoldEvents({At(1, schemas::StockChanged{7, 9, "sale"}),
                       At(2, schemas::StockChanged{8, 4, "seed"}),
                       At(3, schemas::StockChanged{7, 8, "sale"})});
  ASSERT_EQ(d.stock.size(), 2u);
  EXPECT_EQ(d.stock[0].product_id, 7);
  EXPECT_EQ(d.stock[0].count, 8);
  EXPECT_EQ(d.stock[1].count, 4);
}

TEST(FoldEvents, CommandOutcomesResolveCommands) {
  auto d = FoldEvents(
      {At(1, schemas::CommandApplied{"30000000-0000-7000-8000-000000000001", "stock.set"}),
       At(2, schemas::CommandRejected{"30000000-0000-7000-8000-000000000002", "stock.add",
                                      "negative_stock"})});
  ASSERT_EQ(d.commands.size(), 2u);
  EXPECT_TRUE(d.commands[0].applied);
  EXPECT_FALSE(d.commands[1].applied);
  EXPECT_EQ(d.commands[1].reason, "negative_stock");
}

TEST(FoldEvents, FirstOutcomeOfACommandWins) {
  const std::string id = "30000000-0000-7000-8000-000000000001";
  auto d = FoldEvents({At(1, schemas::CommandApplied{id, "stock.set"}),
                       At(2, schemas::CommandRejected{id, "stock.set", "late"})});
  ASSERT_EQ(d.commands.size(), 1u);
  EXPECT_TRUE(d.commands[0].applied);
}

}  // namespace
}  // namespace vend::cloud::core
