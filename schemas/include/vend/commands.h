// Cloud commands: what the cloud asks one machine to do (DESIGN.md section 4).
//
// Every command has a UUID; the edge applies each id at most once (its inbox remembers
// applied ids) and answers with a command.applied or command.rejected event. The JSON
// form is the contract (schemas/mqtt/command.*.schema.json); DecodeCommand enforces it.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vend/status.h"

namespace vend::schemas {

// Creates or replaces a catalog entry (the cloud owns names, prices, images and
// refundability). A new product starts with count 0; the count is the edge's.
struct ProductUpsert {
  int64_t product_id = 0;
  std::string name;
  int64_t price = 0;  // cents
  std::string image;  // plain file name, may be empty
  bool is_refundable = false;
};

struct ProductRemove {
  int64_t product_id = 0;
};

// The admin's statement of a restock: the slot now holds exactly `count` items.
struct StockSet {
  int64_t product_id = 0;
  int64_t count = 0;
};

// Adds `delta` items (negative to take some out); a result below zero is rejected.
struct StockAdd {
  int64_t product_id = 0;
  int64_t delta = 0;
};

// Sets one agent setting; keys and value ranges are listed in kConfigKeys.
struct ConfigSet {
  std::string key;
  int64_t value = 0;
};

// Settings a ConfigSet may change, with their allowed ranges.
struct ConfigKey {
  std::string_view name;
  int64_t min;
  int64_t max;
};
inline constexpr ConfigKey kConfigKeys[] = {
    {"telemetry_interval_s", 1, 86400},
    {"max_deposit", 1, int64_t{1} << 53},
};

using CommandData = std::variant<ProductUpsert, ProductRemove, StockSet, StockAdd, ConfigSet>;

struct Command {
  std::string id;         // UUID
  std::string issued_at;  // ISO 8601 UTC
  CommandData data;
};

// "product.upsert", "product.remove", "stock.set", "stock.add", "config.set".
std::string_view CommandType(const CommandData& data);

nlohmann::json EncodeCommand(const Command& command);
Result<Command> DecodeCommand(const nlohmann::json& j);
nlohmann::json EncodeCommandData(const CommandData& data);
Result<CommandData> DecodeCommandData(std::string_view type, const nlohmann::json& data);

}  // namespace vend::schemas
