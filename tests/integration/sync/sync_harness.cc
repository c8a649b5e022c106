#include "sync_harness.h"

#include <thread>

#include "vend/ids.h"
#include "vend/topics.h"

namespace vend::edge::sync_test {
namespace {

using nlohmann::json;
using schemas::TopicKind;

std::string MetricLine(const std::string& text, const std::string& series) {
  size_t pos = 0;
  while ((pos = text.find(series, pos)) != std::string::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const size_t after = pos + series.size();
    if (line_start && after < text.size() && text[after] == ' ') {
      return text.substr(after + 1, text.find('\n', after) - after - 1);
    }
    pos = after;
  }
  return "";
}

}  // namespace

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TestCloud::TestCloud(const test_support::BrokerEndpoint& broker, const std::string& machine)
    : machine_(machine),
      who_(broker.cloud),
      client_(broker.url, test_support::UniqueMachineId("test-cloud"),
              mqtt::create_options(MQTTVERSION_5)) {
  client_.set_message_callback([this](mqtt::const_message_ptr msg) { OnMessage(msg); });
  client_.set_connected_handler([this](const std::string&) {
    // Re-subscribing on every connect keeps the test cloud listening even if the broker
    // lost its session.
    for (auto kind : {TopicKind::kEvents, TopicKind::kStatus, TopicKind::kTelemetry}) {
      client_.subscribe(schemas::Topic(machine_, kind), 1);
    }
  });
}

TestCloud::~TestCloud() {
  try {
    if (client_.is_connected()) client_.disconnect()->wait_for(2s);
  } catch (const mqtt::exception&) {
    // The broker may be gone already.
  }
}

void TestCloud::BeginConnect() {
  auto opts = mqtt::connect_options_builder()
                  .mqtt_version(MQTTVERSION_5)
                  .clean_start(false)
                  .properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 3600)})
                  .user_name(who_.username)
                  .password(who_.password)
                  .connect_timeout(5s)
                  .automatic_reconnect(100ms, 500ms)
                  .finalize();
  connecting_ = client_.connect(opts);
}

void TestCloud::Connected() {
  if (!connecting_->wait_for(kWait)) throw std::runtime_error("test cloud: connect timed out");
  // The subscriptions were requested in the connected handler; a subscription round trip
  // on the same connection proves they are in place.
  client_.subscribe(schemas::Topic(machine_, TopicKind::kEvents), 1)->wait_for(kWait);
}

void TestCloud::SetAutoAck(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  auto_ack_ = on;
}

void TestCloud::Ack(int64_t upto) {
  const std::string payload = schemas::EncodeAck({upto}).dump();
  client_
      .publish(schemas::Topic(machine_, TopicKind::kAck), payload.data(), payload.size(), 1, false)
      ->wait_for(kWait);
}

void TestCloud::SendRaw(const std::string& payload) {
  auto tok = client_.publish(schemas::Topic(machine_, TopicKind::kCommands), payload.data(),
                             payload.size(), 1, false);
  ASSERT_TRUE(tok->wait_for(kWait)) << "publishing a command timed out";
  ASSERT_EQ(tok->get_reason_code(), 0) << "the broker refused the command";
}

void TestCloud::AckRaw(const std::string& payload) {
  auto tok = client_.publish(schemas::Topic(machine_, TopicKind::kAck), payload.data(),
                             payload.size(), 1, false);
  ASSERT_TRUE(tok->wait_for(kWait)) << "publishing an ack timed out";
}

void TestCloud::Send(const std::vector<schemas::Command>& commands) {
  SendRaw(schemas::EncodeCommandBatch({commands}).dump());
}

void TestCloud::OnMessage(mqtt::const_message_ptr msg) {
  auto topic = schemas::ParseTopic(msg->get_topic());
  if (!topic || topic->machine != machine_) return;
  auto doc = json::parse(msg->to_string(), nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  if (topic->kind == TopicKind::kStatus) {
    auto p = doc.is_discarded() ? Result<schemas::Presence>(InvalidArgument("not JSON"))
                                : schemas::DecodePresence(doc);
    if (p.ok()) status_ = *p;
    return;
  }
  if (topic->kind == TopicKind::kTelemetry) {
    auto t = doc.is_discarded() ? Result<schemas::Telemetry>(InvalidArgument("not JSON"))
                                : schemas::DecodeTelemetry(doc);
    if (t.ok()) telemetry_.push_back(*t);
    return;
  }
  if (topic->kind != TopicKind::kEvents) return;
  auto batch = doc.is_discarded() ? Result<schemas::EventBatch>(InvalidArgument("not JSON"))
                                  : schemas::DecodeEventBatch(doc);
  if (!batch.ok() || batch->machine != machine_) {
    ++bad_batches_;
    return;
  }
  ++batches_;
  largest_batch_ = std::max(largest_batch_, batch->events.size());
  for (const auto& e : batch->events) {
    deliveries_.push_back(e);
    distinct_.emplace(e.seq, e);
  }
  if (auto_ack_) {
    const int64_t upto = WatermarkLocked();
    if (upto > 0) {
      // publish() only queues the message: no waiting inside Paho's callback.
      const std::string payload = schemas::EncodeAck({upto}).dump();
      client_.publish(schemas::Topic(machine_, TopicKind::kAck), payload.data(), payload.size(), 1,
                      false);
    }
  }
}

int64_t TestCloud::WatermarkLocked() const {
  int64_t w = 0;
  for (auto it = distinct_.begin(); it != distinct_.end() && it->first == w + 1; ++it)
    w = it->first;
  return w;
}

std::vector<schemas::Event> TestCloud::Deliveries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deliveries_;
}

std::map<int64_t, schemas::Event> TestCloud::Distinct() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : deliveries_) {
    const auto& first = distinct_.at(e.seq);
    EXPECT_EQ(schemas::EncodeEvent(e), schemas::EncodeEvent(first))
        << "seq " << e.seq << " arrived twice with different content";
  }
  return distinct_;
}

int64_t TestCloud::Watermark() const {
  std::lock_guard<std::mutex> lock(mu_);
  return WatermarkLocked();
}

size_t TestCloud::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

size_t TestCloud::largest_batch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return largest_batch_;
}

size_t TestCloud::bad_batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_batches_;
}

std::vector<schemas::Telemetry> TestCloud::Telemetry() const {
  std::lock_guard<std::mutex> lock(mu_);
  return telemetry_;
}

std::optional<schemas::Presence> TestCloud::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::vector<schemas::Event> TestCloud::OfType(const std::string& type) const {
  std::vector<schemas::Event> out;
  for (const auto& [seq, e] : Distinct()) {
    if (schemas::EventType(e.data) == type) out.push_back(e);
  }
  return out;
}

Edge::Edge(const std::filesystem::path& dir, std::string machine, std::string broker_url,
           std::string password, EdgeTuning tuning)
    : machine_(std::move(machine)),
      broker_url_(std::move(broker_url)),
      password_(std::move(password)),
      tuning_(tuning) {
  auto store = store::SqliteKioskStore::Open((dir / "edge.db").string(), machine_);
  if (!store.ok()) throw std::runtime_error(store.status().ToString());
  store_ = std::move(store).value();
  auto seeded =
      store_->SeedCatalog({core::Product{kCola, "Cola", Money::FromCents(150), 100, "", true},
                           core::Product{kWater, "Water", Money::FromCents(100), 100, "", false}});
  if (!seeded.ok()) throw std::runtime_error(seeded.ToString());
  api_ = std::make_unique<http::KioskApi>(
      *store_, metrics_, http::KioskApiOptions{machine_, "9.9.9-test", "", 100000, 64 * 1024});
}

Edge::~Edge() { StopSync(); }

void Edge::StartSync() {
  StopSync();
  sync::MqttSyncOptions o;
  o.server_uri = broker_url_;
  o.machine_id = machine_;
  o.username = machine_;
  o.password = password_;
  o.version = "9.9.9-test";
  o.drainer.batch_size = tuning_.batch;
  o.drainer.window = tuning_.window;
  o.drainer.ack_timeout = tuning_.ack_timeout;
  o.telemetry_interval = tuning_.telemetry_interval;
  o.reconnect_initial = 100ms;
  o.reconnect_max = 1s;
  o.connect_timeout = 5s;
  auto created = sync::MqttSync::Create(*store_, sensors_, metrics_, o);
  if (!created.ok()) throw std::runtime_error(created.status().ToString());
  sync_ = std::move(created).value();
  // As main.cc wires it.
  sync_->SetConfigListener([this](const schemas::ConfigSet& c) {
    if (c.key == "max_deposit") api_->SetMaxDeposit(c.value);
  });
  api_->SetHealthExtra([s = sync_.get()](json& body) { s->FillHealth(body); });
  sync_->Start();
}

void Edge::StopSync() {
  if (!sync_) return;
  api_->SetHealthExtra(nullptr);
  sync_->Stop();
  sync_.reset();
}

http::HttpResponse Edge::Call(const std::string& method, const std::string& path,
                              const json& body) {
  http::HttpRequest req;
  req.method = method;
  req.path = path;
  if (!body.is_null()) {
    req.content_type = "application/json";
    req.body = body.dump();
  }
  req.request_id = NewUuid();
  return api_->Handle(req);
}

Customer Edge::NewCustomer(int64_t balance) {
  Customer c;
  c.user_name = machine_ + "-customer-" + std::to_string(next_customer_++);
  auto r = Call("POST", "/api/v1/users", {{"user_name", c.user_name}});
  EXPECT_EQ(r.status, 201) << r.body;
  c.id = json::parse(r.body).value("id", int64_t{0});
  while (balance > 0) {
    const int64_t step = std::min<int64_t>(balance, 100000);
    auto d = Call("POST", "/api/v1/users/" + std::to_string(c.id) + "/add_balance",
                  {{"user_name", c.user_name}, {"amount", step}});
    EXPECT_EQ(d.status, 200) << d.body;
    balance -= step;
  }
  return c;
}

http::HttpResponse Edge::Buy(const Customer& c, int64_t product_id) {
  return Call("POST", "/api/v1/products/" + std::to_string(product_id) + "/buy",
              {{"user_name", c.user_name}});
}

std::map<int64_t, json> Edge::Products() {
  std::map<int64_t, json> out;
  auto r = Call("GET", "/api/v1/products");
  EXPECT_EQ(r.status, 200);
  for (const auto& p : json::parse(r.body)) out[p.at("id").get<int64_t>()] = p;
  return out;
}

json Edge::Health() {
  auto r = Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body, nullptr, false);
}

std::optional<double> Edge::Metric(const std::string& series) {
  const std::string value = MetricLine(metrics_.Render(), series);
  if (value.empty()) return std::nullopt;
  return std::stod(value);
}

int64_t Edge::OutboxDepth() {
  auto o = store_->Outbox();
  EXPECT_TRUE(o.ok());
  return o.ok() ? o->depth : -1;
}

int64_t Edge::LastSeq() {
  auto o = store_->Outbox();
  EXPECT_TRUE(o.ok());
  return o.ok() ? o->last_seq : -1;
}

schemas::Command NewCommand(schemas::CommandData data) {
  return schemas::Command{NewUuid(), NowIso8601(), std::move(data)};
}

}  // namespace vend::edge::sync_test
