// The fleet end to end with the real binaries: the catalog and the admin's commands
// travel from the vend-cloud CLI to the kiosks, sales travel back into PostgreSQL, two
// cloud instances share the work, and fleet-check (run at the end of every test by the
// fixture) finds every edge database equal to PostgreSQL. Also fleet-check itself: it
// reads stopped, killed and running edges without writing, and it does find differences.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "fleet_harness.h"

namespace vend::fleet_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Products = std::map<int64_t, json>;

// SQL on a copy of (or the) edge database, for the few facts the kiosk API does not show.
int64_t SqliteInt(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  const std::string uri = "file:" + db.string() + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

void SqliteExec(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(h);
}

// Some customers buying and refunding on one kiosk: `sales` buys and every fifth
// purchase refunded. Every reply must be a success.
void Shop(EdgeNode& edge, int customers, int sales) {
  std::vector<Customer> cs;
  for (int i = 0; i < customers; ++i) cs.push_back(edge.NewCustomer(5000));
  for (int i = 0; i < sales; ++i) {
    const Customer& c = cs[i % cs.size()];
    const int64_t product = i % 3 == 0 ? kWater : kCola;
    auto r = edge.Buy(c, product);
    ASSERT_EQ(r.status, 201) << r;
    if (product == kCola && i % 5 == 0) {
      auto refund = edge.Refund(c, kCola);
      ASSERT_EQ(refund.status, 200) << refund;
    }
  }
}

// ------------------------------------------------------------------- catalog, commands

TEST_F(FleetTest, AFreshEdgeWithNoCatalogGetsTheCloudCatalog) {
  auto& fleet = StartFleet(WithEdges(0));
  EdgeOptions no_catalog;
  ASSERT_FALSE(no_catalog.catalog);
  EdgeNode& edge = fleet.AddEdge(no_catalog);

  // The whole catalog, as the cloud has it, with nothing in stock yet.
  ASSERT_TRUE(WaitProducts(edge, [](const Products& p) { return p.size() == 2; })) << fleet.Logs();
  const Products products = edge.Products();
  EXPECT_EQ(products.at(kCola)["name"], "Cola");
  EXPECT_EQ(products.at(kCola)["price"], 150);
  EXPECT_EQ(products.at(kCola)["is_refundable"], true);
  EXPECT_EQ(products.at(kWater)["name"], "Water");
  EXPECT_EQ(products.at(kWater)["price"], 100);
  EXPECT_EQ(products.at(kWater)["is_refundable"], false);
  EXPECT_EQ(products.at(kCola)["count"], 0);
  EXPECT_EQ(products.at(kWater)["count"], 0);

  // A product added while the machine is online reaches it too, then its restock.
  fleet.CliOk({"product", "add", "3", "Juice", "275", "--image", "juice.svg"});
  fleet.CliOk({"stock", "set", edge.machine(), "3", "12"});
  EXPECT_TRUE(WaitProducts(edge, [](const Products& p) {
    return p.count(3) > 0 && p.at(3)["name"] == "Juice" && p.at(3)["price"] == 275 &&
           p.at(3)["count"] == 12;
  })) << fleet.Logs();
}

TEST_F(FleetTest, APriceChangeAndARestockFromTheCliReachTheKiosk) {
  auto& fleet = StartFleet(WithEdges(2));
  EdgeNode& a = fleet.edge(0);
  EdgeNode& b = fleet.edge(1);

  fleet.CliOk({"price", "set", a.machine(), std::to_string(kCola), "175"});
  fleet.CliOk({"stock", "set", a.machine(), std::to_string(kWater), "40"});
  fleet.CliOk({"stock", "add", a.machine(), std::to_string(kCola), "-7"});
  ASSERT_TRUE(WaitProducts(a, [](const Products& p) {
    return p.at(kCola)["price"] == 175 && p.at(kWater)["count"] == 40 &&
           p.at(kCola)["count"] == kInitialStock - 7;
  })) << fleet.Logs();

  // A sale now charges the new price, and the cloud records that price.
  const Customer c = a.NewCustomer(1000);
  auto sale = a.Buy(c, kCola);
  ASSERT_EQ(sale.status, 201) << sale;
  EXPECT_EQ(json::parse(sale.body)["order"]["price"], 175);

  // A catalog price change reaches every machine except where a machine price overrides.
  fleet.CliOk({"product", "set", std::to_string(kCola), "--price", "160"});
  EXPECT_TRUE(WaitProducts(b, [](const Products& p) { return p.at(kCola)["price"] == 160; }))
      << fleet.Logs();
  ExpectConsistent();
  EXPECT_EQ(a.Products().at(kCola)["price"], 175);
  EXPECT_EQ(b.Products().at(kWater)["count"], kInitialStock);
  EXPECT_EQ(fleet.PgInt("SELECT price FROM orders WHERE machine_id = $1", a.machine()), 175);
}

TEST_F(FleetTest, ACommandSentWhileItsMachineIsOfflineIsAppliedExactlyOnceWhenItReturns) {
  auto& fleet = StartFleet(WithEdges(2));
  EdgeNode& edge = fleet.edge(0);
  const std::string m = edge.machine();
  edge.Stop();
  ASSERT_TRUE(WaitUntil([&] {
    return fleet.PgInt("SELECT online::int FROM machines WHERE id = $1", m) == 0;
  })) << "the cloud never saw the machine go offline";

  fleet.CliOk({"stock", "set", m, std::to_string(kCola), "77"});
  fleet.CliOk({"price", "set", m, std::to_string(kWater), "90"});
  // Published while the machine is away: the broker queues them in its session.
  ASSERT_TRUE(WaitUntil([&] {
    return fleet.PgInt(
               "SELECT count(*) FROM commands WHERE machine_id = $1 AND status = "
               "'pending' AND sent_count >= 1",
               m) == 2;
  }));

  edge.Start();
  ASSERT_TRUE(WaitProducts(edge, [](const Products& p) {
    return p.at(kCola)["count"] == 77 && p.at(kWater)["price"] == 90;
  })) << fleet.Logs();
  ExpectConsistent();

  const std::string offline_commands =
      "FROM commands WHERE machine_id = $1 AND type IN ('stock.set', 'product.upsert') "
      "AND (data->>'count' = '77' OR data->>'price' = '90')";
  EXPECT_EQ(fleet.PgInt("SELECT count(*) " + offline_commands + " AND status = 'applied'", m), 2);
  // Each went out at least twice (queued by the broker, and again when the machine came
  // online), and each was applied once: one outcome event each, and the repeat counted.
  EXPECT_GE(fleet.PgInt("SELECT min(sent_count) " + offline_commands, m), 2);
  EXPECT_EQ(fleet.PgInt("SELECT count(*) FROM edge_events e WHERE machine_id = $1 AND type = "
                        "'command.applied' AND (data->>'command_id')::uuid IN (SELECT id " +
                            offline_commands + ")",
                        m),
            2);
  EXPECT_GE(edge.Metric("vend_edge_sync_commands_total", "outcome=\"duplicate\""), 1);
  EXPECT_EQ(fleet.edge(1).Products().at(kCola)["count"], kInitialStock);
}

// --------------------------------------------------------------------------- two clouds

TEST_F(FleetTest, TwoCloudInstancesWithThreeEdgesUnderLoadConverge) {
  FleetOptions options;
  options.edges = 3;
  options.clouds = 2;
  auto& fleet = StartFleet(options);

  std::vector<std::thread> shoppers;
  std::atomic<int> failures{0};
  for (size_t i = 0; i < fleet.edges(); ++i) {
    shoppers.emplace_back([&, i] {
      Shop(fleet.edge(i), 8, 120);
      if (::testing::Test::HasFatalFailure()) ++failures;
    });
  }
  for (auto& t : shoppers) t.join();
  ASSERT_EQ(failures, 0);

  ExpectConsistent();
  for (size_t i = 0; i < fleet.edges(); ++i) {
    EXPECT_EQ(fleet.LedgerGap(fleet.edge(i), /*exact=*/true), "") << fleet.edge(i).machine();
  }
  // The shared subscription gave work to both instances.
  for (size_t i = 0; i < fleet.clouds(); ++i) {
    EXPECT_GT(fleet.cloud(i).Metric("vend_cloud_events_ingested_total"), 0) << "cloud " << i;
  }
}

// --------------------------------------------------------------------------- fleet-check

TEST(FleetCheckCli, HelpSaysWhatItChecksAndThatItOnlyReads) {
  auto help = RunFleetCheckBinary({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* phrase : {"MACHINE_ID=PATH", "exactly once", "Read-only", "--live", "--pg",
                             "Exit status: 0 no difference, 1 differences, 2"}) {
    EXPECT_NE(help.out.find(phrase), std::string::npos) << phrase << "\n" << help.out;
  }
  auto bad = RunFleetCheckBinary({"--pg", "postgresql://127.0.0.1:1/none", "not-a-spec"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("is not MACHINE_ID=PATH"), std::string::npos) << bad.err;
  auto missing =
      RunFleetCheckBinary({"--pg", "postgresql://127.0.0.1:1/none", "vm-1=/nonexistent"});
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
}

TEST_F(FleetTest, FleetCheckFindsWhatWasChangedOnEitherSide) {
  auto& fleet = StartFleet(WithEdges(1));
  EdgeNode& edge = fleet.edge(0);
  Shop(edge, 3, 20);
  ExpectConsistent();

  // PostgreSQL changed behind the cloud's back: a stock count and a lost order.
  {
    pqxx::connection c(fleet.pg_url());
    pqxx::work tx(c);
    tx.exec_params("UPDATE stock SET count = count + 1 WHERE machine_id = $1 AND product_id = $2",
                   edge.machine(), kWater);
    tx.exec_params(
        "CREATE TABLE hidden_order AS SELECT * FROM orders WHERE machine_id = $1 AND order_id = 2",
        edge.machine());
    tx.exec_params("DELETE FROM orders WHERE machine_id = $1 AND order_id = 2", edge.machine());
    tx.commit();
  }
  auto check = fleet.RunFleetCheck();
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_NE(check.out.find(edge.machine() + " DIFF stock: product 2"), std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find(edge.machine() + " DIFF orders: order 2 "), std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find(edge.machine() + " DIFF money: cloud:"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("1 machine(s) compared, 3 difference(s)"), std::string::npos)
      << check.out;
  {
    pqxx::connection c(fleet.pg_url());
    pqxx::work tx(c);
    tx.exec_params("UPDATE stock SET count = count - 1 WHERE machine_id = $1 AND product_id = $2",
                   edge.machine(), kWater);
    tx.exec("INSERT INTO orders SELECT * FROM hidden_order");
    tx.exec("DROP TABLE hidden_order");
    tx.commit();
  }
  EXPECT_EQ(fleet.RunFleetCheck().exit_code, 0);

  // The edge database changed: a copy with a balance out of thin air.
  edge.Stop();
  test_support::TempDir dir("fleet-check-copy-");
  const fs::path copy = dir.path() / "edge.db";
  fs::copy_file(edge.db(), copy);
  if (fs::exists(edge.db().string() + "-wal"))
    fs::copy_file(edge.db().string() + "-wal", copy.string() + "-wal");
  SqliteExec(copy, "UPDATE customers SET balance = balance + 1 WHERE id = 1");
  auto tampered =
      RunFleetCheckBinary({"--pg", fleet.pg_url(), edge.machine() + "=" + copy.string()});
  EXPECT_EQ(tampered.exit_code, 1) << tampered.out << tampered.err;
  EXPECT_NE(tampered.out.find("DIFF customers: customer 1:"), std::string::npos) << tampered.out;
  EXPECT_NE(tampered.out.find("DIFF money: edge:"), std::string::npos) << tampered.out;
  edge.Start();
}

struct FileState {
  bool exists = false;
  uintmax_t size = 0;
  fs::file_time_type mtime;
  bool operator==(const FileState& o) const {
    return exists == o.exists && size == o.size && mtime == o.mtime;
  }
};

FileState StateOf(const fs::path& p) {
  std::error_code ec;
  FileState s;
  s.exists = fs::exists(p, ec);
  if (s.exists) {
    s.size = fs::file_size(p, ec);
    s.mtime = fs::last_write_time(p, ec);
  }
  return s;
}

TEST_F(FleetTest, FleetCheckReadsKilledStoppedAndRunningEdgesWithoutWritingThem) {
  auto& fleet = StartFleet(WithEdges(3));
  for (size_t i = 0; i < 3; ++i) Shop(fleet.edge(i), 2, 15);
  ExpectConsistent();

  // Killed: its last transactions are only in the -wal file, which is read, not changed.
  EdgeNode& killed = fleet.edge(0);
  killed.Kill();
  const fs::path wal = killed.db().string() + "-wal";
  ASSERT_GT(StateOf(wal).size, 0u) << "expected committed pages in the WAL after SIGKILL";
  const FileState db_before = StateOf(killed.db()), wal_before = StateOf(wal);
  // Stopped cleanly.
  fleet.edge(1).Stop();
  // Running, and selling while it is checked: --live compares what is on its way as
  // pending, and the snapshot of each side is consistent.
  EdgeNode& running = fleet.edge(2);
  const Customer c = running.NewCustomer(100000);
  std::atomic<bool> stop{false};
  std::atomic<int> sold{0};
  std::thread shopper([&] {
    while (!stop) {
      if (running.Buy(c, kWater).status == 201) ++sold;
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return sold >= 20; }));
  auto live = fleet.RunFleetCheck({"--live"});
  auto live_again = fleet.RunFleetCheck({"--live"});
  stop = true;
  shopper.join();
  EXPECT_EQ(live.exit_code, 0) << live.out << live.err;
  EXPECT_EQ(live_again.exit_code, 0) << live_again.out << live_again.err;
  EXPECT_EQ(StateOf(killed.db()), db_before);
  EXPECT_EQ(StateOf(wal), wal_before);

  // Restarted, the killed and the stopped machine lost nothing either.
  killed.Start();
  fleet.edge(1).Start();
  ExpectConsistent();
  EXPECT_EQ(SqliteInt(running.db(),
                      "SELECT count(*) FROM orders WHERE customer_id = " + std::to_string(c.id)),
            sold.load());
}

}  // namespace
}  // namespace vend::fleet_test
