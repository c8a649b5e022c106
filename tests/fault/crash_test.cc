// Crash safety of the edge store: a child process doing a burst of buys and deposits is
// killed with SIGKILL at an arbitrary instant; the database is reopened and must hold
// every operation the child saw acknowledged, each with its outbox events, no half-done
// operation, and a gapless seq.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/sqlite_kiosk_store.h"

namespace vend::edge::store {
namespace {

namespace fs = std::filesystem;

constexpr int kThreads = 4;
constexpr int64_t kPrice = 150;
constexpr int64_t kInitialCount = 1000000;

// What the child reports after each acknowledged operation: kind 'B' (buy, id = order
// id) or 'D' (deposit, id = customer id). 16 bytes, below PIPE_BUF, so writes from
// several threads never interleave.
struct Ack {
  int64_t kind;
  int64_t id;
};

[[noreturn]] void RunChild(const std::string& path, int round, int fd) {
  auto store = SqliteKioskStore::Open(path, "crash-1");
  if (!store.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string name = "r" + std::to_string(round) + "-t" + std::to_string(t);
      auto c = (*store)->CreateCustomer(name);
      if (!c.ok()) _exit(4);
      for (;;) {
        auto buy = (*store)->Buy({1, name, std::nullopt});
        if (buy.ok()) {
          Ack a{'B', buy->order.id};
          if (write(fd, &a, sizeof a) != sizeof a) _exit(5);
          continue;
        }
        if (buy.status().reason() != "insufficient_funds") _exit(6);
        auto d = (*store)->Deposit(c->customer.id, name, Money::FromCents(1000),
                                   Money::FromCents(100000));
        if (!d.ok()) _exit(7);
        Ack a{'D', c->customer.id};
        if (write(fd, &a, sizeof a) != sizeof a) _exit(5);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// Runs one SQL query returning a single integer.
int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vend-crash-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/edge.db";
    auto store = SqliteKioskStore::Open(path_, "crash-1");
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)
                    ->SeedCatalog({core::Product{1, "Cola", Money::FromCents(kPrice), kInitialCount,
                                                 "cola.svg", true}})
                    .ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Forks a child that hammers the store, kills it after `acks_before_kill`
  // acknowledged operations, and returns every ack it managed to send.
  std::vector<Ack> RunAndKill(int round, int acks_before_kill) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      RunChild(path_, round, fds[1]);
    }
    close(fds[1]);
    std::vector<Ack> acks;
    Ack a;
    bool killed = false;
    while (read(fds[0], &a, sizeof a) == static_cast<ssize_t>(sizeof a)) {
      acks.push_back(a);
      if (!killed && static_cast<int>(acks.size()) >= acks_before_kill) {
        kill(pid, SIGKILL);
        killed = true;
      }
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended by itself with status " << status;
    return acks;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(CrashTest, KilledMidBurstLosesNothingAcknowledgedAndLeavesNoHalfOperation) {
  std::mt19937 rng(std::random_device{}());
  std::set<int64_t> acked_orders;
  std::map<int64_t, int64_t> acked_deposits;  // customer id -> count
  for (int round = 0; round < 4; ++round) {
    for (const Ack& a : RunAndKill(round, std::uniform_int_distribution<int>(50, 400)(rng))) {
      if (a.kind == 'B') acked_orders.insert(a.id);
      if (a.kind == 'D') acked_deposits[a.id]++;
    }
  }
  ASSERT_FALSE(acked_orders.empty());

  // Reopening runs WAL recovery and must succeed.
  {
    auto store = SqliteKioskStore::Open(path_, "crash-1");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);

  // Every acknowledged buy is there, with its order.created event.
  for (int64_t id : acked_orders) {
    const std::string sid = std::to_string(id);
    EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM orders WHERE id = " + sid), 1) << id;
    EXPECT_EQ(QueryInt(db,
                       "SELECT count(*) FROM outbox WHERE type = 'order.created' AND "
                       "json_extract(data, '$.order_id') = " +
                           sid),
              1)
        << id;
  }
  // Every acknowledged deposit is there.
  for (auto [customer, n] : acked_deposits) {
    EXPECT_GE(QueryInt(db, "SELECT count(*) FROM deposits WHERE customer_id = " +
                               std::to_string(customer)),
              n);
  }
  // No half-done operation: each row has exactly its events, and the numbers add up.
  const int64_t orders = QueryInt(db, "SELECT count(*) FROM orders");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM outbox WHERE type = 'order.created'"), orders);
  EXPECT_EQ(QueryInt(db,
                     "SELECT count(*) FROM outbox WHERE type = 'stock.changed' AND "
                     "json_extract(data, '$.cause') = 'sale'"),
            orders);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM outbox WHERE type = 'balance.deposited'"),
            QueryInt(db, "SELECT count(*) FROM deposits"));
  EXPECT_EQ(QueryInt(db, "SELECT count FROM products WHERE id = 1"), kInitialCount - orders);
  EXPECT_EQ(QueryInt(db,
                     "SELECT count(*) FROM customers c WHERE balance != "
                     "(SELECT coalesce(sum(amount), 0) FROM deposits d WHERE "
                     "d.customer_id = c.id) - "
                     "(SELECT coalesce(sum(price), 0) FROM orders o WHERE "
                     "o.customer_id = c.id)"),
            0);
  EXPECT_EQ(QueryInt(db,
                     "SELECT json_extract(data, '$.count') FROM outbox WHERE "
                     "type = 'stock.changed' ORDER BY seq DESC LIMIT 1"),
            kInitialCount - orders);
  // seq is gapless: 1..last_seq, all present (nothing was acknowledged by a cloud).
  const int64_t last_seq = QueryInt(db, "SELECT last_seq FROM machine");
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM outbox"), last_seq);
  EXPECT_EQ(QueryInt(db, "SELECT min(seq) FROM outbox"), 1);
  EXPECT_EQ(QueryInt(db, "SELECT max(seq) FROM outbox"), last_seq);
  sqlite3_close(db);
}

}  // namespace
}  // namespace vend::edge::store
