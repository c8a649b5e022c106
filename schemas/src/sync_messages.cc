#include "vend/sync_messages.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "codec_util.h"
#include "vend/ids.h"
#include "vend/json_fields.h"

namespace vend::schemas {
namespace {

using nlohmann::json;
namespace fields = vend::json;

Result<const json*> Array(const json& j, const char* key, size_t max_items) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return InvalidArgument(std::string("'") + key + "' must be an array");
  }
  if (it->empty()) return InvalidArgument(std::string("'") + key + "' must not be empty");
  if (it->size() > max_items) {
    return InvalidArgument(std::string("'") + key + "' has more than " + std::to_string(max_items) +
                           " items");
  }
  return &*it;
}

}  // namespace

json EncodeEventBatch(const EventBatch& batch) {
  json events = json::array();
  for (const auto& e : batch.events) events.push_back(EncodeEvent(e));
  return json{{"machine", batch.machine}, {"events", std::move(events)}};
}

Result<EventBatch> DecodeEventBatch(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(j, {"machine", "events"}, "event batch"));
  EventBatch b;
  VEND_READ(b.machine, fields::Text(j, "machine", 64));
  if (!IsMachineId(b.machine)) return InvalidArgument("'machine' is not a valid machine id");
  const json* events = nullptr;
  VEND_READ(events, Array(j, "events", kMaxBatchEvents));
  b.events.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    auto e = DecodeEvent((*events)[i]);
    if (!e.ok()) {
      return Status(e.status().code(), e.status().reason(),
                    "event #" + std::to_string(i + 1) + ": " + e.status().message());
    }
    if (!b.events.empty() && e->seq <= b.events.back().seq) {
      return InvalidArgument("events must be in strictly ascending seq order");
    }
    b.events.push_back(std::move(e).value());
  }
  return b;
}

json EncodeAck(const Ack& ack) { return json{{"upto", ack.upto}}; }

Result<Ack> DecodeAck(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(j, {"upto"}, "ack"));
  Ack a;
  VEND_READ(a.upto, fields::Int(j, "upto", 0, INT64_MAX));
  return a;
}

json EncodeCommandBatch(const CommandBatch& batch) {
  json commands = json::array();
  for (const auto& c : batch.commands) commands.push_back(EncodeCommand(c));
  return json{{"commands", std::move(commands)}};
}

Result<CommandBatch> DecodeCommandBatch(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(j, {"commands"}, "command batch"));
  const json* commands = nullptr;
  VEND_READ(commands, Array(j, "commands", kMaxBatchCommands));
  CommandBatch b;
  for (size_t i = 0; i < commands->size(); ++i) {
    auto c = DecodeCommand((*commands)[i]);
    if (!c.ok()) {
      return Status(c.status().code(), c.status().reason(),
                    "command #" + std::to_string(i + 1) + ": " + c.status().message());
    }
    b.commands.push_back(std::move(c).value());
  }
  return b;
}

json EncodeTelemetry(const Telemetry& t) {
  json stock = json::object();
  for (const auto& [id, count] : t.stock) stock[std::to_string(id)] = count;
  return json{{"at", t.at},
              {"temperature_c", t.temperature_c},
              {"door_open", t.door_open},
              {"uptime_s", t.uptime_s},
              {"outbox_depth", t.outbox_depth},
              {"stock", std::move(stock)},
              {"version", t.version}};
}

Result<Telemetry> DecodeTelemetry(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(
      j, {"at", "temperature_c", "door_open", "uptime_s", "outbox_depth", "stock", "version"},
      "telemetry"));
  Telemetry t;
  VEND_READ(t.at, fields::Timestamp(j, "at"));
  auto temp = j.find("temperature_c");
  if (temp == j.end() || !temp->is_number() || !std::isfinite(temp->get<double>()) ||
      temp->get<double>() < -100 || temp->get<double>() > 200) {
    return InvalidArgument("'temperature_c' must be a number between -100 and 200");
  }
  t.temperature_c = temp->get<double>();
  VEND_READ(t.door_open, fields::Bool(j, "door_open"));
  VEND_READ(t.uptime_s, fields::Int(j, "uptime_s", 0, INT64_MAX));
  VEND_READ(t.outbox_depth, fields::Int(j, "outbox_depth", 0, INT64_MAX));
  VEND_READ(t.version, fields::Text(j, "version", 64));
  auto stock = j.find("stock");
  if (stock == j.end() || !stock->is_object()) return InvalidArgument("'stock' must be an object");
  if (stock->size() > 10000) return InvalidArgument("'stock' has too many products");
  for (const auto& [key, value] : stock->items()) {
    if (key.empty() || key.size() > 18 || key[0] == '0' ||
        key.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidArgument("'stock' keys must be product ids");
    }
    int64_t count = 0;
    VEND_READ(count, fields::Int(*stock, key, 0, INT64_MAX));
    t.stock[std::stoll(key)] = count;
  }
  return t;
}

json EncodePresence(const Presence& p) {
  json j{{"online", p.online}};
  if (p.at) j["at"] = *p.at;
  if (p.version) j["version"] = *p.version;
  return j;
}

Result<Presence> DecodePresence(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(j, {"online", "at", "version"}, "status"));
  Presence p;
  VEND_READ(p.online, fields::Bool(j, "online"));
  if (j.contains("at")) {
    std::string at;
    VEND_READ(at, fields::Timestamp(j, "at"));
    p.at = at;
  }
  if (j.contains("version")) {
    std::string v;
    VEND_READ(v, fields::Text(j, "version", 64));
    p.version = v;
  }
  return p;
}

}  // namespace vend::schemas
