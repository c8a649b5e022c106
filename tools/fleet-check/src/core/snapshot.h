// What fleet-check reads from each side, as plain values: one machine's edge database
// (its local truth) and that machine's rows in PostgreSQL (the cloud's projections and
// its raw event log). The readers (sqlite_edge_reader.h, pg_cloud_reader.h) fill these;
// the comparison (compare.h) only looks at them, so it is testable without a database.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "vend/events.h"

namespace vend::fleet_check {

// One order, on either side. On the edge a refund always returns the full price, so an
// edge order's refund_amount is its price when refunded.
struct OrderFact {
  int64_t order_id = 0;
  std::string uuid;
  int64_t customer_id = 0;
  int64_t product_id = 0;
  int64_t price = 0;
  bool refunded = false;
  int64_t refund_amount = 0;  // meaningful only when refunded
};

struct DepositFact {
  int64_t deposit_id = 0;
  std::string uuid;
  int64_t customer_id = 0;
  int64_t amount = 0;
};

struct CustomerFact {
  int64_t customer_id = 0;
  std::string user_name;
  int64_t balance = 0;
};

// A product as the kiosk sells it: the cloud owns these fields (DESIGN.md section 4
// rule 5), so once every command has been applied the edge must show the cloud's.
struct ProductFact {
  std::string name;
  int64_t price = 0;  // on the cloud side: the machine's own price where it has one
  std::string image;
  bool is_refundable = false;
  bool operator==(const ProductFact& o) const {
    return name == o.name && price == o.price && image == o.image &&
           is_refundable == o.is_refundable;
  }
  bool operator!=(const ProductFact& o) const { return !(*this == o); }
};

enum class CommandState { kPending, kApplied, kRejected };
const char* CommandStateName(CommandState s);

struct EdgeCommand {
  CommandState outcome = CommandState::kApplied;  // kApplied or kRejected
  int64_t seq = 0;                                // seq of its outcome event
};

// One machine's SQLite database, read in a single read transaction.
struct EdgeSnapshot {
  std::string machine_id;  // the id the database is bound to (table machine)
  int64_t last_seq = 0;    // newest event ever appended
  int64_t acked_seq = 0;   // highest seq the cloud acknowledged
  // Unacknowledged events (the outbox), ascending in seq.
  std::vector<schemas::Event> outbox;
  std::map<int64_t, OrderFact> orders;          // by order id
  std::map<std::string, DepositFact> deposits;  // by uuid
  std::map<int64_t, CustomerFact> customers;    // by customer id
  std::map<int64_t, int64_t> stock;             // product id -> count, products on sale
  std::set<int64_t> removed_products;           // removed by the cloud's product.remove
  std::map<int64_t, ProductFact> catalog;       // products on sale
  std::map<std::string, EdgeCommand> commands;  // applied_commands, by command id
};

// A key that the cloud's raw event log holds more than once for one machine, e.g. an
// order uuid with two order.created events: the projections (which insert with ON
// CONFLICT DO NOTHING) would hide such a duplicate, the log does not.
struct LogDuplicate {
  std::string what;  // "event id", "order.created", "order.refunded", ...
  std::string key;
  int64_t count = 0;
};

// One machine's rows in PostgreSQL, read in one REPEATABLE READ transaction.
struct CloudSnapshot {
  bool machine_exists = false;
  int64_t watermark = 0;
  // edge_events: how many rows have seq <= watermark (must be exactly watermark), and
  // the seqs of stored rows above it (events waiting behind a gap).
  int64_t events_at_or_below_watermark = 0;
  std::vector<int64_t> events_above_watermark;
  std::vector<LogDuplicate> log_duplicates;
  std::map<int64_t, OrderFact> orders;
  std::map<std::string, DepositFact> deposits;
  std::map<int64_t, CustomerFact> customers;
  std::map<int64_t, int64_t> stock;
  std::map<std::string, CommandState> commands;  // this machine's commands, by id
  // The catalog as this machine should have it (products not removed, at the machine's
  // price), and the ids of removed products.
  std::map<int64_t, ProductFact> catalog;
  std::set<int64_t> removed_catalog;
};

}  // namespace vend::fleet_check
