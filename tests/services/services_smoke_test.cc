// The services the integration tests stand on, seen from a client: the broker's users and
// per-machine ACLs (DESIGN.md section 5), retained status, persistence of a queued QoS1
// message across a broker restart, and throwaway databases on the shared PostgreSQL.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <chrono>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "support/services.h"

namespace vend::test_support {
namespace {

using namespace std::chrono_literals;

constexpr auto kTimeout = 5s;
// How long to wait for a message that must NOT arrive, after a later marker message
// already proved the broker has routed everything published before it.
constexpr auto kAbsenceGrace = 200ms;

std::string Topic(const std::string& machine, const std::string& kind) {
  return "vend/v1/m/" + machine + "/" + kind;
}

// One MQTT v5 connection with its received messages in a queue. Each test keeps its
// clients for its whole run: destroying a Paho client takes up to a second.
//
// The clients of a test connect together (BeginConnect on all, then Connected): Paho C
// 1.3.12 serves every client of a process from one receive thread whose poll() notices a
// socket added while the other sockets are idle only at its 1 s timeout, so connecting
// clients one after another costs about 2 s each.
class Client {
 public:
  Client(const std::string& url, const std::string& client_id)
      : client_(url, client_id, mqtt::create_options(MQTTVERSION_5)) {
    client_.start_consuming();
  }
  ~Client() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(kTimeout);
    } catch (const mqtt::exception&) {
      // The broker may already be gone (a stopped TestBroker): nothing to release.
    }
  }

  void BeginConnect(const MqttCredentials& who, bool clean_start = true,
                    const std::optional<mqtt::message>& will = std::nullopt) {
    auto builder = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_5)
                       .clean_start(clean_start)
                       .user_name(who.username)
                       .password(who.password)
                       .connect_timeout(kTimeout);
    if (!clean_start) {
      // MQTT v5 ends a session at disconnect unless it has an expiry interval.
      builder.properties({mqtt::property(mqtt::property::SESSION_EXPIRY_INTERVAL, 3600)});
    }
    if (will) builder.will(*will);
    connecting_ = client_.connect(builder.finalize());
  }

  // Waits for the connection BeginConnect started; throws mqtt::exception when the broker
  // refuses it.
  mqtt::connect_response Connected() {
    if (!connecting_->wait_for(kTimeout)) throw std::runtime_error("connect timed out");
    return connecting_->get_connect_response();
  }

  mqtt::connect_response Connect(const MqttCredentials& who, bool clean_start = true,
                                 const std::optional<mqtt::message>& will = std::nullopt) {
    BeginConnect(who, clean_start, will);
    return Connected();
  }

  void Disconnect() { client_.disconnect()->wait_for(kTimeout); }

  // The SUBACK reason code: the granted QoS (0..2) or a refusal (>= 128).
  int Subscribe(const std::string& filter, int qos) {
    try {
      auto token = client_.subscribe(filter, qos);
      if (!token->wait_for(kTimeout)) throw std::runtime_error("subscribe timed out");
      const auto codes = token->get_subscribe_response().get_reason_codes();
      return codes.empty() ? -1 : static_cast<int>(codes.front());
    } catch (const mqtt::exception& e) {
      return e.get_reason_code();
    }
  }

  // The PUBACK reason code for QoS 1 (0 = accepted); 0 for QoS 0 once sent.
  int Publish(const std::string& topic, const std::string& payload, int qos, bool retained) {
    try {
      auto token = client_.publish(topic, payload.data(), payload.size(), qos, retained);
      if (!token->wait_for(kTimeout)) throw std::runtime_error("publish timed out");
      return static_cast<int>(token->get_reason_code());
    } catch (const mqtt::exception& e) {
      return e.get_reason_code();
    }
  }

  mqtt::const_message_ptr Receive(std::chrono::milliseconds timeout = kTimeout) {
    mqtt::const_message_ptr msg;
    client_.try_consume_message_for(&msg, timeout);
    return msg;
  }

 private:
  mqtt::async_client client_;
  mqtt::token_ptr connecting_;
};

// A machine provisioned on `broker` (shared or private) with a unique id.
struct Machine {
  std::string id;
  MqttCredentials credentials;
};

Machine AddSharedMachine(const std::string& prefix) {
  const std::string id = UniqueMachineId(prefix);
  return {id, {id, SharedServices::Get().AddMachine(id)}};
}

const BrokerEndpoint& Shared() { return SharedServices::Get().broker(); }

TEST(SharedBroker, MachineCannotPublishUnderAnotherMachinesTopics) {
  const Machine a = AddSharedMachine("acl-a");
  const Machine b = AddSharedMachine("acl-b");
  Client cloud(Shared().url, UniqueMachineId("cloud"));
  Client machine_a(Shared().url, a.id);
  cloud.BeginConnect(Shared().cloud);
  machine_a.BeginConnect(a.credentials);
  cloud.Connected();
  machine_a.Connected();
  ASSERT_EQ(cloud.Subscribe(Topic(b.id, "events"), 1), 1);
  ASSERT_EQ(cloud.Subscribe(Topic(a.id, "events"), 1), 1);

  EXPECT_EQ(machine_a.Publish(Topic(b.id, "events"), "forged", 1, false),
            mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Publish(Topic(b.id, "status"), "forged", 1, true),
            mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Publish(Topic(a.id, "commands"), "self-command", 1, false),
            mqtt::ReasonCode::NOT_AUTHORIZED);
  ASSERT_EQ(machine_a.Publish(Topic(a.id, "events"), "marker", 1, false), 0);

  // One publisher's messages arrive in order: the marker coming first proves the forged
  // one was dropped, not delayed.
  auto first = cloud.Receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->get_topic(), Topic(a.id, "events"));
  EXPECT_EQ(first->to_string(), "marker");
  EXPECT_FALSE(cloud.Receive(kAbsenceGrace));
}

TEST(SharedBroker, MachineCannotReadAnotherMachinesCommands) {
  const Machine a = AddSharedMachine("cmd-a");
  const Machine b = AddSharedMachine("cmd-b");
  Client machine_a(Shared().url, a.id);
  Client cloud(Shared().url, UniqueMachineId("cloud"));
  machine_a.BeginConnect(a.credentials);
  cloud.BeginConnect(Shared().cloud);
  machine_a.Connected();
  cloud.Connected();

  EXPECT_EQ(machine_a.Subscribe(Topic(b.id, "commands"), 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Subscribe(Topic(b.id, "ack"), 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Subscribe("vend/v1/m/+/commands", 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Subscribe("#", 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(machine_a.Subscribe(Topic(b.id, "events"), 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  ASSERT_EQ(machine_a.Subscribe(Topic(a.id, "commands"), 1), 1);
  ASSERT_EQ(machine_a.Subscribe(Topic(a.id, "ack"), 1), 1);

  ASSERT_EQ(cloud.Publish(Topic(b.id, "commands"), "for-b", 1, false), 0);
  ASSERT_EQ(cloud.Publish(Topic(a.id, "commands"), "for-a", 1, false), 0);

  auto first = machine_a.Receive();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->get_topic(), Topic(a.id, "commands"));
  EXPECT_EQ(first->to_string(), "for-a");
  EXPECT_FALSE(machine_a.Receive(kAbsenceGrace));
}

TEST(SharedBroker, WrongPasswordCannotConnect) {
  const Machine a = AddSharedMachine("pw");
  Client client(Shared().url, a.id);
  Client stranger(Shared().url, UniqueMachineId("stranger"));
  client.BeginConnect({a.id, a.credentials.password + "x"});
  stranger.BeginConnect({"no-such-machine", "x"});
  try {
    client.Connected();
    FAIL() << "connected with a wrong password";
  } catch (const mqtt::exception& e) {
    // Mosquitto's dynamic-security plugin answers 135 (not authorized) rather than 134.
    // Paho reports a refused CONNACK's reason in the return code.
    EXPECT_TRUE(e.get_return_code() == mqtt::ReasonCode::NOT_AUTHORIZED ||
                e.get_return_code() == mqtt::ReasonCode::BAD_USER_NAME_OR_PASSWORD)
        << e.what();
  }
  try {
    stranger.Connected();
    FAIL() << "connected as an unknown user";
  } catch (const mqtt::exception&) {
  }
}

TEST(SharedBroker, RetainedStatusReachesLaterSubscribers) {
  const Machine a = AddSharedMachine("status");
  {
    Client machine(Shared().url, a.id);
    // The offline status is the machine's will: the broker accepts it only when the ACL
    // lets the machine publish its status.
    machine.Connect(a.credentials, true,
                    mqtt::message(Topic(a.id, "status"), R"({"online":false})", 1, true));
    ASSERT_EQ(machine.Publish(Topic(a.id, "status"), R"({"online":true})", 1, true), 0);
  }
  Client monitor(Shared().url, UniqueMachineId("monitor"));
  monitor.Connect(Shared().monitor);
  ASSERT_EQ(monitor.Subscribe(Topic(a.id, "status"), 1), 1);
  auto msg = monitor.Receive();
  ASSERT_TRUE(msg);
  EXPECT_TRUE(msg->is_retained());
  // The machine disconnected cleanly, so its will was not published.
  EXPECT_EQ(msg->to_string(), R"({"online":true})");
  // The monitor only watches: no events, no publishing.
  EXPECT_EQ(monitor.Subscribe(Topic(a.id, "events"), 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(monitor.Publish(Topic(a.id, "commands"), "x", 1, false),
            mqtt::ReasonCode::NOT_AUTHORIZED);
}

// Tests that subscribe to every machine take a broker of their own (see services.h).
TEST(PrivateBroker, CloudReceivesMachineEventsOnTheSharedSubscription) {
  TestBroker broker;
  const std::string id = "vm-1";
  const MqttCredentials machine_credentials{id, broker.AddMachine(id)};
  Client cloud(broker.url(), "cloud-1");
  Client machine(broker.url(), id);
  cloud.BeginConnect(broker.cloud());
  machine.BeginConnect(machine_credentials);
  cloud.Connected();
  machine.Connected();
  ASSERT_EQ(cloud.Subscribe("$share/vend-cloud/vend/v1/m/+/events", 1), 1);
  ASSERT_EQ(cloud.Subscribe("vend/v1/m/+/status", 1), 1);
  ASSERT_EQ(cloud.Subscribe("vend/v1/m/+/telemetry", 0), 0);
  EXPECT_EQ(cloud.Subscribe("vend/v1/m/+/commands", 1), mqtt::ReasonCode::NOT_AUTHORIZED);
  EXPECT_EQ(cloud.Subscribe("$share/other/vend/v1/m/+/events", 1),
            mqtt::ReasonCode::NOT_AUTHORIZED);

  const std::string batch = R"({"machine":"vm-1","events":[]})";
  ASSERT_EQ(machine.Publish(Topic(id, "events"), batch, 1, false), 0);
  auto msg = cloud.Receive();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->get_topic(), Topic(id, "events"));
  EXPECT_EQ(msg->to_string(), batch);
}

TEST(PrivateBroker, QueuedCommandReachesOfflineMachineAfterRestart) {
  TestBroker broker;
  const std::string id = "vm-offline";
  const MqttCredentials machine_credentials{id, broker.AddMachine(id)};
  Client machine(broker.url(), id);
  Client cloud(broker.url(), "cloud-1");
  machine.BeginConnect(machine_credentials, /*clean_start=*/false);
  cloud.BeginConnect(broker.cloud());
  EXPECT_FALSE(machine.Connected().is_session_present());
  cloud.Connected();
  ASSERT_EQ(machine.Subscribe(Topic(id, "commands"), 1), 1);
  machine.Disconnect();

  ASSERT_EQ(cloud.Publish(Topic(id, "commands"), "restock", 1, false), 0);

  broker.Stop();
  broker.Start();

  EXPECT_TRUE(machine.Connect(machine_credentials, /*clean_start=*/false).is_session_present());
  auto msg = machine.Receive();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->get_topic(), Topic(id, "commands"));
  EXPECT_EQ(msg->to_string(), "restock");
  EXPECT_EQ(msg->get_qos(), 1);
}

TEST(SharedPostgres, TestDatabaseIsFreshAndDroppedAfterwards) {
  const PostgresEndpoint& server = SharedServices::Get().postgres();
  std::string name;
  {
    std::optional<pqxx::connection> conn;  // outlives `db`: the drop must not wait for it
    TestDatabase db;
    name = db.name();
    conn.emplace(db.url());
    pqxx::work tx(*conn);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].as<int>(),
              0);
    tx.exec("CREATE TABLE t (x int)");
    tx.exec("INSERT INTO t VALUES (1)");
    tx.commit();
  }
  pqxx::connection admin(server.url);
  pqxx::work tx(admin);
  EXPECT_EQ(
      tx.exec_params1("SELECT count(*) FROM pg_database WHERE datname = $1", name)[0].as<int>(), 0);
}

}  // namespace
}  // namespace vend::test_support
