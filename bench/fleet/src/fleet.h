// Fleet: N virtual machines, each speaking the edge's sync protocol (DESIGN.md section
// 4) over its own MQTT v5 connection with its own credential, all driven by one thread
// over epoll.
//
// Each machine behaves like vend-edge's MqttSync: client id = machine id, clean start
// off with a session expiry, the retained {"online":false} will on its status topic;
// on every connect it subscribes to its ack and commands topics, publishes the retained
// online status and a telemetry sample, and drains its outbox through the edge's own
// core::OutboxDrainer (batches in seq order, a bounded window of unacknowledged
// batches, events dropped only when an ack covers them, everything above the last ack
// sent again after a reconnect or an ack timeout). A lost link is retried with the
// edge's core::Backoff (capped, full jitter). Commands are answered with
// command.rejected, once per command id (the simulator has no catalog to apply them to).
//
// Sales are a Poisson process over the whole fleet; a sale's latency runs from the
// moment it is recorded (its events' `at`) to the moment the machine receives an ack
// covering its last event, which the cloud publishes only after the transaction that
// stored it committed.
//
// Thread safety: none. One thread creates the Fleet and calls everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/outbox_drainer.h"
#include "virtual_machine.h"

namespace vend::bench {

using Clock = std::chrono::steady_clock;

struct Credential {
  std::string id;  // machine id = MQTT username = client id
  std::string password;
};

struct FleetOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  edge::core::DrainerOptions drainer;
  std::chrono::seconds keep_alive{20};
  std::chrono::seconds session_expiry{7 * 24 * 3600};
  // 0 disables telemetry. After the sample sent on connect, a machine's next sample
  // comes after a random fraction of the interval, then every interval (machines of a
  // real fleet booted at different times, so their samples do not arrive in step).
  std::chrono::milliseconds telemetry_interval{60000};
  std::chrono::milliseconds reconnect_initial{500};
  std::chrono::milliseconds reconnect_max{30000};
  std::chrono::seconds connect_timeout{10};
  size_t max_connecting = 0;  // connection attempts in progress at once; 0: no limit
  std::string version = "fleet-sim";
  uint64_t seed = 1;
};

struct FleetStats {
  int64_t connects = 0;
  int64_t connect_failures = 0;
  int64_t links_lost = 0;
  int64_t batches_published = 0;
  int64_t events_published = 0;  // re-sends included
  int64_t status_published = 0;
  int64_t telemetry_published = 0;
  int64_t puback_refused = 0;  // PUBACK reason >= 0x80
  int64_t subscribe_refused = 0;
  int64_t acks_advance = 0;
  int64_t acks_duplicate = 0;
  int64_t acks_stale = 0;
  int64_t acks_invalid = 0;
  int64_t bad_messages = 0;
  int64_t ack_timeouts = 0;
  int64_t commands_rejected = 0;
  int64_t sales = 0;
  int64_t sold_out = 0;
  int64_t bytes_out = 0;
  int64_t bytes_in = 0;
};

class Fleet {
 public:
  Fleet(FleetOptions options, const std::vector<Credential>& credentials);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  size_t size() const;
  VirtualMachine& machine(size_t i);

  // Every machine starts connecting now (at most max_connecting at a time) and keeps
  // reconnecting when its link fails.
  void ConnectAll();
  // Cuts every link without DISCONNECT, as a network outage would (the broker then
  // publishes the wills); nothing reconnects until ConnectAll.
  void DropAll();
  // As vend-edge on SIGTERM: the retained offline status, then DISCONNECT; bounded.
  void DisconnectAll(std::chrono::milliseconds timeout);

  // Sales at `per_second` over the fleet, each at a uniformly chosen machine; sales at
  // or after `record_from` contribute latency samples.
  void StartSales(double per_second, Clock::time_point record_from);
  void StopSales();

  // Runs the loop until done() returns true (checked every turn: keep it cheap) or the
  // deadline passes; false on the deadline.
  bool RunUntil(const std::function<bool()>& done, Clock::time_point deadline);

  size_t connected() const;
  // Machines whose every event is covered by an ack.
  size_t caught_up() const;
  const FleetStats& stats() const;
  // Sale-to-ack latencies of the recorded sales, in milliseconds, in arrival order.
  const std::vector<double>& latencies_ms() const;
  // Recorded sales still waiting for their ack.
  size_t sales_waiting() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vend::bench
