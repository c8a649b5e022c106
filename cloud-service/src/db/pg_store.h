// PgStore: the PostgreSQL adapter of every store role of the cloud (event ledger,
// presence and telemetry, command outbox, provisioning and catalog).
//
// Every operation leases one pooled connection and runs one transaction; libpqxx
// exceptions end here and become a Status (Unavailable for a lost connection, which the
// pool then replaces). Batches travel as one JSON parameter expanded server-side with
// jsonb_to_recordset, so a 500-event batch costs a handful of round trips.
//
// Thread safety: all methods may be called concurrently from any thread.
#pragma once

#include <memory>
#include <string>

#include "core/ports.h"
#include "db/pg_pool.h"

namespace vend::cloud::db {

class PgStore final : public core::EventLedger,
                      public core::FleetState,
                      public core::FleetProbe,
                      public core::CommandOutbox,
                      public core::FleetAdmin {
 public:
  // `pool` must outlive the store and should be built with PgStore::Prepare as setup.
  explicit PgStore(PgPool& pool);

  // Prepares this store's statements on a new connection (PgPool::Options::setup).
  static void Prepare(pqxx::connection& conn);

  Result<core::IngestOutcome> Ingest(const schemas::EventBatch& batch,
                                     std::string_view payload = {}) override;

  Status RecordPresence(const std::string& machine, const schemas::Presence& p) override;
  Status RecordTelemetry(const std::string& machine, const schemas::Telemetry& t) override;
  Result<int64_t> PruneTelemetry(std::chrono::seconds retention) override;

  Status Ping() override;
  Result<core::FleetCounts> Counts() override;

  Result<std::vector<core::MachineCommands>> ClaimForDispatch(
      const core::DispatchScope& scope) override;

  Result<size_t> AddMachine(const std::string& id, const std::string& mqtt_username) override;
  Result<bool> MachineExists(const std::string& id) override;
  Result<std::vector<core::MachineSummary>> ListMachines() override;
  Result<size_t> AddProduct(const core::CatalogProduct& p) override;
  Result<size_t> UpdateProduct(int64_t id, const core::ProductPatch& patch) override;
  Result<size_t> RemoveProduct(int64_t id) override;
  Status SetStock(const std::string& machine, int64_t product, int64_t count) override;
  Status AddStock(const std::string& machine, int64_t product, int64_t delta) override;
  Status SetPrice(const std::string& machine, int64_t product, int64_t cents) override;

 private:
  PgPool& pool_;
};

// LISTENs for the notification every transaction that queues commands sends, on a
// connection of its own (reconnected on the next Wait after a failure).
//
// Thread safety: one thread at a time.
class PgCommandSignal final : public core::CommandSignal {
 public:
  explicit PgCommandSignal(std::string url);
  ~PgCommandSignal() override;
  Result<bool> Wait(std::chrono::milliseconds timeout) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vend::cloud::db
