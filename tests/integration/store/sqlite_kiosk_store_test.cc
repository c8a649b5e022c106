// SqliteKioskStore against a real SQLite file: transactions, outbox bookkeeping,
// migrations and reopening.
#include "store/sqlite_kiosk_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

namespace vend::edge::store {
namespace {

namespace fs = std::filesystem;
using core::Product;

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vend-store-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/edge.db";
    Reopen();
    ASSERT_TRUE(store_
                    ->SeedCatalog({Cola(10), Product{2, "Water", Money::FromCents(100), 2,
                                                     "water.svg", false}})
                    .ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static Product Cola(int64_t count) {
    return Product{1, "Cola", Money::FromCents(150), count, "cola.svg", true};
  }

  void Reopen(const std::string& machine = "m-1") {
    store_.reset();
    auto s = SqliteKioskStore::Open(path_, machine);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // A customer with `cents` on the balance.
  core::Customer Funded(const std::string& name, int64_t cents) {
    auto c = store_->CreateCustomer(name);
    EXPECT_TRUE(c.ok());
    if (cents == 0) return c->customer;
    auto d =
        store_->Deposit(c->customer.id, name, Money::FromCents(cents), Money::FromCents(100000));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return *d;
  }

  std::vector<schemas::Event> Events() {
    auto e = store_->PendingEvents(0, 10000);
    EXPECT_TRUE(e.ok());
    return *e;
  }

  int64_t Count(int64_t product_id) { return store_->GetProduct(product_id)->count; }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteKioskStore> store_;
};

TEST_F(SqliteStore, UsesWalJournal) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStore, SeedingRecordsStockEvents) {
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 1);
  auto* sc = std::get_if<schemas::StockChanged>(&events[0].data);
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->cause, "seed");
  EXPECT_EQ(sc->count, 10);
}

TEST_F(SqliteStore, SeedingAgainChangesNothing) {
  Funded("a", 1000);
  ASSERT_TRUE(store_->Buy({1, "a", std::nullopt}).ok());
  auto before = Events().size();
  ASSERT_TRUE(store_->SeedCatalog({Cola(99)}).ok());
  EXPECT_EQ(Count(1), 9);
  EXPECT_EQ(Events().size(), before);
}

TEST_F(SqliteStore, BuyChargesAndAppendsOrderAndStockEvents) {
  auto c = Funded("alice", 500);
  auto r = store_->Buy({1, "alice", std::nullopt});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->balance.cents(), 350);
  EXPECT_EQ(Count(1), 9);
  auto events = Events();
  ASSERT_EQ(events.size(), 5u);  // 2 seed, deposit, order, stock
  auto* oc = std::get_if<schemas::OrderCreated>(&events[3].data);
  ASSERT_NE(oc, nullptr);
  EXPECT_EQ(oc->order_id, r->order.id);
  EXPECT_EQ(oc->order_uuid, r->order.uuid);
  EXPECT_EQ(oc->customer_id, c.id);
  EXPECT_EQ(oc->price, 150);
  EXPECT_EQ(oc->balance_after, 350);
  auto* sc = std::get_if<schemas::StockChanged>(&events[4].data);
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->count, 9);
  EXPECT_EQ(sc->cause, "sale");
}

TEST_F(SqliteStore, FailedBuyChangesNothing) {
  Funded("bob", 100);
  auto before = Events().size();
  auto r = store_->Buy({1, "bob", std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), "insufficient_funds");
  EXPECT_EQ(store_->GetCustomer(1, "bob")->balance.cents(), 100);
  EXPECT_EQ(Count(1), 10);
  EXPECT_EQ(Events().size(), before);
  EXPECT_TRUE(store_->Orders(1, "bob")->empty());
}

TEST_F(SqliteStore, BuyRejectsUnknownProductAndUser) {
  Funded("carol", 1000);
  EXPECT_EQ(store_->Buy({42, "carol", std::nullopt}).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Buy({1, "nobody", std::nullopt}).status().code(), Code::kNotFound);
}

TEST_F(SqliteStore, IdempotentBuyChargesOnce) {
  Funded("dan", 1000);
  auto first = store_->Buy({1, "dan", std::string("key-1")});
  auto again = store_->Buy({1, "dan", std::string("key-1")});
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->order.id, again->order.id);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->balance.cents(), 850);
  EXPECT_EQ(Count(1), 9);
  EXPECT_EQ(store_->Buy({2, "dan", std::string("key-1")}).status().reason(),
            "idempotency_conflict");
}

TEST_F(SqliteStore, RefundReturnsMoneyAndStockOnce) {
  Funded("erin", 300);
  auto o = store_->Buy({1, "erin", std::nullopt});
  ASSERT_TRUE(o.ok());
  auto r = store_->Refund({1, "erin", std::nullopt});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->order.id, o->order.id);
  EXPECT_EQ(r->order.status, core::OrderStatus::kRefunded);
  EXPECT_EQ(r->balance.cents(), 300);
  EXPECT_EQ(Count(1), 10);
  EXPECT_EQ(store_->Refund({1, "erin", o->order.id}).status().reason(), "already_refunded");
  EXPECT_EQ(store_->Refund({1, "erin", std::nullopt}).status().reason(), "already_refunded");
  auto events = Events();
  auto* refunded = std::get_if<schemas::OrderRefunded>(&events[events.size() - 2].data);
  ASSERT_NE(refunded, nullptr);
  EXPECT_EQ(refunded->amount, 150);
}

TEST_F(SqliteStore, RefundChecksOwnershipAndRefundability) {
  Funded("fay", 300);
  Funded("gus", 0);
  auto water = store_->Buy({2, "fay", std::nullopt});
  ASSERT_TRUE(water.ok());
  EXPECT_EQ(store_->Refund({2, "fay", std::nullopt}).status().reason(), "not_refundable");
  EXPECT_EQ(store_->Refund({2, "gus", water->order.id}).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(store_->Refund({2, "gus", std::nullopt}).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Refund({1, "fay", int64_t{999}}).status().code(), Code::kNotFound);
}

TEST_F(SqliteStore, CustomerAccessNeedsTheOwnName) {
  auto c = Funded("hal", 0);
  EXPECT_EQ(store_->GetCustomer(c.id, "hal")->user_name, "hal");
  EXPECT_EQ(store_->GetCustomer(c.id, "mallory").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(store_->GetCustomer(c.id, "").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(store_->GetCustomer(c.id + 1, "hal").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Deposit(c.id, "mallory", Money::FromCents(5), Money::FromCents(100000))
                .status()
                .code(),
            Code::kPermissionDenied);
}

TEST_F(SqliteStore, CreatingTheSameNameReturnsTheExistingCustomer) {
  auto a = store_->CreateCustomer("ivy");
  auto b = store_->CreateCustomer("ivy");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->created);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(a->customer.id, b->customer.id);
}

TEST_F(SqliteStore, StoresNamesAsDataNotSql) {
  const std::string nasty = "x'); DROP TABLE customers; --";
  auto c = Funded(nasty, 10);
  EXPECT_EQ(store_->GetCustomer(c.id, nasty)->user_name, nasty);
  EXPECT_TRUE(store_->CreateCustomer("Zoë 顧客 🥤").ok());
}

TEST_F(SqliteStore, OrdersAreNewestFirst) {
  Funded("jo", 1000);
  auto a = store_->Buy({1, "jo", std::nullopt});
  auto b = store_->Buy({2, "jo", std::nullopt});
  auto orders = store_->Orders(1, "jo");
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 2u);
  EXPECT_EQ((*orders)[0].id, b->order.id);
  EXPECT_EQ((*orders)[1].id, a->order.id);
}

TEST_F(SqliteStore, SeqIsGaplessAcrossReopen) {
  Funded("kim", 1000);
  ASSERT_TRUE(store_->Buy({1, "kim", std::nullopt}).ok());
  Reopen();
  ASSERT_TRUE(store_->Buy({1, "kim", std::nullopt}).ok());
  auto events = Events();
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ(store_->Outbox()->last_seq, static_cast<int64_t>(events.size()));
}

TEST_F(SqliteStore, AcknowledgeDropsOnlyCoveredEvents) {
  Funded("lee", 1000);
  ASSERT_TRUE(store_->Acknowledge(2).ok());
  auto stats = store_->Outbox();
  EXPECT_EQ(stats->acked_seq, 2);
  EXPECT_EQ(stats->depth, 1);
  auto rest = Events();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq, 3);
  // An ack beyond what exists never moves acked_seq past last_seq.
  ASSERT_TRUE(store_->Acknowledge(100).ok());
  EXPECT_EQ(store_->Outbox()->acked_seq, 3);
  Reopen();
  EXPECT_EQ(store_->Outbox()->depth, 0);
}

TEST_F(SqliteStore, PendingEventsPagesInSeqOrder) {
  Funded("max", 1000);
  auto page = store_->PendingEvents(1, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].seq, 3);
}

TEST_F(SqliteStore, RefusesADatabaseOfAnotherMachine) {
  store_.reset();
  auto other = SqliteKioskStore::Open(path_, "m-2");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().reason(), "wrong_machine");
}

TEST_F(SqliteStore, RefusesADatabaseFromANewerVersion) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO schema_migrations VALUES (999, 'future', "
                         "'2030-01-01T00:00:00Z')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = SqliteKioskStore::Open(path_, "m-1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().reason(), "schema_too_new");
}

// Concurrent writers share group commits; an operation that fails inside a group must
// leave no trace while the others in the same group commit whole.
TEST_F(SqliteStore, FailuresInsideAGroupCommitLeaveNoTraceAndSparesTheRest) {
  ASSERT_TRUE(
      store_->SeedCatalog({Product{5, "Gum", Money::FromCents(10), 100000, "", true}}).ok());
  constexpr int kThreads = 8;
  constexpr int kOps = 60;
  for (int t = 0; t < kThreads; ++t) {
    Funded("rich-" + std::to_string(t), 100000);
    Funded("poor-" + std::to_string(t), 0);
  }
  const int64_t events_before = static_cast<int64_t>(Events().size());
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        const bool rich = i % 2 == 0;
        auto r = store_->Buy({5, (rich ? "rich-" : "poor-") + std::to_string(t), std::nullopt});
        (r.ok() ? ok : refused)++;
        EXPECT_EQ(r.ok(), rich) << r.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kOps / 2);
  EXPECT_EQ(refused.load(), kThreads * kOps / 2);
  auto events = Events();
  // Two events per sale, none for a refused buy, and seq still gapless.
  EXPECT_EQ(static_cast<int64_t>(events.size()) - events_before, 2 * ok.load());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ(Count(5), 100000 - ok.load());
  for (int t = 0; t < kThreads; ++t) {
    auto poor = store_->CreateCustomer("poor-" + std::to_string(t));
    EXPECT_EQ(poor->customer.balance.cents(), 0);
    EXPECT_TRUE(store_->Orders(poor->customer.id, "poor-" + std::to_string(t))->empty());
  }
}

TEST(SqliteMigrate, AppliesOnlyWhatIsNewAndRollsBackAFailure) {
  char tmpl[] = "/tmp/vend-migrate-test-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  {
    SqliteConn conn(dir + "/m.db", true);
    std::vector<schemas::Migration> v1 = {{1, "one", "CREATE TABLE a (x INTEGER);"}};
    ASSERT_TRUE(Migrate(conn, v1).ok());
    ASSERT_TRUE(Migrate(conn, v1).ok());  // nothing new: no "table a exists" error
    std::vector<schemas::Migration> v2 = {
        {1, "one", "CREATE TABLE a (x INTEGER);"},
        {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);"}};
    EXPECT_FALSE(Migrate(conn, v2).ok());
    auto q = conn.Prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'");
    ASSERT_TRUE(q.Step());
    EXPECT_EQ(q.Int(0), 0) << "a failed migration must leave no trace";
    auto v = conn.Prepare("SELECT max(version) FROM schema_migrations");
    ASSERT_TRUE(v.Step());
    EXPECT_EQ(v.Int(0), 1);
  }
  fs::remove_all(dir);
}

TEST(SqliteOpen, RejectsABadMachineId) {
  EXPECT_EQ(SqliteKioskStore::Open("/tmp/unused.db", "bad/id").status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace vend::edge::store
