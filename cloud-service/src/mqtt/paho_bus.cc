#include "mqtt/paho_bus.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

namespace vend::cloud::mqtt {
namespace {

// Publishes Paho may queue beyond the broker's in-flight window (Mosquitto grants 20)
// before it refuses one with -12 ("No more messages can be buffered"); its default of
// 100 refused acks during a reconnect burst of a few thousand machines (each refused ack
// costs that machine an ack timeout). Acks are ~100 bytes: 100,000 queued is ~10 MB.
constexpr int kMaxBufferedPublishes = 100000;

}  // namespace

struct PahoBus::Impl {
  BusOptions options;
  MessageHandler on_message;
  ConnectedHandler on_connected;
  std::unique_ptr<::mqtt::async_client> client;
  std::atomic<bool> connected{false};
  std::atomic<bool> stopping{false};

  void Subscribe() {
    for (const auto& filter : options.subscriptions) {
      try {
        // Not waited for: blocking inside a Paho callback would stall the client.
        client->subscribe(filter, 1);
      } catch (const ::mqtt::exception& e) {
        spdlog::error("mqtt subscribe filter={} failed: {}", filter, e.what());
      }
    }
  }
};

PahoBus::PahoBus(BusOptions options, MessageHandler on_message, ConnectedHandler on_connected)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->on_message = std::move(on_message);
  impl_->on_connected = std::move(on_connected);
}

PahoBus::~PahoBus() { Stop(); }

Status PahoBus::Start(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  try {
    s.client = std::make_unique<::mqtt::async_client>(
        s.options.url, s.options.client_id,
        ::mqtt::create_options(MQTTVERSION_5, kMaxBufferedPublishes));
    s.client->set_connected_handler([this](const std::string&) {
      impl_->connected = true;
      spdlog::info("mqtt connected url={} client_id={}", impl_->options.url,
                   impl_->options.client_id);
      impl_->Subscribe();
      if (impl_->on_connected) impl_->on_connected();
    });
    s.client->set_connection_lost_handler([this](const std::string& cause) {
      impl_->connected = false;
      if (!impl_->stopping) spdlog::warn("mqtt connection lost cause='{}'", cause);
    });
    s.client->set_message_callback([this](::mqtt::const_message_ptr msg) {
      impl_->on_message(InboundMessage{msg->get_topic(), msg->get_payload_str(),
                                       std::chrono::steady_clock::now()});
    });
    auto opts = ::mqtt::connect_options_builder()
                    .mqtt_version(MQTTVERSION_5)
                    .clean_start(true)
                    .user_name(s.options.username)
                    .password(s.options.password)
                    .keep_alive_interval(s.options.keep_alive)
                    .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(15))
                    .finalize();
    auto tok = s.client->connect(opts);
    if (!tok->wait_for(timeout)) {
      return Status(Code::kUnavailable, "mqtt_unavailable",
                    "no connection to " + s.options.url + " within the timeout");
    }
  } catch (const ::mqtt::exception& e) {
    return Status(Code::kUnavailable, "mqtt_unavailable",
                  "connecting to " + s.options.url + " failed: " + e.what());
  }
  return Status::Ok();
}

void PahoBus::Stop() {
  auto& s = *impl_;
  if (s.client == nullptr || s.stopping.exchange(true)) return;
  try {
    if (s.client->is_connected()) s.client->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const ::mqtt::exception& e) {
    spdlog::warn("mqtt disconnect: {}", e.what());
  }
  s.connected = false;
}

Status PahoBus::Publish(const std::string& topic, const std::string& payload, int qos,
                        bool retained) {
  auto& s = *impl_;
  if (s.client == nullptr || !s.connected) {
    return Status(Code::kUnavailable, "mqtt_unavailable", "not connected to the broker");
  }
  try {
    s.client->publish(topic, payload.data(), payload.size(), qos, retained);
  } catch (const ::mqtt::exception& e) {
    return Status(Code::kUnavailable, "mqtt_unavailable",
                  "publishing to " + topic + " failed: " + e.what());
  }
  return Status::Ok();
}

bool PahoBus::Connected() const { return impl_->connected; }

}  // namespace vend::cloud::mqtt
