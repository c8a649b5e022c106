// What a cloud command does to this machine (DESIGN.md section 4, rules 4 and 5),
// decided on plain values. The store loads the product the command names, asks
// PlanCommand, and writes the plan — its changes, the applied_commands row and every
// event — in one SQLite transaction; nothing here touches a database.
//
// The rules:
// - product.upsert: creates the product with count 0 (emitting stock.changed 0, cause
//   "command") or updates name, price, image and refundability, keeping the count (the
//   edge owns the count; the cloud owns the catalog).
// - product.remove: the product leaves the kiosk (no longer listed, bought or refunded).
//   Its items are taken out of sale, so its count becomes 0 and stock.changed {count 0,
//   cause "command"} is emitted: the cloud's stock for it then matches the edge. A
//   later upsert of the same id starts again at 0. Removing a product the machine does
//   not have is applied with no other effect: the state the cloud asked for holds.
// - stock.set: the slot now holds exactly `count` (stock.changed, cause "command").
// - stock.add: adds `delta`; a result below zero (or overflowing) is rejected.
// - stock.set / stock.add for a product the machine does not have are rejected.
// - config.set: stores the setting (keys and ranges are checked by the decoder).
// Every command ends with exactly one command.applied or command.rejected event; a
// rejected command changes nothing else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "vend/commands.h"
#include "vend/events.h"

namespace vend::edge::core {

// Longest reason a command.rejected event carries (its JSON Schema says 256 bytes).
inline constexpr size_t kMaxRejectReasonBytes = 256;
// Longest command_type echoed in an outcome event.
inline constexpr size_t kMaxCommandTypeBytes = 64;

struct CommandPlan {
  bool rejected = false;
  std::string reason;  // why, when rejected (already sanitized)

  std::optional<Product> write_product;  // insert or replace this row
  bool product_created = false;
  std::optional<int64_t> remove_product;  // delete this product id
  std::optional<schemas::ConfigSet> config;

  // Everything to append to the outbox, in order; the last one is the outcome event.
  std::vector<schemas::EventData> events;
};

// The product a command is about, if any (config.set has none).
std::optional<int64_t> CommandProductId(const schemas::CommandData& data);

// `product` is the current row of CommandProductId's product, if the machine has it.
CommandPlan PlanCommand(const schemas::Command& command, const std::optional<Product>& product);

// The plan for a command that could not be decoded but whose id could: rejected with
// `reason`, echoing `type` when it is usable text (else "unknown").
CommandPlan PlanUndecodableCommand(const std::string& command_id, std::string_view type,
                                   std::string_view reason);

// `text` made safe for an event field: non-printable or invalid UTF-8 bytes become '?',
// cut to at most max_bytes on a character boundary; empty input gives `fallback`.
std::string SanitizeText(std::string_view text, size_t max_bytes, std::string_view fallback);

}  // namespace vend::edge::core
