// The MQTT topic tree of DESIGN.md section 4: vend/v1/m/{machine}/{kind}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vend::schemas {

enum class TopicKind { kEvents, kAck, kCommands, kTelemetry, kStatus };

std::string_view TopicKindName(TopicKind kind);  // "events", "ack", ...
// The topic of `kind` for machine `m` (which must satisfy IsMachineId).
std::string Topic(std::string_view machine, TopicKind kind);
// Subscription filter for `kind` on every machine, e.g. "vend/v1/m/+/events".
std::string AllMachinesFilter(TopicKind kind);

struct ParsedTopic {
  std::string machine;
  TopicKind kind;
};
// nullopt for anything that is not exactly vend/v1/m/{valid machine id}/{known kind}.
std::optional<ParsedTopic> ParseTopic(std::string_view topic);

}  // namespace vend::schemas
