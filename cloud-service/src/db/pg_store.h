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
#include <optional>
#include <string>
#include <vector>

#include "core/actor.h"
#include "core/ports.h"
#include "db/pg_pool.h"

namespace vend::cloud::db {

// A catalog row as the admin API shows it.
struct ProductRecord {
  core::CatalogProduct product;
  int64_t low_stock_threshold = core::kDefaultLowStockThreshold;
  bool removed = false;
  std::string updated_at;    // ISO 8601
  std::string image_sha256;  // hex; empty when no image was uploaded
};

// What one admin change did: the product after it (product changes) and the commands it
// queued, in issue order.
struct AdminChange {
  std::optional<ProductRecord> product;
  std::vector<std::string> command_ids;
};

// A stock command: exactly one of set (0..2^53) or add (non-zero).
struct StockChange {
  bool set = true;
  int64_t value = 0;
};

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

  Result<core::DispatchClaim> ClaimForDispatch(const core::DispatchScope& scope) override;

  Result<size_t> AddMachine(const std::string& id, const std::string& mqtt_username) override;
  Result<bool> MachineExists(const std::string& id) override;
  Result<std::vector<core::MachineSummary>> ListMachines() override;
  Result<size_t> AddProduct(const core::CatalogProduct& p) override;
  Result<size_t> UpdateProduct(int64_t id, const core::ProductPatch& patch) override;
  Result<size_t> RemoveProduct(int64_t id) override;
  Status SetStock(const std::string& machine, int64_t product, int64_t count) override;
  Status AddStock(const std::string& machine, int64_t product, int64_t delta) override;
  Status SetPrice(const std::string& machine, int64_t product, int64_t cents) override;

  // The admin changes behind both the CLI (the FleetAdmin methods above, audited as
  // actor "cli" with no account) and the admin API. Each commits the change, the commands it queues
  // (with the NOTIFY that wakes the dispatchers) and, when `actor` is given, its audit_log row
  // (before/after JSON, request id, remote address) in ONE transaction: on any error nothing is
  // kept. Errors: InvalidArgument (bad value), NotFound "unknown_product"/"unknown_machine"/
  // "no_override", Conflict "product_exists".

  // `p.id` 0 takes the next id (max + 1; the catalog lock serializes concurrent creates).
  // Queues product.upsert to every machine. Audit "product.create".
  Result<AdminChange> CreateProduct(core::CatalogProduct p, std::optional<int64_t> threshold,
                                    const core::Actor* actor);
  // Queues product.upsert to every machine (at each machine's own price) unless only the
  // threshold changes. Audit "product.update".
  Result<AdminChange> ChangeProduct(int64_t id, const core::ProductPatch& patch,
                                    const core::Actor* actor);
  // Marks the product removed; queues product.remove to every machine. Audit
  // "product.delete".
  Result<AdminChange> DeleteProduct(int64_t id, const core::Actor* actor);
  // Stores the (already validated, core::ValidateImage) bytes and their sha256, renames
  // products.image to core::ImageFileName and queues product.upsert to every machine.
  // Audit "product.image".
  Result<AdminChange> SetProductImage(int64_t id, const std::string& content_type,
                                      const std::string& ext, const std::string& bytes,
                                      const core::Actor* actor);
  // stock.set / stock.add to one machine. Audit "stock.set" / "stock.add".
  Result<AdminChange> ChangeStock(const std::string& machine, int64_t product,
                                  const StockChange& change, const core::Actor* actor);
  // Stores the machine's own price and queues product.upsert at that price to it (the
  // edge has no separate price command). Audit "price.set", before = old effective price.
  Result<AdminChange> ChangePrice(const std::string& machine, int64_t product, int64_t cents,
                                  const core::Actor* actor);
  // Deletes the machine's own price and queues product.upsert at the catalog price.
  // NotFound "no_override" when it had none. Audit "price.clear".
  Result<AdminChange> ClearPrice(const std::string& machine, int64_t product,
                                 const core::Actor* actor);

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
