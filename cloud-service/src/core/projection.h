// Event application: what a run of one machine's events does to the cloud projections.
//
// The cloud applies each machine's events strictly in seq order (DESIGN.md section 4).
// PlanRun decides which stored events may be applied now (the contiguous run right
// above the watermark); FoldEvents turns that run into the final state of every
// projection row it touches, so the store writes each row once per batch instead of
// once per event. Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vend/events.h"

namespace vend::cloud::core {

// Which of a machine's stored, not yet applied events may be applied now.
struct RunPlan {
  size_t skip = 0;            // leading seqs <= watermark (already applied)
  size_t apply = 0;           // then this many contiguous seqs starting at watermark + 1
  int64_t new_watermark = 0;  // watermark after applying them
  bool gap = false;           // seqs remain above new_watermark + 1: one is missing
};

// `seqs` must be strictly ascending. Application stops at the first missing seq: the
// events after it wait (stored) until the missing one arrives.
RunPlan PlanRun(int64_t watermark, const std::vector<int64_t>& seqs);

struct OrderRow {
  int64_t order_id = 0;
  std::string uuid;
  int64_t customer_id = 0;
  std::string user_name;
  int64_t product_id = 0;
  int64_t price = 0;
  std::string created_at;
  bool refunded = false;  // refunded within the same run
  std::string refunded_at;
  int64_t refund_amount = 0;
};

// A refund of an order created by an earlier run (already in the store).
struct OrderRefund {
  int64_t order_id = 0;
  int64_t amount = 0;
  std::string at;
};

struct DepositRow {
  int64_t deposit_id = 0;
  std::string uuid;
  int64_t customer_id = 0;
  int64_t amount = 0;
  std::string created_at;
};

// A customer's state after the run: the balance of the last event that named it.
struct CustomerRow {
  int64_t customer_id = 0;
  std::string user_name;
  int64_t balance = 0;
  std::string updated_at;
};

// A product's count after the run (stock.changed carries the absolute count).
struct StockRow {
  int64_t product_id = 0;
  int64_t count = 0;
  std::string updated_at;
};

struct CommandOutcome {
  std::string command_id;
  bool applied = false;
  std::string reason;  // empty when applied
  std::string at;
};

// The projection changes of one contiguous run of events, each row in its final state.
// Rows are in order of first appearance in the run.
struct ProjectionDelta {
  std::vector<OrderRow> new_orders;
  std::vector<OrderRefund> refunds;
  std::vector<DepositRow> deposits;
  std::vector<CustomerRow> customers;
  std::vector<StockRow> stock;
  std::vector<CommandOutcome> commands;
};

// `run` must be contiguous and ascending in seq (as PlanRun selects it).
ProjectionDelta FoldEvents(const std::vector<schemas::Event>& run);

}  // namespace vend::cloud::core
