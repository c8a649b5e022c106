#include "core/inbound.h"

#include <nlohmann/json.hpp>

namespace vend::cloud::core {
namespace {

using nlohmann::json;

Result<json> ParseObject(std::string_view payload) {
  if (payload.size() > kMaxPayloadBytes) {
    return Rejected("oversized", "payload of " + std::to_string(payload.size()) +
                                     " bytes is over the limit of " +
                                     std::to_string(kMaxPayloadBytes));
  }
  json j = json::parse(payload.begin(), payload.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Rejected("bad_json", "payload is not valid JSON");
  if (!j.is_object()) return Rejected("bad_json", "payload is not a JSON object");
  return j;
}

}  // namespace

Status Rejected(std::string reason, std::string message) {
  return Status(Code::kInvalidArgument, std::move(reason), std::move(message));
}

Result<schemas::EventBatch> ParseEventBatch(std::string_view topic_machine,
                                            std::string_view payload) {
  auto j = ParseObject(payload);
  if (!j.ok()) return j.status();
  // The topic is what the broker's ACL vouches for; a payload naming another machine is
  // either a bug or an attempt to write into that machine's records.
  auto machine = j->find("machine");
  if (machine != j->end() && machine->is_string() &&
      machine->get_ref<const std::string&>() != topic_machine) {
    return Rejected("machine_mismatch",
                    "batch names machine '" + machine->get_ref<const std::string&>() +
                        "' but was published on '" + std::string(topic_machine) + "'");
  }
  auto events = j->find("events");
  if (events != j->end() && events->is_array() && events->size() > schemas::kMaxBatchEvents) {
    return Rejected("oversized", "batch has " + std::to_string(events->size()) +
                                     " events, the limit is " +
                                     std::to_string(schemas::kMaxBatchEvents));
  }
  auto batch = schemas::DecodeEventBatch(*j);
  if (!batch.ok()) {
    return Rejected(batch.status().reason() == "unknown_type" ? "unknown_type" : "invalid_batch",
                    batch.status().message());
  }
  if (batch->machine != topic_machine) {
    return Rejected("machine_mismatch", "batch machine differs from its topic");
  }
  return batch;
}

Result<schemas::Telemetry> ParseTelemetry(std::string_view payload) {
  auto j = ParseObject(payload);
  if (!j.ok()) return j.status();
  auto t = schemas::DecodeTelemetry(*j);
  if (!t.ok()) return Rejected("invalid_telemetry", t.status().message());
  return t;
}

Result<schemas::Presence> ParsePresence(std::string_view payload) {
  auto j = ParseObject(payload);
  if (!j.ok()) return j.status();
  auto p = schemas::DecodePresence(*j);
  if (!p.ok()) return Rejected("invalid_status", p.status().message());
  return p;
}

}  // namespace vend::cloud::core
