// SqliteKioskStore: KioskStore on one SQLite file in WAL mode with synchronous=FULL.
//
// Writes go through one connection guarded by write_mu_. Each business operation runs
// as one atomic unit that also appends its outbox events: inside the write transaction
// it is wrapped in a SAVEPOINT, and a failed operation is rolled back to it alone. Group
// commit: operations that arrive while a commit is being synced to disk queue up, and
// the next leader runs up to kMaxGroup of them in one BEGIN IMMEDIATE ... COMMIT, so one
// fsync covers them all. No caller hears "ok" before the COMMIT that holds its
// operation has returned, and a crash at any instant leaves each operation whole or
// absent. Reads use a small pool of separate connections and never wait for a writer's
// fsync. The catalog snapshot is kept in memory and swapped after each committed change
// that touches products.
//
// It is also the sync's SyncStore: the outbox is drained and acknowledged through it,
// and cloud commands are applied through it, each in one transaction with its
// applied_commands row and its events (schemas/sql/edge/002_sync.sql).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/command_rules.h"
#include "core/kiosk_store.h"
#include "core/sync_store.h"
#include "store/sqlite_conn.h"
#include "vend/events.h"

namespace vend::edge::store {

class SqliteKioskStore final : public core::KioskStore, public core::SyncStore {
 public:
  // Opens or creates the database at `path`, applies migrations and binds it to
  // `machine_id`. Fails (kConflict) when the file belongs to another machine or was
  // written by a newer schema.
  static Result<std::unique_ptr<SqliteKioskStore>> Open(const std::string& path,
                                                        const std::string& machine_id,
                                                        int readers = 4);
  ~SqliteKioskStore() override;

  std::shared_ptr<const std::vector<core::Product>> Products() override;
  Result<core::Product> GetProduct(int64_t id) override;
  Result<CreatedCustomer> CreateCustomer(const std::string& user_name) override;
  Result<core::Customer> GetCustomer(int64_t id, const std::string& user_name) override;
  Result<core::Customer> Deposit(int64_t customer_id, const std::string& user_name, Money amount,
                                 Money max_deposit) override;
  Result<core::OrderResult> Buy(const core::BuyRequest& req) override;
  Result<core::OrderResult> Refund(const core::RefundRequest& req) override;
  Result<std::vector<core::Order>> Orders(int64_t customer_id,
                                          const std::string& user_name) override;
  Status SeedCatalog(const std::vector<core::Product>& products) override;
  Result<core::OutboxStats> Outbox() override;

  // SyncStore.
  Result<std::vector<schemas::Event>> PendingEvents(int64_t after_seq, int limit) override;
  Status Acknowledge(int64_t upto) override;
  Result<int64_t> LastSeq() override;
  Result<core::CommandOutcome> ApplyCommand(const schemas::Command& command) override;
  Result<core::CommandOutcome> RejectCommand(const std::string& command_id, std::string_view type,
                                             std::string_view reason) override;
  Result<std::map<std::string, int64_t>> Config() override;
  void SetEventsAppendedListener(std::function<void()> listener) override;

  const std::string& machine_id() const { return machine_id_; }

 private:
  SqliteKioskStore(std::string path, std::string machine_id);

  // Runs `body` inside one write transaction on the writer connection. The body
  // returns a non-ok Status (or throws SqliteError) to roll everything back. When
  // *products_changed is true after the body, the catalog snapshot is reloaded after the
  // commit, before any other write can start.
  Status WriteTx(const std::function<Status(SqliteConn&)>& body,
                 const bool* products_changed = nullptr);
  // Leases a reader connection for `body`.
  template <typename T>
  Result<T> Read(const std::function<Result<T>(SqliteConn&)>& body);

  // Appends events to the outbox with the next seqs and returns the last seq. Writer
  // connection, inside WriteTx.
  int64_t AppendEvents(SqliteConn& db, std::vector<schemas::EventData> events);
  // Writes a command plan (see core/command_rules.h) with its applied_commands row, or
  // reports the original outcome of an id seen before. Inside WriteTx.
  core::CommandOutcome WriteCommandPlan(SqliteConn& db, const std::string& command_id,
                                        std::string_view type,
                                        const std::function<core::CommandPlan()>& plan,
                                        bool& products_changed);
  std::vector<core::Product> LoadProducts(SqliteConn& db);
  void RefreshProducts(SqliteConn& db);  // writer only, under write_mu_

  const std::string path_;
  const std::string machine_id_;

  // One queued write operation; lives on its caller's stack until `done`.
  struct PendingWrite {
    const std::function<Status(SqliteConn&)>* body;
    const bool* products_changed;
    Status result;
    bool appended = false;  // committed outbox events: wake the drainer
    bool done = false;
  };
  static constexpr size_t kMaxGroup = 64;
  // Runs `group` in one transaction on the writer; sets every result. Takes write_mu_.
  void CommitGroup(const std::vector<PendingWrite*>& group);

  std::mutex queue_mu_;  // guards queue_, leader_active_ and PendingWrite::done
  std::condition_variable queue_cv_;
  std::vector<PendingWrite*> queue_;
  bool leader_active_ = false;  // a thread is committing a group

  std::mutex write_mu_;  // guards writer_, appended_in_tx_ and every write transaction
  std::unique_ptr<SqliteConn> writer_;
  bool appended_in_tx_ = false;  // the open write transaction appended outbox events

  std::mutex listener_mu_;
  std::function<void()> events_appended_;  // guarded by listener_mu_

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteConn>> readers_;  // idle readers

  std::mutex products_mu_;  // guards the pointer, not the immutable vector behind it
  std::shared_ptr<const std::vector<core::Product>> products_;
};

}  // namespace vend::edge::store
