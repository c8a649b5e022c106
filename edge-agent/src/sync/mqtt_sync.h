// MqttSync: the edge side of the sync protocol (DESIGN.md section 4) over a Paho MQTT v5
// async client.
//
// - Session: client id = machine id, clean start off with a session expiry, so the
//   broker keeps the subscriptions and queues commands while the machine is away. The
//   will is the retained {"online":false} on vend/v1/m/{m}/status; every connect
//   publishes the retained {"online":true,"at":…,"version":…} there.
// - Reconnect: our own capped exponential backoff with full jitter (core::Backoff), not
//   Paho's, so a fleet that lost its broker together does not come back together.
// - Outbox: core::OutboxDrainer decides; batches go to vend/v1/m/{m}/events at QoS 1;
//   an ack {upto} on vend/v1/m/{m}/ack is the only thing that removes events.
// - Inbox: commands on vend/v1/m/{m}/commands are applied through SyncStore::ApplyCommand
//   (exactly once per id, each in one transaction with its events).
// - Telemetry: every telemetry interval at QoS 0 on vend/v1/m/{m}/telemetry.
//
// Threads: Paho's callbacks only queue what they got and wake the worker; one worker
// thread owns the drainer, the backoff and every store call. Nothing here runs on a
// kiosk request: a sale's commit only wakes the worker (SetEventsAppendedListener).
// Start, Stop, FillHealth and the accessors may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <thread>

#include "core/backoff.h"
#include "core/outbox_drainer.h"
#include "core/sensors.h"
#include "core/sync_store.h"
#include "vend/commands.h"
#include "vend/metrics.h"
#include "vend/status.h"

namespace mqtt {
class async_client;
}

namespace vend::edge::sync {

struct MqttSyncOptions {
  std::string server_uri;  // e.g. tcp://127.0.0.1:1883
  std::string machine_id;  // also the MQTT client id
  std::string username;    // the machine's broker credential
  std::string password;
  std::string version;  // reported in presence and telemetry
  core::DrainerOptions drainer;
  std::chrono::milliseconds telemetry_interval{60000};
  std::chrono::milliseconds reconnect_initial{500};
  std::chrono::milliseconds reconnect_max{30000};
  // How long the broker keeps the session (and queues commands) while we are away.
  std::chrono::seconds session_expiry{7 * 24 * 3600};
  std::chrono::seconds keep_alive{20};
  std::chrono::seconds connect_timeout{10};
};

class MqttSync {
 public:
  // `store`, `sensors` and `metrics` must outlive the MqttSync. Fails (400) on options
  // Paho refuses, e.g. a malformed server URI. Does not touch the network.
  static Result<std::unique_ptr<MqttSync>> Create(core::SyncStore& store,
                                                  core::SensorSource& sensors,
                                                  metrics::Registry& metrics,
                                                  MqttSyncOptions options);
  ~MqttSync();  // Stop()
  MqttSync(const MqttSync&) = delete;
  MqttSync& operator=(const MqttSync&) = delete;

  // Hooks the store's commit notifications and starts the worker, which connects in the
  // background and keeps reconnecting. Never waits for the network. Call once.
  void Start();
  // Publishes the retained offline status and disconnects (bounded waits of about a
  // second each), then stops the worker. Idempotent.
  void Stop();

  // Runs on the worker thread after each applied config.set (telemetry_interval_s is
  // already in effect here when it runs). Set before Start.
  void SetConfigListener(std::function<void(const schemas::ConfigSet&)> listener);

  // Sets body["sync"]: state, broker, last ack, outbox depth (from body["outbox"] when
  // present), batches in flight, last error.
  void FillHealth(nlohmann::json& body) const;

  bool connected() const;

 private:
  struct Shared;  // state the callbacks, the metrics gauges and /healthz read
  struct Item;    // one thing the callbacks hand to the worker
  struct Inbox;   // the worker's queue and wake-up flags
  class ConnectListener;

  MqttSync(core::SyncStore& store, core::SensorSource& sensors, metrics::Registry& metrics,
           MqttSyncOptions options);

  void Push(Item item);
  void Run();
  void StartConnect();
  void OnConnected();
  void OnLinkDown(const std::string& why, bool was_connected);
  void HandleMessage(const std::string& topic, const std::string& payload);
  void HandleAck(const std::string& payload);
  void HandleCommands(const std::string& payload);
  void CountCommand(const std::string& id, std::string_view type,
                    const Result<core::CommandOutcome>& outcome);
  void Drain();
  void PublishTelemetry();
  bool Publish(const std::string& topic, const std::string& payload, int qos, bool retained);
  void SetError(const std::string& error);
  std::chrono::steady_clock::time_point NextDeadline() const;

  core::SyncStore& store_;
  core::SensorSource& sensors_;
  const MqttSyncOptions options_;
  const std::string events_topic_, ack_topic_, commands_topic_, telemetry_topic_, status_topic_;
  const std::chrono::steady_clock::time_point started_;
  std::shared_ptr<Shared> shared_;

  metrics::Counter& batches_published_;
  metrics::Counter& events_published_;
  metrics::Counter& acks_advance_;
  metrics::Counter& acks_duplicate_;
  metrics::Counter& acks_stale_;
  metrics::Counter& acks_invalid_;
  metrics::Counter& ack_timeouts_;
  metrics::Counter& connects_;
  metrics::Counter& reconnects_;
  metrics::Counter& connect_failures_;
  metrics::Counter& commands_applied_;
  metrics::Counter& commands_rejected_;
  metrics::Counter& commands_duplicate_;
  metrics::Counter& bad_acks_;
  metrics::Counter& bad_commands_;
  metrics::Counter& bad_other_;
  metrics::Counter& telemetry_published_;

  std::function<void(const schemas::ConfigSet&)> config_listener_;

  // Worker-owned (only the worker thread touches these after Start).
  enum class Link { kDown, kConnecting, kUp };
  Link link_ = Link::kDown;
  bool ever_connected_ = false;
  std::unique_ptr<core::OutboxDrainer> drainer_;
  core::Backoff backoff_;
  std::chrono::steady_clock::time_point next_connect_;
  std::chrono::steady_clock::time_point next_telemetry_;
  std::chrono::milliseconds telemetry_interval_;

  // Shared with the store's listener, which may still run on a committing thread while
  // this object goes away.
  std::shared_ptr<Inbox> inbox_;
  std::thread worker_;

  // Declared last: destroyed first, so no Paho callback outlives the queue it feeds.
  std::unique_ptr<ConnectListener> connect_listener_;
  std::unique_ptr<mqtt::async_client> client_;
};

}  // namespace vend::edge::sync
