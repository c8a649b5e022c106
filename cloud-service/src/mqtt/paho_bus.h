// PahoBus: the cloud's MQTT connection (Paho async client, MQTT v5).
//
// Connects with credentials and automatic reconnect, and subscribes again in the
// connected handler so subscriptions survive reconnects (the session is clean: the
// cloud keeps no broker-side state; machines re-send unacknowledged events and statuses
// are retained). Callbacks run on Paho's thread and must not block: `on_message` is
// expected to hand the message to a queue and return.
//
// Thread safety: Publish and Connected may be called from any thread; Start and Stop
// from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/ports.h"

namespace vend::cloud::mqtt {

struct InboundMessage {
  std::string topic;
  std::string payload;
  std::chrono::steady_clock::time_point received;
};

struct BusOptions {
  std::string url;  // tcp://host:port
  std::string username;
  std::string password;
  std::string client_id;                   // unique per process
  std::vector<std::string> subscriptions;  // QoS 1 each
  std::chrono::seconds keep_alive{20};
};

class PahoBus final : public core::MessagePublisher {
 public:
  using MessageHandler = std::function<void(InboundMessage&&)>;
  using ConnectedHandler = std::function<void()>;

  // `on_connected` runs (on Paho's thread) after each (re)connect once subscribing has
  // been requested.
  PahoBus(BusOptions options, MessageHandler on_message, ConnectedHandler on_connected);
  ~PahoBus() override;

  // Connects, waiting at most `timeout` for the first connection. Unavailable when the
  // broker cannot be reached or refuses the credentials; reconnects are automatic after
  // a first success.
  Status Start(std::chrono::milliseconds timeout);
  void Stop();

  Status Publish(const std::string& topic, const std::string& payload, int qos,
                 bool retained) override;
  bool Connected() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vend::cloud::mqtt
