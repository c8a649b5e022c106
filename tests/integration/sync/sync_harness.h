// What the edge sync tests stand on: a test "cloud" (a Paho client with the vend-cloud
// credential of the broker, acking and commanding one machine as vend-cloud would) and
// an in-process edge (SqliteKioskStore + KioskApi + MqttSync, wired as main.cc wires
// them) that can be stopped and started again on the same database.
//
// Both talk to a real Mosquitto, usually a TestBroker (tests/support/services.h).
// Thread safety: TestCloud's accessors may be called from any thread (Paho's callback
// thread fills it); an Edge belongs to the test's thread.
#pragma once

#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/sensors.h"
#include "http/kiosk_api.h"
#include "store/sqlite_kiosk_store.h"
#include "support/services.h"
#include "sync/mqtt_sync.h"
#include "vend/metrics.h"
#include "vend/sync_messages.h"

namespace vend::edge::sync_test {

using namespace std::chrono_literals;

// Every bounded wait in these tests.
inline constexpr auto kWait = 15s;

// Polls `done` every 10 ms until it is true or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = kWait);

class TestCloud {
 public:
  // Uses the broker's vend-cloud user and subscribes to `machine`'s events, status and
  // telemetry. Its session persists (clean start off), as vend-cloud's does, so events
  // published while it reconnects after a broker restart are queued for it.
  TestCloud(const test_support::BrokerEndpoint& broker, const std::string& machine);
  ~TestCloud();

  // Starts connecting; Connected() waits for it and for the subscriptions.
  void BeginConnect();
  void Connected();
  bool connected() const { return client_.is_connected(); }

  // When on (the default), every batch is answered as vend-cloud would: ack {upto: the
  // highest seq below which every seq has arrived}.
  void SetAutoAck(bool on);
  // Publishes ack {upto} (QoS 1) and waits for the broker to take it.
  void Ack(int64_t upto);
  // Publishes a raw payload on the machine's commands topic (QoS 1).
  void SendRaw(const std::string& payload);
  // Publishes a raw payload on the machine's ack topic (QoS 1).
  void AckRaw(const std::string& payload);
  void Send(const std::vector<schemas::Command>& commands);

  // Every event received, in arrival order, re-sends included.
  std::vector<schemas::Event> Deliveries() const;
  // The distinct events by seq. A seq that arrived twice with different content is a
  // test failure (reported here).
  std::map<int64_t, schemas::Event> Distinct() const;
  // The highest seq s such that 1..s have all arrived.
  int64_t Watermark() const;
  size_t batches() const;
  size_t bad_batches() const;
  size_t largest_batch() const;
  std::vector<schemas::Telemetry> Telemetry() const;
  std::optional<schemas::Presence> Status() const;
  // Distinct events of one type, e.g. "command.applied".
  std::vector<schemas::Event> OfType(const std::string& type) const;

 private:
  void OnMessage(mqtt::const_message_ptr msg);
  int64_t WatermarkLocked() const;

  const std::string machine_;
  const test_support::MqttCredentials who_;
  mqtt::async_client client_;
  mqtt::token_ptr connecting_;

  mutable std::mutex mu_;
  bool auto_ack_ = true;
  std::vector<schemas::Event> deliveries_;
  std::map<int64_t, schemas::Event> distinct_;
  size_t batches_ = 0;
  size_t bad_batches_ = 0;
  size_t largest_batch_ = 0;
  std::vector<schemas::Telemetry> telemetry_;
  std::optional<schemas::Presence> status_;
};

struct EdgeTuning {
  size_t batch = 50;
  size_t window = 2;
  std::chrono::milliseconds ack_timeout = 10s;
  std::chrono::milliseconds telemetry_interval = 60s;
};

// The catalog every Edge starts with: Cola (id 1, 150 cents, 100 in stock, refundable)
// and Water (id 2, 100 cents, 100 in stock).
inline constexpr int64_t kCola = 1;
inline constexpr int64_t kWater = 2;

struct Customer {
  int64_t id = 0;
  std::string user_name;
};

class Edge {
 public:
  // Opens (creating and seeding) the store at dir/edge.db.
  Edge(const std::filesystem::path& dir, std::string machine, std::string broker_url,
       std::string password, EdgeTuning tuning = {});
  ~Edge();

  // A fresh MqttSync on the same store, started (it connects in the background).
  void StartSync();
  // Graceful: retained offline status, disconnect. The session stays on the broker.
  void StopSync();
  sync::MqttSync* sync() { return sync_.get(); }

  store::SqliteKioskStore& store() { return *store_; }
  http::KioskApi& api() { return *api_; }

  // One kiosk API call, as the HTTP server would make it.
  http::HttpResponse Call(const std::string& method, const std::string& path,
                          const nlohmann::json& body = nullptr);
  // A new customer with `balance` cents, through the API.
  Customer NewCustomer(int64_t balance);
  http::HttpResponse Buy(const Customer& c, int64_t product_id);
  // GET /api/v1/products as JSON, by id.
  std::map<int64_t, nlohmann::json> Products();
  nlohmann::json Health();
  std::optional<double> Metric(const std::string& series);
  int64_t OutboxDepth();
  int64_t LastSeq();

 private:
  const std::string machine_;
  const std::string broker_url_;
  const std::string password_;
  const EdgeTuning tuning_;
  std::unique_ptr<store::SqliteKioskStore> store_;
  metrics::Registry metrics_;
  std::unique_ptr<http::KioskApi> api_;
  core::SimulatedSensors sensors_{1};
  std::unique_ptr<sync::MqttSync> sync_;
  int next_customer_ = 0;
};

// A command with a fresh id.
schemas::Command NewCommand(schemas::CommandData data);

}  // namespace vend::edge::sync_test
