#include "sync/mqtt_sync.h"

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <random>

#include "vend/ids.h"
#include "vend/json_fields.h"
#include "vend/sync_messages.h"
#include "vend/topics.h"

namespace vend::edge::sync {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A refused connect in words for /healthz. Paho puts a refusing CONNACK's reason code
// in the return code, and its own errors (negative) there too.
std::string DescribeFailure(const mqtt::token& tok) {
  const int rc = tok.get_return_code();
  const int reason = static_cast<int>(tok.get_reason_code());
  std::string what = "connect failed: rc=" + std::to_string(rc);
  if (reason != 0 && reason != rc) what += " reason=" + std::to_string(reason);
  for (int code : {rc, reason}) {
    if (code == 0x86) return what + " (bad user name or password)";
    if (code == 0x87) return what + " (not authorized)";
  }
  if (rc == MQTTASYNC_FAILURE) what += " (broker unreachable)";
  return what;
}

}  // namespace

// What /healthz and the metrics gauges read while the worker runs.
struct MqttSync::Shared {
  std::atomic<bool> connected{false};
  std::atomic<int64_t> acked_seq{0};
  std::atomic<int64_t> in_flight{0};
  mutable std::mutex mu;
  std::string last_error;    // guarded by mu
  std::string connected_at;  // guarded by mu
};

struct MqttSync::Item {
  enum Kind { kConnected, kLost, kConnectFailed, kMessage } kind;
  std::string topic;  // kMessage
  std::string text;   // kMessage: payload; otherwise the cause
};

// Guarded by `mu`; Paho's callbacks and the store's listener take it briefly.
struct MqttSync::Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Item> queue;
  bool wake = false;  // the outbox grew
  bool stop = false;
  bool started = false;
};

// Turns Paho's answer to a connect attempt into a worker item. Success is reported by
// the connected handler instead, which runs for every successful connect.
class MqttSync::ConnectListener final : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(MqttSync& sync) : sync_(sync) {}
  void on_failure(const mqtt::token& tok) override {
    sync_.Push(Item{Item::kConnectFailed, "", DescribeFailure(tok)});
  }
  void on_success(const mqtt::token&) override {}

 private:
  MqttSync& sync_;
};

Result<std::unique_ptr<MqttSync>> MqttSync::Create(core::SyncStore& store,
                                                   core::SensorSource& sensors,
                                                   metrics::Registry& metrics,
                                                   MqttSyncOptions options) {
  if (!IsMachineId(options.machine_id)) return InvalidArgument("invalid machine id");
  if (options.drainer.batch_size < 1 || options.drainer.batch_size > schemas::kMaxBatchEvents) {
    return InvalidArgument("sync batch size must be 1 to " +
                           std::to_string(schemas::kMaxBatchEvents));
  }
  if (options.drainer.window < 1) return InvalidArgument("sync window must be at least 1");
  std::unique_ptr<MqttSync> sync(new MqttSync(store, sensors, metrics, std::move(options)));
  try {
    // No persistence and no offline buffering: the SQLite outbox is the durable record,
    // and nothing is handed to Paho while the link is down.
    sync->client_ =
        std::make_unique<mqtt::async_client>(sync->options_.server_uri, sync->options_.machine_id,
                                             mqtt::create_options(MQTTVERSION_5), nullptr);
  } catch (const mqtt::exception& e) {
    return InvalidArgument("MQTT client for " + sync->options_.server_uri +
                           " refused: " + e.what());
  }
  sync->connect_listener_ = std::make_unique<ConnectListener>(*sync);
  MqttSync* self = sync.get();
  sync->client_->set_connected_handler([self](const std::string&) {
    // Subscribing here keeps the subscriptions across reconnects even if the broker lost
    // the session. subscribe() only queues the request; it does not block.
    try {
      self->client_->subscribe(self->ack_topic_, 1);
      self->client_->subscribe(self->commands_topic_, 1);
    } catch (const mqtt::exception& e) {
      spdlog::warn("mqtt subscribe failed machine={} error={}", self->options_.machine_id,
                   e.what());
    }
    self->Push(Item{Item::kConnected, "", ""});
  });
  sync->client_->set_connection_lost_handler([self](const std::string& cause) {
    self->Push(Item{Item::kLost, "", cause});
  });
  sync->client_->set_message_callback([self](mqtt::const_message_ptr msg) {
    self->Push(Item{Item::kMessage, msg->get_topic(), msg->to_string()});
  });
  return sync;
}

MqttSync::MqttSync(core::SyncStore& store, core::SensorSource& sensors, metrics::Registry& metrics,
                   MqttSyncOptions options)
    : store_(store),
      sensors_(sensors),
      options_(std::move(options)),
      events_topic_(schemas::Topic(options_.machine_id, schemas::TopicKind::kEvents)),
      ack_topic_(schemas::Topic(options_.machine_id, schemas::TopicKind::kAck)),
      commands_topic_(schemas::Topic(options_.machine_id, schemas::TopicKind::kCommands)),
      telemetry_topic_(schemas::Topic(options_.machine_id, schemas::TopicKind::kTelemetry)),
      status_topic_(schemas::Topic(options_.machine_id, schemas::TopicKind::kStatus)),
      started_(Clock::now()),
      shared_(std::make_shared<Shared>()),
      batches_published_(metrics.GetCounter("vend_edge_sync_batches_published_total",
                                            "Event batches handed to the broker")),
      events_published_(metrics.GetCounter("vend_edge_sync_events_published_total",
                                           "Events handed to the broker (re-sends included)")),
      acks_advance_(metrics.GetCounter("vend_edge_sync_acks_received_total",
                                       "Acks from the cloud by effect", {{"kind", "advance"}})),
      acks_duplicate_(metrics.GetCounter("vend_edge_sync_acks_received_total",
                                         "Acks from the cloud by effect", {{"kind", "duplicate"}})),
      acks_stale_(metrics.GetCounter("vend_edge_sync_acks_received_total",
                                     "Acks from the cloud by effect", {{"kind", "stale"}})),
      acks_invalid_(metrics.GetCounter("vend_edge_sync_acks_received_total",
                                       "Acks from the cloud by effect", {{"kind", "invalid"}})),
      ack_timeouts_(
          metrics.GetCounter("vend_edge_sync_ack_timeouts_total",
                             "Times the drainer re-sent from the last ack after a timeout")),
      connects_(metrics.GetCounter("vend_edge_mqtt_connects_total", "Successful broker connects")),
      reconnects_(metrics.GetCounter("vend_edge_mqtt_reconnects_total",
                                     "Successful broker connects after the first")),
      connect_failures_(metrics.GetCounter("vend_edge_mqtt_connect_failures_total",
                                           "Broker connect attempts that failed")),
      commands_applied_(metrics.GetCounter("vend_edge_sync_commands_total",
                                           "Cloud commands by outcome", {{"outcome", "applied"}})),
      commands_rejected_(metrics.GetCounter(
          "vend_edge_sync_commands_total", "Cloud commands by outcome", {{"outcome", "rejected"}})),
      commands_duplicate_(metrics.GetCounter("vend_edge_sync_commands_total",
                                             "Cloud commands by outcome",
                                             {{"outcome", "duplicate"}})),
      bad_acks_(metrics.GetCounter("vend_edge_sync_bad_messages_total",
                                   "Received MQTT messages that could not be used, by topic",
                                   {{"topic", "ack"}})),
      bad_commands_(metrics.GetCounter("vend_edge_sync_bad_messages_total",
                                       "Received MQTT messages that could not be used, by topic",
                                       {{"topic", "commands"}})),
      bad_other_(metrics.GetCounter("vend_edge_sync_bad_messages_total",
                                    "Received MQTT messages that could not be used, by topic",
                                    {{"topic", "other"}})),
      telemetry_published_(metrics.GetCounter("vend_edge_telemetry_published_total",
                                              "Telemetry messages handed to the broker")),
      backoff_(options_.reconnect_initial, options_.reconnect_max),
      telemetry_interval_(options_.telemetry_interval),
      inbox_(std::make_shared<Inbox>()) {
  std::weak_ptr<Shared> weak = shared_;
  metrics.AddGauge("vend_edge_mqtt_connected", "1 while the broker connection is up", [weak] {
    auto s = weak.lock();
    return s && s->connected.load() ? 1.0 : 0.0;
  });
  metrics.AddGauge("vend_edge_sync_acked_seq", "Highest seq the cloud has acknowledged", [weak] {
    auto s = weak.lock();
    return s ? static_cast<double>(s->acked_seq.load()) : 0.0;
  });
  metrics.AddGauge("vend_edge_sync_batches_in_flight", "Published batches awaiting an ack", [weak] {
    auto s = weak.lock();
    return s ? static_cast<double>(s->in_flight.load()) : 0.0;
  });
}

MqttSync::~MqttSync() { Stop(); }

void MqttSync::SetConfigListener(std::function<void(const schemas::ConfigSet&)> listener) {
  config_listener_ = std::move(listener);
}

void MqttSync::Push(Item item) {
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    inbox_->queue.push_back(std::move(item));
  }
  inbox_->cv.notify_one();
}

void MqttSync::Start() {
  auto outbox = store_.Outbox();
  const int64_t acked = outbox.ok() ? outbox->acked_seq : 0;
  if (!outbox.ok()) SetError("outbox unreadable: " + outbox.status().ToString());
  drainer_ = std::make_unique<core::OutboxDrainer>(options_.drainer, acked);
  shared_->acked_seq = acked;
  next_connect_ = Clock::now();
  next_telemetry_ = Clock::now() + telemetry_interval_;
  store_.SetEventsAppendedListener([inbox = inbox_] {
    {
      std::lock_guard<std::mutex> lock(inbox->mu);
      inbox->wake = true;
    }
    inbox->cv.notify_one();
  });
  std::lock_guard<std::mutex> lock(inbox_->mu);
  inbox_->started = true;
  worker_ = std::thread([this] { Run(); });
}

void MqttSync::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_->mu);
    if (!inbox_->started || inbox_->stop) return;
    inbox_->stop = true;
  }
  inbox_->cv.notify_one();
  worker_.join();
  store_.SetEventsAppendedListener(nullptr);
  // The worker is gone: this thread owns the client now.
  try {
    if (client_->is_connected()) {
      schemas::Presence offline{false, NowIso8601(), options_.version};
      auto tok = client_->publish(status_topic_, schemas::EncodePresence(offline).dump(), 1, true);
      tok->wait_for(std::chrono::seconds(1));
    }
    client_->disconnect(std::chrono::milliseconds(500))->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception& e) {
    spdlog::debug("mqtt disconnect machine={} error={}", options_.machine_id, e.what());
  }
  shared_->connected = false;
  spdlog::info("sync stopped machine={}", options_.machine_id);
}

bool MqttSync::connected() const { return shared_->connected.load(); }

void MqttSync::SetError(const std::string& error) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->last_error = NowIso8601() + " " + error;
}

void MqttSync::FillHealth(json& body) const {
  json sync{{"state", shared_->connected.load() ? "connected" : "disconnected"},
            {"broker", options_.server_uri},
            {"last_ack_seq", shared_->acked_seq.load()},
            {"batches_in_flight", shared_->in_flight.load()}};
  if (body.contains("outbox") && body["outbox"].contains("depth")) {
    sync["outbox_depth"] = body["outbox"]["depth"];
  }
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    sync["last_error"] = shared_->last_error.empty() ? json(nullptr) : json(shared_->last_error);
    if (!shared_->connected_at.empty()) sync["connected_at"] = shared_->connected_at;
  }
  body["sync"] = std::move(sync);
}

Clock::time_point MqttSync::NextDeadline() const {
  auto deadline = Clock::now() + std::chrono::hours(1);
  if (link_ == Link::kDown) deadline = std::min(deadline, next_connect_);
  if (link_ == Link::kUp) {
    deadline = std::min(deadline, next_telemetry_);
    if (auto ack = drainer_->AckDeadline()) deadline = std::min(deadline, *ack);
  }
  return deadline;
}

void MqttSync::Run() {
  for (;;) {
    std::deque<Item> items;
    {
      Inbox& in = *inbox_;
      std::unique_lock<std::mutex> lock(in.mu);
      in.cv.wait_until(lock, NextDeadline(),
                       [&] { return in.stop || in.wake || !in.queue.empty(); });
      if (in.stop) return;
      items.swap(in.queue);
      in.wake = false;
    }
    for (auto& item : items) {
      switch (item.kind) {
        case Item::kConnected:
          OnConnected();
          break;
        case Item::kLost:
          // Already down when the loss was seen first (a refused publish, or a connected
          // report for a connection already gone).
          if (link_ == Link::kDown) break;
          OnLinkDown("connection lost: " + (item.text.empty() ? "no cause given" : item.text),
                     link_ == Link::kUp);
          break;
        case Item::kConnectFailed:
          // A failure report for an attempt we no longer wait for changes nothing.
          if (link_ == Link::kConnecting) OnLinkDown(item.text, false);
          break;
        case Item::kMessage:
          HandleMessage(item.topic, item.text);
          break;
      }
    }
    const auto now = Clock::now();
    if (link_ == Link::kDown && now >= next_connect_) StartConnect();
    if (link_ == Link::kUp) {
      if (drainer_->CheckAckTimeout(now)) {
        ack_timeouts_.Inc();
        spdlog::warn("sync ack timeout machine={} acked_seq={}: re-sending from the last ack",
                     options_.machine_id, drainer_->acked_seq());
      }
      Drain();
      if (Clock::now() >= next_telemetry_) {
        PublishTelemetry();
        next_telemetry_ = Clock::now() + telemetry_interval_;
      }
    }
    shared_->in_flight = static_cast<int64_t>(drainer_->in_flight());
  }
}

void MqttSync::StartConnect() {
  mqtt::will_options will(status_topic_, schemas::EncodePresence({false, {}, {}}).dump(), 1, true);
  mqtt::properties props;
  props.add(mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL,
                           static_cast<int32_t>(options_.session_expiry.count())));
  auto opts = mqtt::connect_options_builder()
                  .mqtt_version(MQTTVERSION_5)
                  .clean_start(false)
                  .properties(props)
                  .keep_alive_interval(options_.keep_alive)
                  .connect_timeout(options_.connect_timeout)
                  .user_name(options_.username)
                  .password(options_.password)
                  .will(std::move(will))
                  .automatic_reconnect(false)
                  .finalize();
  link_ = Link::kConnecting;
  try {
    client_->connect(opts, nullptr, *connect_listener_);
    spdlog::debug("mqtt connecting machine={} broker={}", options_.machine_id, options_.server_uri);
  } catch (const mqtt::exception& e) {
    OnLinkDown(std::string("connect refused locally: ") + e.what(), false);
  }
}

void MqttSync::OnConnected() {
  // A report of a connection that is already gone again (its loss is queued behind it,
  // or was handled before it) must not mark the link up.
  if (!client_->is_connected()) {
    spdlog::warn("mqtt connected report for a connection already lost machine={} broker={}",
                 options_.machine_id, options_.server_uri);
    if (link_ != Link::kDown) OnLinkDown("connection lost right after connecting", false);
    return;
  }
  const bool reconnect = ever_connected_;
  link_ = Link::kUp;
  ever_connected_ = true;
  connects_.Inc();
  if (reconnect) reconnects_.Inc();
  backoff_.Reset();
  shared_->connected = true;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->connected_at = NowIso8601();
  }
  // Whatever was in flight on the old link may be lost: re-send everything above the
  // last ack.
  drainer_->OnConnected();
  schemas::Presence online{true, NowIso8601(), options_.version};
  Publish(status_topic_, schemas::EncodePresence(online).dump(), 1, true);
  spdlog::info("mqtt connected machine={} broker={} reconnect={} acked_seq={}", options_.machine_id,
               options_.server_uri, reconnect, drainer_->acked_seq());
  // Telemetry right away, so a machine that just came back shows its state.
  next_telemetry_ = Clock::now();
}

void MqttSync::OnLinkDown(const std::string& why, bool was_connected) {
  link_ = Link::kDown;
  shared_->connected = false;
  drainer_->OnDisconnected();
  if (!was_connected) connect_failures_.Inc();
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto delay = backoff_.NextDelay(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  next_connect_ = Clock::now() + delay;
  SetError(why);
  spdlog::warn("mqtt down machine={} broker={} error=\"{}\" retry_in_ms={}", options_.machine_id,
               options_.server_uri, why, delay.count());
}

bool MqttSync::Publish(const std::string& topic, const std::string& payload, int qos,
                       bool retained) {
  try {
    client_->publish(topic, payload.data(), payload.size(), qos, retained);
    return true;
  } catch (const mqtt::exception& e) {
    // Usually the link is going down and connection_lost follows (the drainer rewinds
    // then).
    SetError(std::string("publish on ") + topic + " failed: " + e.what());
    spdlog::warn("mqtt publish failed machine={} topic={} error={}", options_.machine_id, topic,
                 e.what());
    // But a connection lost while its connect was completing can go unreported, which
    // would leave the link "up" and the outbox stuck for good: a client that says it is
    // not connected is proof enough, so reconnect from here.
    if (link_ == Link::kUp && !client_->is_connected()) {
      OnLinkDown(std::string("publish refused while not connected: ") + e.what(), true);
    }
    return false;
  }
}

void MqttSync::Drain() {
  while (auto next = drainer_->NextSend()) {
    auto events = store_.PendingEvents(next->after_seq, static_cast<int>(next->limit));
    if (!events.ok()) {
      SetError("outbox unreadable: " + events.status().ToString());
      spdlog::error("sync outbox read failed machine={} after_seq={} error={}", options_.machine_id,
                    next->after_seq, events.status().ToString());
      return;
    }
    if (events->empty()) return;  // caught up: idle until the store wakes us
    const int64_t first = events->front().seq;
    const int64_t last = events->back().seq;
    const size_t count = events->size();
    schemas::EventBatch batch{options_.machine_id, std::move(events).value()};
    if (!Publish(events_topic_, schemas::EncodeEventBatch(batch).dump(), 1, false)) return;
    drainer_->OnPublished(first, last, Clock::now());
    batches_published_.Inc();
    events_published_.Inc(count);
    spdlog::debug("sync batch published machine={} first_seq={} last_seq={} events={}",
                  options_.machine_id, first, last, count);
  }
}

void MqttSync::HandleMessage(const std::string& topic, const std::string& payload) {
  if (topic == ack_topic_) return HandleAck(payload);
  if (topic == commands_topic_) return HandleCommands(payload);
  bad_other_.Inc();
  spdlog::warn("mqtt message on an unexpected topic machine={} topic={}", options_.machine_id,
               topic);
}

void MqttSync::HandleAck(const std::string& payload) {
  auto doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  auto ack = doc.is_discarded() ? Result<schemas::Ack>(InvalidArgument("ack is not JSON"))
                                : schemas::DecodeAck(doc);
  if (!ack.ok()) {
    bad_acks_.Inc();
    spdlog::warn("sync bad ack machine={} error={}", options_.machine_id, ack.status().message());
    return;
  }
  auto last_seq = store_.LastSeq();
  if (!last_seq.ok()) {
    SetError("outbox unreadable: " + last_seq.status().ToString());
    return;
  }
  auto decision = drainer_->OnAck(ack->upto, *last_seq, Clock::now());
  switch (decision.kind) {
    case core::OutboxDrainer::AckKind::kAdvance: {
      acks_advance_.Inc();
      shared_->acked_seq = decision.acknowledge_upto;
      if (auto s = store_.Acknowledge(decision.acknowledge_upto); !s.ok()) {
        // Acks are cumulative: the next one deletes these rows too.
        SetError("acknowledging failed: " + s.ToString());
        spdlog::error("sync acknowledge failed machine={} upto={} error={}", options_.machine_id,
                      decision.acknowledge_upto, s.ToString());
      }
      spdlog::debug("sync ack machine={} upto={}", options_.machine_id, decision.acknowledge_upto);
      break;
    }
    case core::OutboxDrainer::AckKind::kDuplicate:
      acks_duplicate_.Inc();
      break;
    case core::OutboxDrainer::AckKind::kStale:
      acks_stale_.Inc();
      break;
    case core::OutboxDrainer::AckKind::kInvalid:
      acks_invalid_.Inc();
      spdlog::error("sync ack beyond the newest event machine={} upto={} last_seq={}: ignored",
                    options_.machine_id, ack->upto, *last_seq);
      break;
  }
}

void MqttSync::CountCommand(const std::string& id, std::string_view type,
                            const Result<core::CommandOutcome>& outcome) {
  if (!outcome.ok()) {
    // Not recorded: the cloud re-publishes the command until it sees an outcome event.
    SetError("command " + id + " not stored: " + outcome.status().ToString());
    spdlog::error("sync command failed machine={} command_id={} type={} error={}",
                  options_.machine_id, id, type, outcome.status().ToString());
    return;
  }
  if (outcome->duplicate) {
    commands_duplicate_.Inc();
    spdlog::info("sync command duplicate machine={} command_id={} type={} original={}",
                 options_.machine_id, id, type, outcome->applied ? "applied" : "rejected");
  } else if (outcome->applied) {
    commands_applied_.Inc();
    spdlog::info("sync command applied machine={} command_id={} type={}", options_.machine_id, id,
                 type);
  } else {
    commands_rejected_.Inc();
    spdlog::warn("sync command rejected machine={} command_id={} type={} reason=\"{}\"",
                 options_.machine_id, id, type, outcome->reason);
  }
}

void MqttSync::HandleCommands(const std::string& payload) {
  auto doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    bad_commands_.Inc();
    spdlog::warn("sync commands message is not JSON machine={} bytes={}", options_.machine_id,
                 payload.size());
    return;
  }
  std::vector<schemas::Command> good;
  auto batch = schemas::DecodeCommandBatch(doc);
  if (batch.ok()) {
    good = std::move(batch->commands);
  } else {
    // One bad command must not hold back the good ones beside it: decode them one by
    // one, and reject each bad one whose id can be read.
    auto list = doc.is_object() ? doc.find("commands") : doc.end();
    if (list == doc.end() || !list->is_array() || list->size() > schemas::kMaxBatchCommands) {
      bad_commands_.Inc();
      spdlog::warn("sync commands message unusable machine={} error={}", options_.machine_id,
                   batch.status().message());
      return;
    }
    for (const auto& entry : *list) {
      auto command = schemas::DecodeCommand(entry);
      if (command.ok()) {
        good.push_back(std::move(command).value());
        continue;
      }
      auto id = entry.is_object() ? vend::json::Uuid(entry, "id")
                                  : Result<std::string>(InvalidArgument("no id"));
      if (!id.ok()) {
        bad_commands_.Inc();
        spdlog::warn("sync command without a readable id machine={} error={}", options_.machine_id,
                     command.status().message());
        continue;
      }
      std::string type;
      if (auto t = entry.find("type"); t != entry.end() && t->is_string()) type = *t;
      auto outcome = store_.RejectCommand(*id, type, command.status().message());
      CountCommand(*id, type, outcome);
    }
  }
  for (const auto& command : good) {
    auto outcome = store_.ApplyCommand(command);
    CountCommand(command.id, schemas::CommandType(command.data), outcome);
    if (outcome.ok() && !outcome->duplicate && outcome->config) {
      const auto& c = *outcome->config;
      if (c.key == "telemetry_interval_s") {
        telemetry_interval_ = std::chrono::seconds(c.value);
        next_telemetry_ = Clock::now() + telemetry_interval_;
      }
      if (config_listener_) config_listener_(c);
    }
  }
}

void MqttSync::PublishTelemetry() {
  const auto reading = sensors_.Read();
  schemas::Telemetry t;
  t.at = NowIso8601();
  t.temperature_c = reading.temperature_c;
  t.door_open = reading.door_open;
  t.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
  auto outbox = store_.Outbox();
  t.outbox_depth = outbox.ok() ? outbox->depth : 0;
  for (const auto& p : *store_.Products()) t.stock[p.id] = p.count;
  t.version = options_.version;
  if (Publish(telemetry_topic_, schemas::EncodeTelemetry(t).dump(), 0, false)) {
    telemetry_published_.Inc();
  }
}

}  // namespace vend::edge::sync
