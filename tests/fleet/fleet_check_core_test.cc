// fleet-check's comparison on plain snapshots: a consistent machine passes, and each
// kind of divergence between an edge and the cloud is reported (so the checker the
// fleet tests rely on can fail).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/compare.h"

namespace vend::fleet_check {
namespace {

// A machine after: customer 1 deposited 500 and bought a Cola (150) that was refunded
// and a Water (100); customer 2 exists with no money; the edge applied command c-1
// (a restock) and rejected c-2; product 3 was removed from the catalog. Everything
// synced (seq 1..9).
struct Pair {
  EdgeSnapshot edge;
  CloudSnapshot cloud;
};

Pair Consistent() {
  Pair p;
  EdgeSnapshot& e = p.edge;
  e.machine_id = "vm-1";
  e.last_seq = 9;
  e.acked_seq = 9;
  e.orders[1] = {1, "o-1", 1, 1, 150, true, 150};
  e.orders[2] = {2, "o-2", 1, 2, 100, false, 0};
  e.deposits["d-1"] = {1, "d-1", 1, 500};
  e.customers[1] = {1, "alice", 400};
  e.customers[2] = {2, "bob", 0};
  e.stock = {{1, 10}, {2, 4}};
  e.removed_products = {3};
  e.commands["c-1"] = {CommandState::kApplied, 7};
  e.commands["c-2"] = {CommandState::kRejected, 8};
  e.catalog[1] = {"Cola", 150, "cola.svg", true};
  e.catalog[2] = {"Water", 100, "", false};

  CloudSnapshot& c = p.cloud;
  c.machine_exists = true;
  c.watermark = 9;
  c.events_at_or_below_watermark = 9;
  c.orders = e.orders;
  c.deposits = e.deposits;
  c.customers[1] = {1, "alice", 400};
  c.stock = {{1, 10}, {2, 4}, {3, 0}};
  c.commands = {{"c-1", CommandState::kApplied}, {"c-2", CommandState::kRejected}};
  c.catalog = e.catalog;
  c.removed_catalog = {3};
  return p;
}

MachineReport Check(const Pair& p, bool require_quiescence = true) {
  return CompareMachine("vm-1", p.edge, p.cloud, {require_quiescence});
}

// The areas of the differences found, in order.
std::vector<std::string> Areas(const MachineReport& r) {
  std::vector<std::string> out;
  for (const auto& d : r.differences) out.push_back(d.area);
  return out;
}

std::string Dump(const MachineReport& r) {
  std::string out;
  for (const auto& d : r.differences) out += d.area + ": " + d.detail + "\n";
  return out;
}

schemas::Event Ev(int64_t seq, schemas::EventData data) {
  return schemas::Event{seq, "e-" + std::to_string(seq), "2024-01-01T00:00:00.000Z",
                        std::move(data)};
}

TEST(FleetCheckCompare, AConsistentMachinePasses) {
  auto r = Check(Consistent());
  EXPECT_TRUE(r.differences.empty()) << Dump(r);
  EXPECT_TRUE(r.notes.empty());
}

TEST(FleetCheckCompare, ReportsACatalogThatDiffersOnceEveryCommandIsAnswered) {
  auto p = Consistent();
  p.cloud.catalog[1].price = 175;                  // a price change that never arrived
  p.cloud.catalog[4] = {"Juice", 275, "", false};  // a product that never arrived
  p.edge.catalog[3] = {"Old", 10, "", false};      // removed in the cloud
  p.edge.catalog[5] = {"Local", 10, "", false};    // unknown to the cloud
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"catalog", "catalog", "catalog", "catalog"}))
      << Dump(r);
}

TEST(FleetCheckCompare, APendingCommandIsNotedAndLeavesTheCatalogUncompared) {
  auto p = Consistent();
  p.cloud.commands["c-3"] = CommandState::kPending;
  p.cloud.catalog[1].price = 175;  // what c-3 will bring
  auto r = Check(p);
  EXPECT_TRUE(r.differences.empty()) << Dump(r);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("1 command(s) pending"), std::string::npos);
  EXPECT_NE(r.notes[1].find("catalog not compared"), std::string::npos);
}

TEST(FleetCheckCompare, ReportsAnOrderMissingInTheCloud) {
  auto p = Consistent();
  p.cloud.orders.erase(2);
  p.cloud.customers[1].balance = 500;  // as if the sale never happened there
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"orders", "customers"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsAnOrderOnlyInTheCloud) {
  auto p = Consistent();
  p.cloud.orders[3] = {3, "o-3", 1, 1, 0, false, 0};
  auto r = Check(p);
  EXPECT_EQ(Areas(r), std::vector<std::string>{"orders"}) << Dump(r);
}

TEST(FleetCheckCompare, ReportsAnOrderWithAnotherPriceUuidOrStatus) {
  for (int field = 0; field < 3; ++field) {
    auto p = Consistent();
    OrderFact& o = p.cloud.orders[2];
    if (field == 0) o.uuid = "o-other";
    if (field == 1) o.customer_id = 2;
    if (field == 2) {
      o.refunded = true;
      o.refund_amount = 100;
    }
    auto r = Check(p);
    const auto areas = Areas(r);
    EXPECT_NE(std::find(areas.begin(), areas.end(), "orders"), areas.end()) << field << Dump(r);
  }
}

TEST(FleetCheckCompare, ReportsARefundThatReturnedAnotherAmount) {
  auto p = Consistent();
  p.cloud.orders[1].refund_amount = 100;
  p.cloud.customers[1].balance = 350;
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"orders", "customers"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsDepositsMissingExtraOrDifferent) {
  auto p = Consistent();
  p.cloud.deposits["d-1"].amount = 600;
  p.cloud.deposits["d-2"] = {2, "d-2", 2, 5};
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"money", "deposits", "deposits"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsBalancesAndMoneyThatDoNotAddUp) {
  auto p = Consistent();
  p.edge.customers[1].balance = 450;  // 50 cents from nowhere at the edge
  p.cloud.customers[1].balance = 450;
  auto r = Check(p);
  ASSERT_EQ(Areas(r), (std::vector<std::string>{"money", "money"})) << Dump(r);
  EXPECT_EQ(r.differences[0].detail.rfind("edge:", 0), 0u) << Dump(r);
  EXPECT_EQ(r.differences[1].detail.rfind("cloud:", 0), 0u) << Dump(r);
}

TEST(FleetCheckCompare, ACustomerTheCloudNeverHeardOfMustHaveNoMoney) {
  auto p = Consistent();
  EXPECT_TRUE(Check(p).differences.empty());  // bob: no event named him yet
  p.edge.customers[2].balance = 1;
  p.edge.deposits["d-2"] = {2, "d-2", 2, 1};
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"deposits", "customers"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsStockThatDiffersOrIsUnknown) {
  auto p = Consistent();
  p.cloud.stock[1] = 11;
  p.cloud.stock[3] = 2;  // removed at the edge
  p.cloud.stock[4] = 0;  // never at the edge
  p.edge.stock[5] = 1;   // never reported
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"stock", "stock", "stock", "stock"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsNegativeBalancesAndStock) {
  auto p = Consistent();
  p.edge.stock[2] = -1;
  p.cloud.stock[2] = -1;
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"negative", "negative"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsCommandOutcomesThatDisagree) {
  auto p = Consistent();
  p.cloud.commands["c-2"] = CommandState::kApplied;      // edge rejected it
  p.cloud.commands["c-4"] = CommandState::kApplied;      // edge never saw it
  p.edge.commands["c-5"] = {CommandState::kApplied, 6};  // cloud never issued it
  p.cloud.commands["c-1"] = CommandState::kPending;      // outcome applied but lost
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"commands", "commands", "commands", "commands"}))
      << Dump(r);
}

TEST(FleetCheckCompare, ReportsDuplicatesInTheEventLog) {
  auto p = Consistent();
  p.cloud.log_duplicates.push_back({"order.created", "o-1", 2});
  p.cloud.log_duplicates.push_back({"command outcome", "c-1", 2});
  auto r = Check(p);
  EXPECT_EQ(Areas(r), (std::vector<std::string>{"event log", "event log"})) << Dump(r);
}

TEST(FleetCheckCompare, ReportsAnAppliedSeqMissingFromTheLog) {
  auto p = Consistent();
  p.cloud.events_at_or_below_watermark = 8;
  auto r = Check(p);
  EXPECT_EQ(Areas(r), std::vector<std::string>{"event log"}) << Dump(r);
}

TEST(FleetCheckCompare, ReportsEventsLostBetweenTheCloudAndAnEmptyOutbox) {
  auto p = Consistent();
  p.edge.last_seq = 11;  // seq 10 and 11 are in neither place
  auto r = Check(p);
  ASSERT_EQ(Areas(r), std::vector<std::string>{"sync"}) << Dump(r);
  EXPECT_NE(r.differences[0].detail.find("events 10..11"), std::string::npos) << Dump(r);
}

TEST(FleetCheckCompare, ReportsACloudAheadOfItsEdge) {
  auto p = Consistent();
  p.cloud.watermark = 12;
  p.cloud.events_at_or_below_watermark = 12;
  auto r = Check(p);
  EXPECT_EQ(Areas(r), std::vector<std::string>{"sync"}) << Dump(r);
}

TEST(FleetCheckCompare, ReportsAMachineUnknownToTheCloudOrADatabaseOfAnother) {
  auto p = Consistent();
  p.edge.machine_id = "vm-2";
  auto r = Check(p);
  EXPECT_EQ(Areas(r), std::vector<std::string>{"identity"}) << Dump(r);
}

// Events still in the outbox: the cloud + those events must equal the edge, and they
// are a difference only when quiescence is required.
Pair WithPendingSale() {
  auto p = Consistent();
  p.edge.last_seq = 12;
  p.edge.orders[3] = {3, "o-3", 1, 1, 150, false, 0};
  p.edge.customers[1].balance = 250;
  p.edge.stock[1] = 9;
  p.edge.commands["c-3"] = {CommandState::kApplied, 12};
  p.edge.outbox = {Ev(10, schemas::OrderCreated{3, "o-3", 1, "alice", 1, 150, 250}),
                   Ev(11, schemas::StockChanged{1, 9, "sale"}),
                   Ev(12, schemas::CommandApplied{"c-3", "stock.set"})};
  return p;
}

TEST(FleetCheckCompare, LiveModeComparesTheCloudPlusThePendingEvents) {
  auto r = Check(WithPendingSale(), /*require_quiescence=*/false);
  EXPECT_TRUE(r.differences.empty()) << Dump(r);
  EXPECT_NE(r.notes.at(0).find("not quiescent"), std::string::npos);
}

TEST(FleetCheckCompare, StrictModeReportsPendingEventsOnly) {
  auto r = Check(WithPendingSale());
  EXPECT_EQ(Areas(r), std::vector<std::string>{"sync"}) << Dump(r);
}

TEST(FleetCheckCompare, APendingEventThatDisagreesWithTheEdgeIsReported) {
  auto p = WithPendingSale();
  p.edge.outbox[1] = Ev(11, schemas::StockChanged{1, 8, "sale"});  // the edge holds 9
  auto r = Check(p, false);
  EXPECT_EQ(Areas(r), std::vector<std::string>{"stock"}) << Dump(r);
}

TEST(FleetCheckCompare, AnEventMissingFromTheOutboxIsLost) {
  auto p = WithPendingSale();
  p.edge.outbox.erase(p.edge.outbox.begin());  // seq 10 neither acked nor pending
  auto r = Check(p, false);
  ASSERT_FALSE(r.differences.empty());
  EXPECT_EQ(r.differences[0].area, "sync") << Dump(r);
  EXPECT_NE(r.differences[0].detail.find("events 10 "), std::string::npos) << Dump(r);
}

TEST(FleetCheckCompare, SnapshotsAreComparableUnlessTheEdgeWasAckedPastTheCloudSnapshot) {
  auto p = WithPendingSale();
  EXPECT_TRUE(SnapshotsComparable(p.edge, p.cloud));
  p.edge.acked_seq = 10;  // the cloud applied seq 10 after it was read
  EXPECT_FALSE(SnapshotsComparable(p.edge, p.cloud));
}

}  // namespace
}  // namespace vend::fleet_check
