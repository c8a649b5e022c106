// Edge events: what a machine reports to the cloud (DESIGN.md section 4).
//
// Every event carries a per-machine `seq` (1, 2, 3 ... gapless, assigned in the same
// SQLite transaction as the change it describes), a UUID and a UTC timestamp. The JSON
// form is the contract; schemas/mqtt/event.*.schema.json describe it and DecodeEvent
// enforces it: a field that is missing, ill-typed, out of range or unknown is an error.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "vend/status.h"

namespace vend::schemas {

struct OrderCreated {
  int64_t order_id = 0;
  std::string order_uuid;
  int64_t customer_id = 0;
  std::string user_name;
  int64_t product_id = 0;
  int64_t price = 0;          // cents charged
  int64_t balance_after = 0;  // customer's balance after the charge
};

struct OrderRefunded {
  int64_t order_id = 0;
  std::string order_uuid;
  int64_t customer_id = 0;
  std::string user_name;
  int64_t product_id = 0;
  int64_t amount = 0;  // cents returned to the balance
  int64_t balance_after = 0;
};

struct BalanceDeposited {
  int64_t deposit_id = 0;
  std::string deposit_uuid;
  int64_t customer_id = 0;
  std::string user_name;
  int64_t amount = 0;
  int64_t balance_after = 0;
};

struct StockChanged {
  int64_t product_id = 0;
  int64_t count = 0;  // absolute count after the change
  std::string cause;  // one of kStockCauses
};

struct CommandApplied {
  std::string command_id;
  std::string command_type;
};

struct CommandRejected {
  std::string command_id;
  std::string command_type;
  std::string reason;
};

// Causes of a stock change: a sale, a refund putting the item back, the catalog file
// seeding a standalone machine, or a cloud command (stock.set / stock.add / product.*).
inline constexpr std::string_view kStockCauses[] = {"sale", "refund", "seed", "command"};

using EventData = std::variant<OrderCreated, OrderRefunded, BalanceDeposited, StockChanged,
                               CommandApplied, CommandRejected>;

struct Event {
  int64_t seq = 0;
  std::string id;  // UUID
  std::string at;  // ISO 8601 UTC
  EventData data;
};

// "order.created", "order.refunded", ... for the alternative held by `data`.
std::string_view EventType(const EventData& data);

nlohmann::json EncodeEvent(const Event& event);
// Validates everything; the error names the offending field.
Result<Event> DecodeEvent(const nlohmann::json& j);
// Just the `data` object, for stores that keep type and data in separate columns.
nlohmann::json EncodeEventData(const EventData& data);
Result<EventData> DecodeEventData(std::string_view type, const nlohmann::json& data);

}  // namespace vend::schemas
