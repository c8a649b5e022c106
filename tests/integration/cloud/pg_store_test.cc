// PgStore and the migration runner against a real PostgreSQL (a fresh database per
// test): exactly-once ingest under duplicates, reordering, gaps and concurrency; every
// event type's projection; the command outbox committing with catalog changes.
#include "db/pg_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <pqxx/pqxx>
#include <random>
#include <thread>
#include <variant>

#include "cloud_harness.h"
#include "db/pg_migrate.h"
#include "support/services.h"

namespace vend::cloud::testing {
namespace {

using test_support::TestDatabase;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = db::Migrate(db_.url(), sql::Migrations());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    pool_ = std::make_unique<db::PgPool>(
        db::PgPool::Options{db_.url(), 4, std::chrono::milliseconds(10000), db::PgStore::Prepare});
    store_ = std::make_unique<db::PgStore>(*pool_);
  }

  void AddMachine(const std::string& id) {
    auto r = store_->AddMachine(id, id);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  core::IngestOutcome Ingest(const EdgeSim& sim, int64_t first, int64_t last) {
    auto r = store_->Ingest(sim.Batch(first, last));
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
    return *r;
  }

  int64_t Count(const std::string& sql) { return QueryInt(db_.url(), sql); }

  // The machine's command ids in issue order.
  std::vector<std::string> CommandIds(const std::string& machine) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    std::vector<std::string> ids;
    for (const auto& r : tx.exec_params(
             "SELECT id::text FROM commands WHERE machine_id = $1 ORDER BY n", machine)) {
      ids.push_back(r[0].c_str());
    }
    return ids;
  }

  TestDatabase db_;
  std::unique_ptr<db::PgPool> pool_;
  std::unique_ptr<db::PgStore> store_;
};

// --- migrations -------------------------------------------------------------------

TEST(PgMigrations, ApplyEveryMigrationThenNothingTheSecondTime) {
  TestDatabase db;
  auto first = db::Migrate(db.url(), sql::Migrations());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->applied.size(), sql::Migrations().size());
  EXPECT_EQ(first->to_version, sql::Migrations().back().version);
  auto second = db::Migrate(db.url(), sql::Migrations());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->to_version, first->to_version);
}

TEST(PgMigrations, TwoConcurrentStartsApplyEachMigrationOnce) {
  TestDatabase db;
  Result<db::MigrationReport> a = Internal("not run"), b = Internal("not run");
  std::thread ta([&] { a = db::Migrate(db.url(), sql::Migrations()); });
  std::thread tb([&] { b = db::Migrate(db.url(), sql::Migrations()); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->applied.size() + b->applied.size(), sql::Migrations().size());
  EXPECT_EQ(QueryInt(db.url(), "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(sql::Migrations().size()));
}

TEST(PgMigrations, RefuseADatabaseFromANewerVersion) {
  TestDatabase db;
  ASSERT_TRUE(db::Migrate(db.url(), sql::Migrations()).ok());
  {
    pqxx::connection c(db.url());
    pqxx::nontransaction(c).exec("INSERT INTO schema_migrations (version, name) VALUES (999, 'x')");
  }
  auto r = db::Migrate(db.url(), sql::Migrations());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "database_too_new");
}

// --- ingest -----------------------------------------------------------------------

TEST_F(PgStoreTest, BatchesBuildEveryProjectionAsTheEdgeHasIt) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(300);
  for (int64_t first = 1; first <= 300; first += 100) {
    auto out = Ingest(sim, first, first + 99);
    EXPECT_EQ(out.inserted, 100u);
    EXPECT_EQ(out.applied, 100u);
    EXPECT_EQ(out.watermark, first + 99);
  }
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), sim.state());
  EXPECT_GT(sim.state().refunded, 0);
  EXPECT_GT(sim.state().deposits, 0);
}

TEST_F(PgStoreTest, BatchesStoredFromTheirPayloadTextBuildTheSameProjections) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(200);
  for (auto [f, l] : std::vector<std::pair<int64_t, int64_t>>{{1, 80}, {121, 200}, {60, 130}}) {
    auto r = store_->Ingest(sim.Batch(f, l), sim.BatchJson(f, l));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(Watermark(db_.url(), "vm-a"), 200);
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), sim.state());
  EXPECT_EQ(Count("SELECT count(*) FROM edge_events e WHERE e.data ? 'count' "
                  "AND e.type = 'stock.changed'"),
            Count("SELECT count(*) FROM edge_events WHERE type = 'stock.changed'"));
}

TEST_F(PgStoreTest, TheSameBatchTwiceChangesNothing) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(50);
  Ingest(sim, 1, 50);
  auto before = CloudState(db_.url(), "vm-a");
  auto again = Ingest(sim, 1, 50);
  EXPECT_EQ(again.inserted, 0u);
  EXPECT_EQ(again.duplicates, 50u);
  EXPECT_EQ(again.applied, 0u);
  EXPECT_EQ(again.watermark, 50);
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), before);
  EXPECT_EQ(before, sim.state());
}

TEST_F(PgStoreTest, OutOfOrderAndOverlappingBatchesConverge) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(300);
  std::vector<std::pair<int64_t, int64_t>> batches;
  for (int64_t f = 1; f <= 300; f += 30) batches.push_back({f, f + 29});
  batches.push_back({20, 70});  // overlaps two batches
  std::shuffle(batches.begin(), batches.end(), std::mt19937(42));
  for (auto [f, l] : batches) Ingest(sim, f, l);
  EXPECT_EQ(Watermark(db_.url(), "vm-a"), 300);
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), sim.state());
}

TEST_F(PgStoreTest, ASeqGapHoldsApplicationUntilTheMissingEventsArrive) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(30);
  Ingest(sim, 1, 10);
  auto held = Ingest(sim, 21, 30);
  EXPECT_TRUE(held.gap);
  EXPECT_EQ(held.inserted, 10u);
  EXPECT_EQ(held.applied, 0u);
  EXPECT_EQ(held.watermark, 10);
  auto filled = Ingest(sim, 11, 20);
  EXPECT_FALSE(filled.gap);
  EXPECT_EQ(filled.applied, 20u);
  EXPECT_EQ(filled.watermark, 30);
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), sim.state());
}

TEST_F(PgStoreTest, AGapInsideOneBatchStopsAtTheMissingSeq) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(6);
  auto batch = sim.Batch(1, 6);
  batch.events.erase(batch.events.begin() + 2);  // seq 3 missing
  auto out = store_->Ingest(batch);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->watermark, 2);
  EXPECT_TRUE(out->gap);
  EXPECT_EQ(Ingest(sim, 3, 3).watermark, 6);
}

TEST_F(PgStoreTest, ConcurrentIngestOfOneMachineConverges) {
  AddMachine("vm-a");
  EdgeSim sim("vm-a");
  sim.Generate(400);
  // Four "instances" each deliver every batch, in their own order.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int64_t> firsts;
      for (int64_t f = 1; f <= 400; f += 40) firsts.push_back(f);
      std::shuffle(firsts.begin(), firsts.end(), std::mt19937(t));
      for (auto f : firsts) Ingest(sim, f, f + 39);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Watermark(db_.url(), "vm-a"), 400);
  EXPECT_EQ(CloudState(db_.url(), "vm-a"), sim.state());
}

TEST_F(PgStoreTest, AnUnknownMachineStoresNothing) {
  EdgeSim sim("vm-ghost");
  sim.Generate(5);
  auto r = store_->Ingest(sim.Batch(1, 5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "unknown_machine");
  EXPECT_EQ(Count("SELECT count(*) FROM edge_events"), 0);
}

TEST_F(PgStoreTest, CommandOutcomesResolveOnlyTheMachinesOwnCommands) {
  AddMachine("vm-a");
  AddMachine("vm-b");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  ASSERT_TRUE(store_->SetStock("vm-a", 1, 10).ok());
  pqxx::connection c(db_.url());
  auto id = pqxx::nontransaction(c)
                .exec(
                    "SELECT id::text FROM commands WHERE machine_id = 'vm-a' AND type = "
                    "'stock.set'")[0][0]
                .as<std::string>();
  EdgeSim b("vm-b");
  b.CommandOutcome(id, "stock.set", true);
  Ingest(b, 1, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE status = 'pending' AND id = '" + id + "'"),
            1);
  EdgeSim a("vm-a");
  a.CommandOutcome(id, "stock.set", false);
  Ingest(a, 1, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE status = 'rejected' AND "
                  "reason = 'rejected_by_test' AND resolved_at IS NOT NULL AND id = '" +
                  id + "'"),
            1);
}

TEST_F(PgStoreTest, PresenceAndTelemetryAreRecordedAndHistoryPruned) {
  AddMachine("vm-a");
  schemas::Presence p;
  p.online = true;
  p.version = "1.2.3";
  ASSERT_TRUE(store_->RecordPresence("vm-a", p).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM machines WHERE online AND agent_version = '1.2.3' AND "
                  "last_seen IS NOT NULL AND online_since IS NOT NULL"),
            1);
  schemas::Telemetry t{"2026-01-01T00:00:00.000Z", 4.5, false, 10, 0, {{1, 3}}, "1.2.3"};
  ASSERT_TRUE(store_->RecordTelemetry("vm-a", t).ok());
  ASSERT_TRUE(store_->RecordTelemetry("vm-a", t).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM telemetry"), 2);
  EXPECT_EQ(store_->RecordTelemetry("vm-ghost", t).reason(), "unknown_machine");
  auto pruned = store_->PruneTelemetry(std::chrono::seconds(0));
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(Count("SELECT count(*) FROM telemetry_latest WHERE machine_id = 'vm-a'"), 1);
}

TEST_F(PgStoreTest, APooledConnectionTheServerDroppedIsReplaced) {
  ASSERT_TRUE(store_->Ping().ok());
  {
    pqxx::connection c(db_.url());
    pqxx::nontransaction(c).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()");
  }
  EXPECT_TRUE(store_->Ping().ok());
  AddMachine("vm-after");
}

// --- command outbox ---------------------------------------------------------------

TEST_F(PgStoreTest, AProductChangeQueuesACommandForEveryMachine) {
  for (auto m : {"vm-a", "vm-b", "vm-c"}) AddMachine(m);
  auto n = store_->AddProduct({7, "Water", 90, "water.svg", false});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE type = 'product.upsert' AND "
                  "status = 'pending' AND (data->>'product_id')::bigint = 7"),
            3);
  ASSERT_TRUE(store_->RemoveProduct(7).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE type = 'product.remove'"), 3);
}

TEST_F(PgStoreTest, ARefusedChangeQueuesNothing) {
  AddMachine("vm-a");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  const int64_t before = Count("SELECT count(*) FROM commands");
  EXPECT_EQ(store_->AddProduct({1, "Cola", 150, "", true}).status().reason(), "product_exists");
  EXPECT_EQ(store_->SetStock("vm-a", 2, 5).reason(), "unknown_product");
  EXPECT_EQ(store_->SetStock("vm-x", 1, 5).reason(), "unknown_machine");
  EXPECT_EQ(store_->AddStock("vm-a", 1, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->UpdateProduct(1, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->AddMachine("vm-a", "vm-a").status().reason(), "machine_exists");
  EXPECT_EQ(Count("SELECT count(*) FROM commands"), before);
  EXPECT_EQ(Count("SELECT count(*) FROM products WHERE price = 150"), 1);
}

TEST_F(PgStoreTest, ANewMachineGetsTheWholeCatalog) {
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  ASSERT_TRUE(store_->AddProduct({2, "Tea", 100, "", false}).ok());
  ASSERT_TRUE(store_->AddProduct({3, "Gone", 100, "", false}).ok());
  ASSERT_TRUE(store_->RemoveProduct(3).ok());
  AddMachine("vm-new");
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE machine_id = 'vm-new' AND "
                  "type = 'product.upsert'"),
            2);
}

TEST_F(PgStoreTest, AMachinePriceOverridesTheCatalogPriceInLaterChanges) {
  AddMachine("vm-a");
  AddMachine("vm-b");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  ASSERT_TRUE(store_->SetPrice("vm-b", 1, 99).ok());
  core::ProductPatch patch;
  patch.name = "Cola Zero";
  ASSERT_TRUE(store_->UpdateProduct(1, patch).ok());
  auto price_of_last = [&](const std::string& m) {
    return Count("SELECT (data->>'price')::bigint FROM commands WHERE machine_id = '" + m +
                 "' ORDER BY n DESC LIMIT 1");
  };
  EXPECT_EQ(price_of_last("vm-a"), 150);
  EXPECT_EQ(price_of_last("vm-b"), 99);
}

TEST_F(PgStoreTest, ClaimedCommandsAreNotClaimedAgainWithinTheGap) {
  AddMachine("vm-a");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->AddStock("vm-a", 1, 1).ok());
  core::DispatchScope scope;
  scope.min_resend_gap = std::chrono::minutes(1);
  auto first = store_->ClaimForDispatch(scope);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->machines.size(), 1u);
  ASSERT_EQ(first->machines[0].commands.size(), 6u);
  EXPECT_TRUE(first->busy_machines.empty());
  // Issue order survives: the catalog upsert first, then the five stock.add.
  EXPECT_TRUE(std::holds_alternative<schemas::ProductUpsert>(first->machines[0].commands[0].data));
  auto second = store_->ClaimForDispatch(scope);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->machines.empty());
  EXPECT_TRUE(second->busy_machines.empty());
  EXPECT_EQ(
      Count("SELECT count(*) FROM commands WHERE sent_count = 1 AND last_sent_at IS NOT NULL"), 6);
}

// Several instances claiming at once: every command goes out, each claim lists a
// machine's commands in issue order, and a claim that takes later commands also carries
// the earlier still-pending ones (their publish may have been lost, and a machine must
// never get a later command first); the edge ignores the repeats. Nothing is resolved
// here, so every claim must be a prefix of the machine's commands.
TEST_F(PgStoreTest, ConcurrentClaimsSendEveryCommandInIssueOrder) {
  AddMachine("vm-a");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  for (int i = 0; i < 199; ++i) ASSERT_TRUE(store_->AddStock("vm-a", 1, 1).ok());
  core::DispatchScope scope;
  scope.min_resend_gap = std::chrono::minutes(1);
  scope.limit = 10;
  std::vector<std::vector<std::string>> claims[3];
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto r = store_->ClaimForDispatch(scope);
        // A busy machine is claimed again: the other claim commits in a moment.
        if (!r.ok() || (r->machines.empty() && r->busy_machines.empty())) return;
        for (const auto& mc : r->machines) {
          claims[t].emplace_back();
          for (const auto& c : mc.commands) claims[t].back().push_back(c.id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> issued = CommandIds("vm-a");
  ASSERT_EQ(issued.size(), 200u);
  std::vector<std::string> all;
  for (auto& per_thread : claims) {
    for (auto& claim : per_thread) {
      ASSERT_LE(claim.size(), issued.size());
      std::string positions;
      for (const auto& id : claim) {
        positions += std::to_string(std::find(issued.begin(), issued.end(), id) - issued.begin());
        positions += ' ';
      }
      EXPECT_TRUE(std::equal(claim.begin(), claim.end(), issued.begin()))
          << "a claim is not the first commands in issue order: " << positions;
      all.insert(all.end(), claim.begin(), claim.end());
    }
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  EXPECT_EQ(all.size(), 200u);
}

TEST_F(PgStoreTest, AClaimCarriesEarlierPendingCommandsFirst) {
  AddMachine("vm-a");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  core::DispatchScope unsent;
  unsent.only_unsent = true;
  auto first = store_->ClaimForDispatch(unsent);  // the upsert: sent, then lost
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->machines.size(), 1u);
  ASSERT_EQ(first->machines[0].commands.size(), 1u);
  ASSERT_TRUE(store_->SetStock("vm-a", 1, 5).ok());
  auto second = store_->ClaimForDispatch(unsent);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->machines.size(), 1u);
  const auto& cmds = second->machines[0].commands;
  ASSERT_EQ(cmds.size(), 2u) << "the earlier upsert must travel with the restock";
  EXPECT_EQ(schemas::CommandType(cmds[0].data), "product.upsert");
  EXPECT_EQ(schemas::CommandType(cmds[1].data), "stock.set");
}

// Another instance is claiming (holds the row lock on) a machine's first command: a claim
// now must not send the newer ones alone (the machine would apply them first); it leaves
// the machine out, reports it busy, and the next claim carries all three in order.
TEST_F(PgStoreTest, AClaimLeavesOutAMachineWhoseEarlierCommandIsLocked) {
  AddMachine("vm-a");
  AddMachine("vm-b");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());  // upsert to both
  ASSERT_TRUE(store_->SetStock("vm-a", 1, 5).ok());
  ASSERT_TRUE(store_->AddStock("vm-a", 1, 2).ok());
  const std::vector<std::string> issued = CommandIds("vm-a");
  ASSERT_EQ(issued.size(), 3u);
  core::DispatchScope scope;
  scope.min_resend_gap = std::chrono::minutes(1);

  pqxx::connection other(db_.url());
  auto holder = std::make_unique<pqxx::work>(other);
  holder->exec_params("SELECT id FROM commands WHERE id = $1::uuid FOR UPDATE", issued[0]);

  auto blocked = store_->ClaimForDispatch(scope);
  ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
  ASSERT_EQ(blocked->machines.size(), 1u);
  EXPECT_EQ(blocked->machines[0].machine, "vm-b");
  EXPECT_EQ(blocked->busy_machines, std::vector<std::string>{"vm-a"});
  EXPECT_EQ(blocked->busy_rows, 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE machine_id = 'vm-a' AND "
                  "(sent_count > 0 OR last_sent_at IS NOT NULL)"),
            0);

  holder->abort();
  holder.reset();
  auto after = store_->ClaimForDispatch(scope);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->busy_machines.empty());
  ASSERT_EQ(after->machines.size(), 1u);
  EXPECT_EQ(after->machines[0].machine, "vm-a");
  const auto& cmds = after->machines[0].commands;
  ASSERT_EQ(cmds.size(), 3u);
  for (size_t i = 0; i < cmds.size(); ++i) EXPECT_EQ(cmds[i].id, issued[i]);
  EXPECT_EQ(schemas::CommandType(cmds[0].data), "product.upsert");
  EXPECT_EQ(schemas::CommandType(cmds[1].data), "stock.set");
  EXPECT_EQ(schemas::CommandType(cmds[2].data), "stock.add");
  EXPECT_EQ(Count("SELECT count(*) FROM commands WHERE machine_id = 'vm-a' AND sent_count = 1"), 3);
}

// A locked NEWER command only holds back itself: sending the older ones first is in order.
TEST_F(PgStoreTest, ALockedLaterCommandDoesNotHoldBackTheEarlierOnes) {
  AddMachine("vm-a");
  ASSERT_TRUE(store_->AddProduct({1, "Cola", 150, "", true}).ok());
  ASSERT_TRUE(store_->SetStock("vm-a", 1, 5).ok());
  ASSERT_TRUE(store_->AddStock("vm-a", 1, 2).ok());
  const std::vector<std::string> issued = CommandIds("vm-a");
  ASSERT_EQ(issued.size(), 3u);
  core::DispatchScope scope;
  scope.min_resend_gap = std::chrono::minutes(1);

  pqxx::connection other(db_.url());
  pqxx::work holder(other);
  holder.exec_params("SELECT id FROM commands WHERE id = $1::uuid FOR UPDATE", issued[2]);
  auto claim = store_->ClaimForDispatch(scope);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_TRUE(claim->busy_machines.empty());
  ASSERT_EQ(claim->machines.size(), 1u);
  const auto& cmds = claim->machines[0].commands;
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].id, issued[0]);
  EXPECT_EQ(cmds[1].id, issued[1]);
  holder.abort();
}

}  // namespace
}  // namespace vend::cloud::testing
