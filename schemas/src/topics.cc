#include "vend/topics.h"

#include "vend/ids.h"

namespace vend::schemas {
namespace {

constexpr std::string_view kPrefix = "vend/v1/m/";
constexpr TopicKind kKinds[] = {TopicKind::kEvents, TopicKind::kAck, TopicKind::kCommands,
                                TopicKind::kTelemetry, TopicKind::kStatus};

}  // namespace

std::string_view TopicKindName(TopicKind kind) {
  switch (kind) {
    case TopicKind::kEvents:
      return "events";
    case TopicKind::kAck:
      return "ack";
    case TopicKind::kCommands:
      return "commands";
    case TopicKind::kTelemetry:
      return "telemetry";
    case TopicKind::kStatus:
      return "status";
  }
  return "";
}

std::string Topic(std::string_view machine, TopicKind kind) {
  std::string t(kPrefix);
  t.append(machine).append("/").append(TopicKindName(kind));
  return t;
}

std::string AllMachinesFilter(TopicKind kind) { return Topic("+", kind); }

std::optional<ParsedTopic> ParseTopic(std::string_view topic) {
  if (topic.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  topic.remove_prefix(kPrefix.size());
  size_t slash = topic.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view machine = topic.substr(0, slash);
  std::string_view rest = topic.substr(slash + 1);
  if (!IsMachineId(machine)) return std::nullopt;
  for (TopicKind k : kKinds) {
    if (rest == TopicKindName(k)) return ParsedTopic{std::string(machine), k};
  }
  return std::nullopt;
}

}  // namespace vend::schemas
