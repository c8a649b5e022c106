// PgPortal: the admin API's read queries over the fleet (machines, stock, telemetry,
// sales, balances, products and images, orders, alert inputs, overview counts).
// The admin API's changes go through PgStore's audited methods (ChangeStock,
// CreateProduct, ...), which the CLI shares.
//
// Views whose only consumer is the JSON API are returned in the admin contract's JSON
// shapes; orders and alert inputs are typed (CSV export and core::EvaluateAlerts use
// them). Each call leases one pooled connection and runs one read-only transaction, so a
// response is a consistent snapshot. libpqxx exceptions become a Status.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/alerts.h"
#include "core/order_query.h"
#include "db/pg_pool.h"
#include "db/pg_store.h"

namespace vend::cloud::db {

struct OrderRow {
  std::string uuid;
  std::string machine;
  int64_t order_id = 0;
  int64_t customer_id = 0;
  std::string user_name;
  int64_t product_id = 0;
  std::string product_name;  // "" when the product is unknown to the catalog
  int64_t price = 0;
  std::string status;
  std::string created_at;  // ISO 8601 (milliseconds)
  core::EpochMicros created_us = 0;
  std::optional<std::string> refunded_at;
  std::optional<int64_t> refund_amount;
};

struct OrderPage {
  std::vector<OrderRow> orders;
  std::optional<core::OrderCursor> next;  // set when more rows follow
};

struct AlertInputs {
  std::vector<core::MachineSnapshot> machines;
  std::vector<core::StockSnapshot> stock;  // only rows below their threshold
  std::vector<core::TelemetrySnapshot> telemetry;
};

struct ProductImage {
  std::string content_type;
  std::string bytes;
  std::string sha256;  // hex
};

// The contract's P object.
nlohmann::json ProductJson(const ProductRecord& p);
// The contract's O object.
nlohmann::json OrderJson(const OrderRow& o);

class PgPortal {
 public:
  explicit PgPortal(PgPool& pool);

  // {"id","online","last_seen","agent_version","outbox_lag","watermark",
  //  "pending_commands","temperature_c","door_open","today_orders","today_cents"} per
  // machine ("alerts" is the caller's), sorted by id; `machine` non-empty selects one.
  Result<nlohmann::json> Machines(const std::string& machine = "");
  // {"machine":M,"stock":[S...],"pending_commands":[C...]}; NotFound "unknown_machine".
  Result<nlohmann::json> MachineDetail(const std::string& machine);
  // Samples with from <= at <= to, oldest first, evenly thinned to at most `max_points`.
  Result<nlohmann::json> Telemetry(const std::string& machine, core::EpochMicros from,
                                   core::EpochMicros to, int max_points = 2000);
  // The last `days` UTC days up to today, every day present, oldest first.
  Result<nlohmann::json> Sales(const std::string& machine, int days);
  Result<nlohmann::json> Balances(const std::string& machine);

  Result<std::vector<ProductRecord>> Products(bool include_removed);
  // NotFound "unknown_product" (also for a removed product when !include_removed).
  Result<ProductRecord> Product(int64_t id);
  // NotFound "no_image" when none was uploaded.
  Result<ProductImage> Image(int64_t id);

  // Newest first (created_at, machine_id, order_id all descending), at most f.limit rows.
  Result<OrderPage> Orders(const core::OrderFilter& f);
  // The same filters without paging, at most `max_rows` rows.
  Result<std::vector<OrderRow>> OrdersForExport(const core::OrderFilter& f, size_t max_rows);
  // NotFound "unknown_order".
  Result<OrderRow> Order(const std::string& uuid);
  // The SQL text and parameters Orders (with_cursor) and OrdersForExport run, for
  // checking their plans with EXPLAIN.
  static std::pair<std::string, std::vector<std::string>> OrdersQuery(const core::OrderFilter& f,
                                                                      bool with_cursor,
                                                                      size_t limit);

  // `machine` non-empty: only that machine's.
  Result<AlertInputs> AlertData(const std::string& machine = "");
  // {"machines","online","today_orders","today_cents","pending_accounts"}.
  Result<nlohmann::json> Overview();

 private:
  PgPool& pool_;
};

}  // namespace vend::cloud::db
