// The MQTT payloads of DESIGN.md section 4 besides single events and commands: the event
// batch, the ack, the command batch, telemetry and presence. Decoders validate every
// field and reject unknown ones; the error names the offending field.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vend/commands.h"
#include "vend/events.h"
#include "vend/status.h"

namespace vend::schemas {

// Most events in one batch message and most commands in one commands message.
inline constexpr size_t kMaxBatchEvents = 500;
inline constexpr size_t kMaxBatchCommands = 500;

// vend/v1/m/{m}/events: events of one machine, seq strictly ascending.
struct EventBatch {
  std::string machine;
  std::vector<Event> events;
};
nlohmann::json EncodeEventBatch(const EventBatch& batch);
// Rejects a batch that is empty, too long, not strictly ascending in seq, or whose
// events do not decode. A bad event fails the whole batch (the edge never sends one).
Result<EventBatch> DecodeEventBatch(const nlohmann::json& j);

// vend/v1/m/{m}/ack: every event with seq <= upto is durably applied by the cloud.
struct Ack {
  int64_t upto = 0;
};
nlohmann::json EncodeAck(const Ack& ack);
Result<Ack> DecodeAck(const nlohmann::json& j);

// vend/v1/m/{m}/commands.
struct CommandBatch {
  std::vector<Command> commands;
};
nlohmann::json EncodeCommandBatch(const CommandBatch& batch);
Result<CommandBatch> DecodeCommandBatch(const nlohmann::json& j);

// vend/v1/m/{m}/telemetry (QoS 0).
struct Telemetry {
  std::string at;
  double temperature_c = 0;
  bool door_open = false;
  int64_t uptime_s = 0;
  int64_t outbox_depth = 0;
  std::map<int64_t, int64_t> stock;  // product id -> count
  std::string version;
};
nlohmann::json EncodeTelemetry(const Telemetry& t);
Result<Telemetry> DecodeTelemetry(const nlohmann::json& j);

// vend/v1/m/{m}/status (retained; the offline form is the MQTT will).
struct Presence {
  bool online = false;
  std::optional<std::string> at;
  std::optional<std::string> version;
};
nlohmann::json EncodePresence(const Presence& p);
Result<Presence> DecodePresence(const nlohmann::json& j);

}  // namespace vend::schemas
