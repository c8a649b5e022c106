// The command inbox of SqliteKioskStore on a real SQLite file: every command type, its
// events, exactly-once per command id, rejections that change nothing, and the one
// transaction that makes a half-applied command impossible.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/sqlite_kiosk_store.h"
#include "support/temp_dir.h"
#include "vend/ids.h"

namespace vend::edge::store {
namespace {

using core::Product;
using schemas::Command;

Command Make(schemas::CommandData data) {
  return Command{NewUuid(), NowIso8601(), std::move(data)};
}

class CommandInbox : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "edge.db").string();
    Reopen();
    ASSERT_TRUE(
        store_->SeedCatalog({Product{1, "Cola", Money::FromCents(150), 5, "cola.svg", true}}).ok());
    base_seq_ = LastSeq();
  }

  void Reopen() {
    store_.reset();
    auto s = SqliteKioskStore::Open(path_, "inbox-1");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  int64_t LastSeq() {
    auto o = store_->Outbox();
    EXPECT_TRUE(o.ok());
    return o->last_seq;
  }

  // Events appended since SetUp, oldest first.
  std::vector<schemas::Event> NewEvents() {
    auto e = store_->PendingEvents(base_seq_, 10000);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : std::vector<schemas::Event>{};
  }

  std::optional<Product> Find(int64_t id) {
    for (const auto& p : *store_->Products()) {
      if (p.id == id) return p;
    }
    return std::nullopt;
  }

  core::CommandOutcome Apply(const Command& c) {
    auto r = store_->ApplyCommand(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : core::CommandOutcome{};
  }

  int64_t CountRows(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }

  // Runs SQL on a separate connection, as another process would.
  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  test_support::TempDir dir_{"vend-inbox-test-"};
  std::string path_;
  std::unique_ptr<SqliteKioskStore> store_;
  int64_t base_seq_ = 0;
};

template <typename T>
const T& As(const schemas::Event& e) {
  return std::get<T>(e.data);
}

TEST_F(CommandInbox, UpsertOfANewProductListsItAtCountZero) {
  auto c = Make(schemas::ProductUpsert{7, "Tea", 220, "tea.svg", false});
  auto out = Apply(c);
  EXPECT_TRUE(out.applied);
  EXPECT_FALSE(out.duplicate);
  auto tea = Find(7);
  ASSERT_TRUE(tea);
  EXPECT_EQ(tea->name, "Tea");
  EXPECT_EQ(tea->price.cents(), 220);
  EXPECT_EQ(tea->count, 0);
  EXPECT_FALSE(tea->is_refundable);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).count, 0);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).cause, "command");
  EXPECT_EQ(As<schemas::CommandApplied>(events[1]).command_id, c.id);
  EXPECT_EQ(As<schemas::CommandApplied>(events[1]).command_type, "product.upsert");
  EXPECT_EQ(events[1].seq, events[0].seq + 1);
}

TEST_F(CommandInbox, UpsertOfAKnownProductChangesTheCatalogButNotTheCount) {
  Apply(Make(schemas::ProductUpsert{1, "Cola Zero", 199, "zero.svg", false}));
  auto cola = Find(1);
  ASSERT_TRUE(cola);
  EXPECT_EQ(cola->name, "Cola Zero");
  EXPECT_EQ(cola->price.cents(), 199);
  EXPECT_EQ(cola->image, "zero.svg");
  EXPECT_FALSE(cola->is_refundable);
  EXPECT_EQ(cola->count, 5);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data.index(), schemas::EventData(schemas::CommandApplied{}).index());
}

TEST_F(CommandInbox, ANewPriceIsWhatTheNextBuyCharges) {
  Apply(Make(schemas::ProductUpsert{1, "Cola", 90, "cola.svg", true}));
  auto c = store_->CreateCustomer("price-test");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(
      store_->Deposit(c->customer.id, "price-test", Money::FromCents(100), Money::FromCents(1000))
          .ok());
  auto buy = store_->Buy({1, "price-test", std::nullopt});
  ASSERT_TRUE(buy.ok()) << buy.status().ToString();
  EXPECT_EQ(buy->order.price.cents(), 90);
  EXPECT_EQ(buy->balance.cents(), 10);
}

TEST_F(CommandInbox, RemoveTakesTheProductOffTheKioskAndReportsCountZero) {
  auto out = Apply(Make(schemas::ProductRemove{1}));
  EXPECT_TRUE(out.applied);
  EXPECT_FALSE(Find(1));
  EXPECT_EQ(store_->GetProduct(1).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Buy({1, "nobody", std::nullopt}).status().code(), Code::kNotFound);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).product_id, 1);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).count, 0);
  EXPECT_EQ(As<schemas::CommandApplied>(events[1]).command_type, "product.remove");
}

TEST_F(CommandInbox, ARemovedProductIsNotSeededBackByTheCatalogFile) {
  Apply(Make(schemas::ProductRemove{1}));
  ASSERT_TRUE(store_->SeedCatalog({Product{1, "Cola", Money::FromCents(150), 5, "", true}}).ok());
  EXPECT_FALSE(Find(1));
}

TEST_F(CommandInbox, UpsertAfterRemoveBringsTheProductBackAtZero) {
  Apply(Make(schemas::ProductRemove{1}));
  Apply(Make(schemas::ProductUpsert{1, "Cola", 150, "cola.svg", true}));
  auto cola = Find(1);
  ASSERT_TRUE(cola);
  EXPECT_EQ(cola->count, 0);
}

TEST_F(CommandInbox, RemoveOfAnAbsentProductIsAppliedAndChangesNothingElse) {
  auto out = Apply(Make(schemas::ProductRemove{42}));
  EXPECT_TRUE(out.applied);
  ASSERT_EQ(NewEvents().size(), 1u);
  EXPECT_TRUE(Find(1));
}

TEST_F(CommandInbox, StockSetSetsTheAbsoluteCount) {
  Apply(Make(schemas::StockSet{1, 40}));
  EXPECT_EQ(Find(1)->count, 40);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).count, 40);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).cause, "command");
}

TEST_F(CommandInbox, StockAddAddsAndSubtracts) {
  Apply(Make(schemas::StockAdd{1, 7}));
  EXPECT_EQ(Find(1)->count, 12);
  Apply(Make(schemas::StockAdd{1, -12}));
  EXPECT_EQ(Find(1)->count, 0);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(As<schemas::StockChanged>(events[0]).count, 12);
  EXPECT_EQ(As<schemas::StockChanged>(events[2]).count, 0);
}

TEST_F(CommandInbox, StockAddBelowZeroIsRejectedAndChangesNothing) {
  auto c = Make(schemas::StockAdd{1, -6});
  auto out = Apply(c);
  EXPECT_FALSE(out.applied);
  EXPECT_FALSE(out.reason.empty());
  EXPECT_EQ(Find(1)->count, 5);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(As<schemas::CommandRejected>(events[0]).command_id, c.id);
  EXPECT_EQ(As<schemas::CommandRejected>(events[0]).reason, out.reason);
}

TEST_F(CommandInbox, StockCommandsForAnUnknownProductAreRejected) {
  EXPECT_FALSE(Apply(Make(schemas::StockSet{99, 1})).applied);
  EXPECT_FALSE(Apply(Make(schemas::StockAdd{99, 1})).applied);
  EXPECT_FALSE(Find(99));
  EXPECT_EQ(NewEvents().size(), 2u);
}

TEST_F(CommandInbox, ConfigSetIsStoredAndSurvivesAReopen) {
  auto out = Apply(Make(schemas::ConfigSet{"max_deposit", 2500}));
  EXPECT_TRUE(out.applied);
  ASSERT_TRUE(out.config);
  EXPECT_EQ(out.config->value, 2500);
  Apply(Make(schemas::ConfigSet{"telemetry_interval_s", 5}));
  Apply(Make(schemas::ConfigSet{"max_deposit", 3000}));
  Reopen();
  auto config = store_->Config();
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(*config,
            (std::map<std::string, int64_t>{{"max_deposit", 3000}, {"telemetry_interval_s", 5}}));
}

TEST_F(CommandInbox, ARepeatedIdIsNotAppliedTwiceNorReportedTwice) {
  auto c = Make(schemas::StockAdd{1, 3});
  ASSERT_TRUE(Apply(c).applied);
  const auto events_before = NewEvents().size();
  auto again = Apply(c);
  EXPECT_TRUE(again.duplicate);
  EXPECT_TRUE(again.applied);
  EXPECT_EQ(Find(1)->count, 8);
  EXPECT_EQ(NewEvents().size(), events_before);
}

TEST_F(CommandInbox, ARepeatedIdIsRecognisedAfterARestart) {
  auto c = Make(schemas::StockAdd{1, 3});
  ASSERT_TRUE(Apply(c).applied);
  Reopen();
  EXPECT_TRUE(Apply(c).duplicate);
  EXPECT_EQ(Find(1)->count, 8);
}

TEST_F(CommandInbox, ARepeatedRejectedIdReportsTheOriginalRejection) {
  auto c = Make(schemas::StockAdd{1, -100});
  auto first = Apply(c);
  ASSERT_FALSE(first.applied);
  // Meanwhile the stock grew enough; the repeat is still the same command, not re-tried.
  Apply(Make(schemas::StockSet{1, 500}));
  auto again = Apply(c);
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.applied);
  EXPECT_EQ(again.reason, first.reason);
  EXPECT_EQ(Find(1)->count, 500);
}

TEST_F(CommandInbox, AnIdIsOneCommandWhateverItsContent) {
  auto c = Make(schemas::StockSet{1, 9});
  Apply(c);
  c.data = schemas::StockSet{1, 77};
  EXPECT_TRUE(Apply(c).duplicate);
  EXPECT_EQ(Find(1)->count, 9);
}

TEST_F(CommandInbox, AnUndecodableCommandIsRejectedOnceEchoingItsType) {
  const std::string id = NewUuid();
  auto out = store_->RejectCommand(id, "stock.teleport", "unknown command type 'stock.teleport'");
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->applied);
  auto again = store_->RejectCommand(id, "stock.teleport", "unknown command type");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  auto events = NewEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(As<schemas::CommandRejected>(events[0]).command_type, "stock.teleport");
  EXPECT_EQ(As<schemas::CommandRejected>(events[0]).command_id, id);
}

TEST_F(CommandInbox, RejectingNeedsAUuid) {
  EXPECT_EQ(store_->RejectCommand("not-a-uuid", "x", "y").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(NewEvents().size(), 0u);
}

TEST_F(CommandInbox, HostileRejectionTextStillLeavesASendableOutbox) {
  ASSERT_TRUE(
      store_->RejectCommand(NewUuid(), std::string("\x01\xff", 2), std::string(4000, '\n')).ok());
  auto events = store_->PendingEvents(0, 100);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
}

TEST_F(CommandInbox, EveryAppliedCommandHasItsRowAndItsOutcomeEventTogether) {
  // One transaction per command: the applied_commands row, the change and its events
  // commit together. After a mixed run the rows and outcome events pair up one to one,
  // and each row points at its outcome event's seq.
  std::vector<Command> commands = {Make(schemas::StockSet{1, 3}), Make(schemas::StockAdd{1, -9}),
                                   Make(schemas::ProductUpsert{2, "Gum", 50, "", false}),
                                   Make(schemas::ConfigSet{"max_deposit", 10})};
  for (const auto& c : commands) Apply(c);
  EXPECT_EQ(CountRows("SELECT count(*) FROM applied_commands"), 4);
  EXPECT_EQ(CountRows("SELECT count(*) FROM applied_commands a JOIN outbox o ON o.seq = a.seq "
                      "WHERE o.type IN ('command.applied', 'command.rejected') "
                      "AND json_extract(o.data, '$.command_id') = a.id"),
            4);
}

TEST_F(CommandInbox, AFailureAtTheLastStepLeavesNoTraceOfTheCommand) {
  // Recording the id is the last write of the transaction; make exactly that fail. The
  // count, the snapshot and the outbox must be as before, and the id must still be new.
  Exec(
      "CREATE TRIGGER fail_inbox BEFORE INSERT ON applied_commands "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto c = Make(schemas::StockSet{1, 40});
  auto r = store_->ApplyCommand(c);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(Find(1)->count, 5);
  EXPECT_EQ(LastSeq(), base_seq_);
  EXPECT_EQ(CountRows("SELECT count FROM products WHERE id = 1"), 5);
  Exec("DROP TRIGGER fail_inbox");
  auto retry = Apply(c);
  EXPECT_TRUE(retry.applied);
  EXPECT_FALSE(retry.duplicate);
  EXPECT_EQ(Find(1)->count, 40);
}

TEST_F(CommandInbox, ConcurrentDeliveriesOfOneCommandApplyItOnce) {
  // The broker may deliver a command again while the first copy is being applied (a
  // re-publish racing a reconnect); only one transaction can win.
  auto c = Make(schemas::StockAdd{1, 1});
  std::atomic<int> applied{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = store_->ApplyCommand(c);
      ASSERT_TRUE(r.ok());
      (r->duplicate ? duplicate : applied)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(duplicate.load(), 7);
  EXPECT_EQ(Find(1)->count, 6);
}

TEST_F(CommandInbox, AppendingEventsWakesTheListenerAfterCommit) {
  std::atomic<int> wakes{0};
  std::atomic<int64_t> seen_last_seq{0};
  store_->SetEventsAppendedListener([&] {
    // Runs after the commit: the new events are already readable.
    auto o = store_->Outbox();
    if (o.ok()) seen_last_seq = o->last_seq;
    wakes++;
  });
  Apply(Make(schemas::StockSet{1, 2}));
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_EQ(seen_last_seq.load(), LastSeq());
  auto c = store_->CreateCustomer("no-event");  // appends nothing: no wake
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(wakes.load(), 1);
  store_->SetEventsAppendedListener(nullptr);
  Apply(Make(schemas::StockSet{1, 3}));
  EXPECT_EQ(wakes.load(), 1);
}

}  // namespace
}  // namespace vend::edge::store
