// Catalog rules and command planning: what each catalog or stock change sends where.
#include "core/catalog.h"

#include <gtest/gtest.h>

#include <variant>

namespace vend::cloud::core {
namespace {

CommandStamp TestStamp() {
  auto n = std::make_shared<int>(0);
  return {[n] { return "40000000-0000-7000-8000-" + std::to_string(100000000000 + ++*n); },
          "2026-01-01T00:00:00.000Z"};
}

CatalogProduct Cola() { return {1, "Cola", 150, "cola.svg", true}; }

TEST(ValidateProduct, AcceptsAPlainProduct) { EXPECT_TRUE(ValidateProduct(Cola()).ok()); }

TEST(ValidateProduct, RejectsBadFields) {
  auto p = Cola();
  p.name = "";
  EXPECT_FALSE(ValidateProduct(p).ok());
  p = Cola();
  p.price = -1;
  EXPECT_FALSE(ValidateProduct(p).ok());
  p = Cola();
  p.image = "../etc/passwd";
  EXPECT_FALSE(ValidateProduct(p).ok());
  p = Cola();
  p.id = 0;
  EXPECT_FALSE(ValidateProduct(p).ok());
}

TEST(ApplyPatch, ChangesOnlyTheGivenFields) {
  ProductPatch patch;
  patch.price = 175;
  auto p = ApplyPatch(Cola(), patch);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->price, 175);
  EXPECT_EQ(p->name, "Cola");
  EXPECT_TRUE(p->is_refundable);
}

TEST(ApplyPatch, RejectsAnEmptyPatch) { EXPECT_FALSE(ApplyPatch(Cola(), {}).ok()); }

TEST(ValidateStock, RejectsNegativeCountsAndZeroDeltas) {
  EXPECT_FALSE(ValidateStockCount(-1).ok());
  EXPECT_TRUE(ValidateStockCount(0).ok());
  EXPECT_FALSE(ValidateStockDelta(0).ok());
  EXPECT_TRUE(ValidateStockDelta(-3).ok());
}

TEST(PlanUpsertEverywhere, SendsEachMachineItsOwnPrice) {
  auto planned = PlanUpsertEverywhere(Cola(), {"vm-1", "vm-2"}, {{"vm-2", 99}}, TestStamp());
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_EQ(planned[0].machine_id, "vm-1");
  EXPECT_EQ(std::get<schemas::ProductUpsert>(planned[0].command.data).price, 150);
  EXPECT_EQ(planned[1].machine_id, "vm-2");
  EXPECT_EQ(std::get<schemas::ProductUpsert>(planned[1].command.data).price, 99);
  EXPECT_NE(planned[0].command.id, planned[1].command.id);
}

TEST(PlanRemoveEverywhere, SendsARemoveToEveryMachine) {
  auto planned = PlanRemoveEverywhere(5, {"a", "b", "c"}, TestStamp());
  ASSERT_EQ(planned.size(), 3u);
  for (const auto& p : planned) {
    EXPECT_EQ(std::get<schemas::ProductRemove>(p.command.data).product_id, 5);
  }
}

TEST(PlanCatalogFor, SendsTheWholeCatalogInIdOrder) {
  std::vector<CatalogProduct> catalog = {{3, "Tea", 100, "", false}, Cola()};
  auto planned = PlanCatalogFor("vm-9", catalog, {{3, 80}}, TestStamp());
  ASSERT_EQ(planned.size(), 2u);
  EXPECT_EQ(std::get<schemas::ProductUpsert>(planned[0].command.data).product_id, 1);
  EXPECT_EQ(std::get<schemas::ProductUpsert>(planned[1].command.data).price, 80);
}

TEST(BatchCommands, SplitsAtTheBatchLimitKeepingOrder) {
  std::vector<schemas::Command> commands;
  auto stamp = TestStamp();
  for (size_t i = 0; i < schemas::kMaxBatchCommands + 3; ++i) {
    commands.push_back(PlanCommand("vm", schemas::StockAdd{1, 1}, stamp).command);
  }
  const std::string first = commands.front().id, last = commands.back().id;
  auto batches = BatchCommands(commands);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].commands.size(), schemas::kMaxBatchCommands);
  EXPECT_EQ(batches[1].commands.size(), 3u);
  EXPECT_EQ(batches[0].commands.front().id, first);
  EXPECT_EQ(batches[1].commands.back().id, last);
}

}  // namespace
}  // namespace vend::cloud::core
