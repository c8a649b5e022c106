#include "app/ingestor.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "core/inbound.h"
#include "vend/topics.h"

namespace vend::cloud::app {

using schemas::TopicKind;

Ingestor::Ingestor(core::EventLedger& ledger, core::FleetState& fleet,
                   core::MessagePublisher& publisher, Dispatcher& dispatcher,
                   metrics::Registry& registry)
    : ledger_(ledger),
      fleet_(fleet),
      publisher_(publisher),
      dispatcher_(dispatcher),
      registry_(registry),
      events_ingested_(registry.GetCounter("vend_cloud_events_ingested_total",
                                           "Events stored for the first time")),
      events_applied_(registry.GetCounter("vend_cloud_events_applied_total",
                                          "Events applied to the projections")),
      duplicates_(registry.GetCounter("vend_cloud_duplicate_events_total",
                                      "Events received again after being stored")),
      batches_(registry.GetCounter("vend_cloud_batches_total", "Event batches ingested")),
      gaps_(registry.GetCounter("vend_cloud_seq_gaps_total",
                                "Batches after which stored events wait for a missing seq")),
      acks_(registry.GetCounter("vend_cloud_acks_published_total", "Acks published")),
      ack_failures_(registry.GetCounter("vend_cloud_ack_publish_failures_total",
                                        "Acks that could not be published")),
      db_errors_(registry.GetCounter("vend_cloud_ingest_errors_total",
                                     "Messages not stored because the database failed")),
      statuses_(
          registry.GetCounter("vend_cloud_status_messages_total", "Presence messages recorded")),
      telemetry_(registry.GetCounter("vend_cloud_telemetry_messages_total",
                                     "Telemetry messages recorded")),
      dropped_(registry.GetCounter("vend_cloud_messages_dropped_total",
                                   "Messages refused because the worker queue was full")),
      latency_(registry.GetHistogram("vend_cloud_ingest_latency_seconds",
                                     "Event batch latency from receipt to commit",
                                     metrics::LatencyBuckets())) {}

void Ingestor::Reject(const char* kind, const std::string& machine, const Status& why) {
  registry_
      .GetCounter("vend_cloud_rejected_payloads_total",
                  "Payloads rejected, by topic kind and reason",
                  {{"kind", kind}, {"reason", why.reason()}})
      .Inc();
  spdlog::warn("rejected kind={} machine={} reason={} message='{}'", kind, machine, why.reason(),
               why.message());
}

void Ingestor::CountDropped(const std::string& topic) {
  dropped_.Inc();
  spdlog::warn("dropped topic={} reason=queue_full", topic);
}

void Ingestor::Handle(const mqtt::InboundMessage& m) {
  auto topic = schemas::ParseTopic(m.topic);
  if (!topic) {
    Reject("unknown", "", core::Rejected("bad_topic", "not a machine topic: " + m.topic));
    return;
  }
  switch (topic->kind) {
    case TopicKind::kEvents:
      return HandleEvents(topic->machine, m);
    case TopicKind::kStatus:
      return HandleStatus(topic->machine, m);
    case TopicKind::kTelemetry:
      return HandleTelemetry(topic->machine, m);
    case TopicKind::kAck:
    case TopicKind::kCommands:
      // Our own output (a broad subscription would echo it); nothing to do.
      return;
  }
}

void Ingestor::HandleEvents(const std::string& machine, const mqtt::InboundMessage& m) {
  auto batch = core::ParseEventBatch(machine, m.payload);
  if (!batch.ok()) return Reject("events", machine, batch.status());
  auto outcome = ledger_.Ingest(*batch, m.payload);
  if (!outcome.ok()) {
    if (outcome.status().reason() == "unknown_machine") {
      return Reject("events", machine, outcome.status());
    }
    db_errors_.Inc();
    spdlog::error("ingest machine={} first_seq={} failed: {}", machine, batch->events.front().seq,
                  outcome.status().ToString());
    return;
  }
  latency_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m.received).count());
  batches_.Inc();
  events_ingested_.Inc(outcome->inserted);
  events_applied_.Inc(outcome->applied);
  duplicates_.Inc(outcome->duplicates);
  if (outcome->gap) gaps_.Inc();
  spdlog::debug("ingest machine={} seqs={}..{} inserted={} duplicates={} applied={} upto={}{}",
                machine, batch->events.front().seq, batch->events.back().seq, outcome->inserted,
                outcome->duplicates, outcome->applied, outcome->watermark,
                outcome->gap ? " gap" : "");
  if (outcome->gap) {
    spdlog::warn("ingest machine={} waits for a missing seq above {}", machine, outcome->watermark);
  }
  auto s = publisher_.Publish(schemas::Topic(machine, TopicKind::kAck),
                              schemas::EncodeAck({outcome->watermark}).dump(), 1, false);
  if (s.ok()) {
    acks_.Inc();
  } else {
    ack_failures_.Inc();
    spdlog::warn("ack machine={} upto={} not published: {}", machine, outcome->watermark,
                 s.ToString());
  }
}

void Ingestor::HandleStatus(const std::string& machine, const mqtt::InboundMessage& m) {
  // An empty retained message only clears the broker's copy.
  if (m.payload.empty()) return;
  auto presence = core::ParsePresence(m.payload);
  if (!presence.ok()) return Reject("status", machine, presence.status());
  auto s = fleet_.RecordPresence(machine, *presence);
  if (!s.ok()) {
    if (s.reason() == "unknown_machine") return Reject("status", machine, s);
    db_errors_.Inc();
    spdlog::error("presence machine={} failed: {}", machine, s.ToString());
    return;
  }
  statuses_.Inc();
  spdlog::info("presence machine={} online={} version={}", machine, presence->online,
               presence->version.value_or(""));
  if (presence->online) dispatcher_.OnMachineOnline(machine);
}

void Ingestor::HandleTelemetry(const std::string& machine, const mqtt::InboundMessage& m) {
  auto t = core::ParseTelemetry(m.payload);
  if (!t.ok()) return Reject("telemetry", machine, t.status());
  auto s = fleet_.RecordTelemetry(machine, *t);
  if (!s.ok()) {
    if (s.reason() == "unknown_machine") return Reject("telemetry", machine, s);
    db_errors_.Inc();
    spdlog::error("telemetry machine={} failed: {}", machine, s.ToString());
    return;
  }
  telemetry_.Inc();
}

}  // namespace vend::cloud::app
