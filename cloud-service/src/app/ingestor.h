// Ingestor: what the cloud does with each message a machine publishes.
//
//   vend/v1/m/{m}/events     validate, store and apply (EventLedger::Ingest), then
//                            publish ack {upto: watermark} (QoS 1), also for a batch that
//                            was entirely duplicate or old, so a machine whose ack was
//                            lost learns where it stands
//   vend/v1/m/{m}/status     presence (online, last seen, agent version); going online
//                            re-dispatches the machine's pending commands
//   vend/v1/m/{m}/telemetry  latest + history
//
// A payload that fails validation, or comes from a machine that is not provisioned, is
// logged, counted by reason in vend_cloud_rejected_payloads_total and dropped; it never
// stops the handling of the next message. A database failure is logged and counted and
// not acked: the machine re-sends after its ack timeout.
//
// Thread safety: Handle may be called from several threads at once (one machine's
// messages from one thread at a time, see WorkerPool).
#pragma once

#include <string>

#include "app/dispatcher.h"
#include "core/ports.h"
#include "mqtt/paho_bus.h"
#include "vend/metrics.h"

namespace vend::cloud::app {

class Ingestor {
 public:
  Ingestor(core::EventLedger& ledger, core::FleetState& fleet, core::MessagePublisher& publisher,
           Dispatcher& dispatcher, metrics::Registry& registry);

  void Handle(const mqtt::InboundMessage& m);
  // Counts a message the worker queue had no room for.
  void CountDropped(const std::string& topic);

 private:
  void HandleEvents(const std::string& machine, const mqtt::InboundMessage& m);
  void HandleStatus(const std::string& machine, const mqtt::InboundMessage& m);
  void HandleTelemetry(const std::string& machine, const mqtt::InboundMessage& m);
  void Reject(const char* kind, const std::string& machine, const Status& why);

  core::EventLedger& ledger_;
  core::FleetState& fleet_;
  core::MessagePublisher& publisher_;
  Dispatcher& dispatcher_;
  metrics::Registry& registry_;
  metrics::Counter& events_ingested_;
  metrics::Counter& events_applied_;
  metrics::Counter& duplicates_;
  metrics::Counter& batches_;
  metrics::Counter& gaps_;
  metrics::Counter& acks_;
  metrics::Counter& ack_failures_;
  metrics::Counter& db_errors_;
  metrics::Counter& statuses_;
  metrics::Counter& telemetry_;
  metrics::Counter& dropped_;
  metrics::Histogram& latency_;
};

}  // namespace vend::cloud::app
