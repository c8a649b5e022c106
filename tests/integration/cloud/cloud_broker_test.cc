// vend-cloud as a process between a real Mosquitto (dynamic security, per-machine ACLs)
// and a real PostgreSQL, with Paho clients playing machines on their own credentials.
// Each test gets a broker of its own (vend-cloud subscribes to every machine) and a
// fresh database; every test ends by comparing PostgreSQL with what the machine sent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cloud_harness.h"
#include "support/http_client.h"
#include "support/services.h"

namespace vend::cloud::testing {
namespace {

using test_support::TestBroker;
using test_support::TestDatabase;

class CloudBrokerTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> Env() const { return CloudEnv(db_.url(), broker_.endpoint()); }

  std::string Provision(const std::string& id) {
    auto pw = ProvisionMachine(Env(), id);
    return pw;
  }

  std::unique_ptr<MachineClient> Connect(const std::string& id, const std::string& password) {
    auto c = std::make_unique<MachineClient>(broker_.url(), id, password);
    c->BeginConnect();
    c->Connected();
    return c;
  }

  double Rejected(const CloudProcess& cloud, const std::string& kind, const std::string& reason) {
    return cloud.Metric("vend_cloud_rejected_payloads_total",
                        "kind=\"" + kind + "\",reason=\"" + reason + "\"");
  }

  TestDatabase db_;
  TestBroker broker_;
};

TEST_F(CloudBrokerTest, PublishedEventsAreStoredOnceAndAckedUpToTheLastSeq) {
  const std::string pw = Provision("vm-1");
  CloudProcess cloud(Env());
  cloud.Start();
  auto m = Connect("vm-1", pw);
  EdgeSim sim("vm-1");
  sim.Generate(120);
  for (int64_t f = 1; f <= 120; f += 40) ASSERT_EQ(m->PublishEvents(sim.BatchJson(f, f + 39)), 0);
  ASSERT_TRUE(m->WaitAck(120)) << "last ack " << m->LastAck() << "\n" << cloud.Log();
  EXPECT_EQ(CloudState(db_.url(), "vm-1"), sim.state());
  EXPECT_EQ(Watermark(db_.url(), "vm-1"), 120);
  EXPECT_EQ(cloud.Metric("vend_cloud_events_ingested_total"), 120);
  EXPECT_EQ(cloud.Metric("vend_cloud_batches_total"), 3);
}

TEST_F(CloudBrokerTest, TheSameBatchPublishedTwiceChangesNothingAndIsAckedAgain) {
  const std::string pw = Provision("vm-1");
  CloudProcess cloud(Env());
  cloud.Start();
  auto m = Connect("vm-1", pw);
  EdgeSim sim("vm-1");
  sim.Generate(50);
  ASSERT_EQ(m->PublishEvents(sim.BatchJson(1, 50)), 0);
  ASSERT_TRUE(m->WaitAck(50));
  auto before = CloudState(db_.url(), "vm-1");
  const size_t acks = m->AckCount();
  ASSERT_EQ(m->PublishEvents(sim.BatchJson(1, 50)), 0);
  ASSERT_TRUE(WaitUntil([&] { return m->AckCount() > acks; })) << cloud.Log();
  EXPECT_EQ(m->LastAck(), 50);
  EXPECT_EQ(CloudState(db_.url(), "vm-1"), before);
  EXPECT_EQ(before, sim.state());
  EXPECT_EQ(cloud.Metric("vend_cloud_duplicate_events_total"), 50);
}

TEST_F(CloudBrokerTest, RogueInputIsRejectedAndCountedWhileGoodBatchesStillFlow) {
  const std::string pw = Provision("vm-1");
  // A machine the broker knows but the cloud never provisioned.
  const std::string ghost_pw = broker_.AddMachine("vm-ghost");
  CloudProcess cloud(Env());
  cloud.Start();
  auto m = std::make_unique<MachineClient>(broker_.url(), "vm-1", pw);
  auto ghost = std::make_unique<MachineClient>(broker_.url(), "vm-ghost", ghost_pw);
  m->BeginConnect();
  ghost->BeginConnect();
  m->Connected();
  ghost->Connected();

  EdgeSim sim("vm-1");
  sim.Generate(80);
  int64_t next = 1;
  // After each rogue payload a good batch must still be stored and acked.
  auto good_batch_flows = [&] {
    const int64_t last = next + 9;
    if (m->PublishEvents(sim.BatchJson(next, last)) != 0) return false;
    next = last + 1;
    return m->WaitAck(last);
  };
  auto rejected = [&](const std::string& reason) {
    return WaitUntil([&] { return Rejected(cloud, "events", reason) >= 1; });
  };

  ASSERT_EQ(m->PublishEvents("{this is not json"), 0);
  EXPECT_TRUE(rejected("bad_json"));
  EXPECT_TRUE(good_batch_flows());

  auto other = sim.Batch(next, next + 2);
  other.machine = "vm-2";
  ASSERT_EQ(m->PublishEvents(schemas::EncodeEventBatch(other).dump()), 0);
  EXPECT_TRUE(rejected("machine_mismatch"));
  EXPECT_TRUE(good_batch_flows());

  nlohmann::json unknown = schemas::EncodeEventBatch(sim.Batch(next, next + 1));
  unknown["events"][1]["type"] = "coffee.brewed";
  ASSERT_EQ(m->PublishEvents(unknown.dump()), 0);
  EXPECT_TRUE(rejected("unknown_type"));
  EXPECT_TRUE(good_batch_flows());

  nlohmann::json big = schemas::EncodeEventBatch(sim.Batch(next, next));
  for (int i = 0; i < 500; ++i) big["events"].push_back(big["events"][0]);
  ASSERT_EQ(m->PublishEvents(big.dump()), 0);
  EXPECT_TRUE(rejected("oversized"));
  EXPECT_TRUE(good_batch_flows());

  EdgeSim ghost_sim("vm-ghost");
  ghost_sim.Generate(3);
  ASSERT_EQ(ghost->PublishEvents(ghost_sim.BatchJson(1, 3)), 0);
  EXPECT_TRUE(rejected("unknown_machine"));
  EXPECT_TRUE(good_batch_flows());

  // A gap: seqs next+10.. arrive before next..next+9. They are stored and held; the ack
  // stays below the gap until the missing batch comes.
  const int64_t held_first = next + 10, held_last = next + 19;
  ASSERT_EQ(m->PublishEvents(sim.BatchJson(held_first, held_last)), 0);
  ASSERT_TRUE(WaitUntil([&] { return cloud.Metric("vend_cloud_seq_gaps_total") >= 1; }));
  EXPECT_EQ(m->LastAck(), next - 1);
  EXPECT_TRUE(good_batch_flows());
  ASSERT_TRUE(m->WaitAck(held_last));
  next = held_last + 1;
  EXPECT_TRUE(good_batch_flows());

  EXPECT_EQ(Watermark(db_.url(), "vm-1"), 80);
  EXPECT_EQ(CloudState(db_.url(), "vm-1"), sim.state());
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM edge_events WHERE machine_id = 'vm-ghost'"),
            0);
}

TEST_F(CloudBrokerTest, ACommandQueuedWhileOfflineArrivesWhenOnlineAndRepeatsUntilApplied) {
  const std::string pw = Provision("vm-1");
  CloudProcess cloud(Env(), {"--resend-interval", "1"});
  cloud.Start();
  // Queued while vm-1 has never been online.
  ASSERT_EQ(RunCloud({"product", "add", "5", "Water", "90"}, Env()).exit_code, 0);
  ASSERT_EQ(RunCloud({"stock", "set", "vm-1", "5", "12"}, Env()).exit_code, 0);

  auto m = Connect("vm-1", pw);
  m->PublishStatus(true);
  ASSERT_TRUE(m->WaitCommands(2)) << cloud.Log();
  auto first = m->Commands();
  EXPECT_TRUE(std::holds_alternative<schemas::ProductUpsert>(first[0].data));
  ASSERT_TRUE(std::holds_alternative<schemas::StockSet>(first[1].data));
  EXPECT_EQ(std::get<schemas::StockSet>(first[1].data).count, 12);

  // Unanswered, they come again on the timer.
  ASSERT_TRUE(m->WaitCommands(4, 10s)) << cloud.Log();

  EdgeSim sim("vm-1");
  sim.CommandOutcome(first[0].id, "product.upsert", true);
  sim.Restocked(5, 12);
  sim.CommandOutcome(first[1].id, "stock.set", true);
  ASSERT_EQ(m->PublishEvents(sim.BatchJson(1, 3)), 0);
  ASSERT_TRUE(m->WaitAck(3));
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM commands WHERE status = 'applied'"), 2);
  EXPECT_EQ(cloud.Metric("vend_cloud_pending_commands"), 0);
  EXPECT_EQ(QueryInt(db_.url(),
                     "SELECT count FROM stock WHERE machine_id = 'vm-1' AND "
                     "product_id = 5"),
            12);
  // Resolved commands are not sent again. Timer rounds run one after another on one
  // thread: once the counter has moved by two, every round that could have claimed a
  // row before it was resolved has finished publishing. Three more rounds (more than a
  // resend interval) then publish nothing.
  auto timer_rounds = [&] {
    return cloud.Metric("vend_cloud_dispatch_rounds_total", "trigger=\"timer\"");
  };
  const double settled = timer_rounds() + 2;
  ASSERT_TRUE(WaitUntil([&] { return timer_rounds() >= settled; }));
  const double published = cloud.Metric("vend_cloud_commands_published_total");
  ASSERT_TRUE(WaitUntil([&] { return timer_rounds() >= settled + 3; }));
  EXPECT_EQ(cloud.Metric("vend_cloud_commands_published_total"), published);
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM commands WHERE status = 'pending'"), 0);
}

TEST_F(CloudBrokerTest, AMachineCredentialReachesOnlyItsOwnTopics) {
  const std::string pw_a = Provision("vm-a");
  const std::string pw_b = Provision("vm-b");
  CloudProcess cloud(Env());
  cloud.Start();
  auto a = std::make_unique<MachineClient>(broker_.url(), "vm-a", pw_a);
  auto b = std::make_unique<MachineClient>(broker_.url(), "vm-b", pw_b);
  a->BeginConnect();
  b->BeginConnect();
  a->Connected();
  b->Connected();
  EdgeSim sim_a("vm-a");
  sim_a.Generate(5);
  ASSERT_EQ(a->PublishEvents(sim_a.BatchJson(1, 5)), 0);
  ASSERT_TRUE(a->WaitAck(5));

  // vm-a writing into vm-b's records: refused by the broker (v5 reason 135).
  EdgeSim forged("vm-b");
  forged.Generate(5);
  EXPECT_EQ(a->Publish("vend/v1/m/vm-b/events", forged.BatchJson(1, 5)), 135);
  EXPECT_EQ(a->Publish("vend/v1/m/vm-b/commands", "{}"), 135);
  EXPECT_EQ(a->Publish("vend/v1/m/vm-a/ack", "{\"upto\":1}"), 135);
  // ... nor reading vm-b's commands or acks, nor everything.
  EXPECT_GE(a->Subscribe("vend/v1/m/vm-b/commands"), 0x80);
  EXPECT_GE(a->Subscribe("vend/v1/m/+/ack"), 0x80);
  EXPECT_GE(a->Subscribe("#"), 0x80);

  // vm-b's own traffic still works, and nothing of vm-a's forgery landed.
  ASSERT_EQ(b->PublishEvents(forged.BatchJson(1, 2)), 0);
  ASSERT_TRUE(b->WaitAck(2));
  EXPECT_EQ(Watermark(db_.url(), "vm-b"), 2);
  EXPECT_EQ(Watermark(db_.url(), "vm-a"), 5);
}

TEST_F(CloudBrokerTest, PresenceAndTelemetryAreRecordedAndBadTelemetryCounted) {
  const std::string pw = Provision("vm-1");
  CloudProcess cloud(Env());
  cloud.Start();
  auto m = Connect("vm-1", pw);
  m->PublishStatus(true);
  ASSERT_TRUE(WaitUntil([&] {
    return QueryInt(db_.url(),
                    "SELECT count(*) FROM machines WHERE online AND "
                    "agent_version = 'test-1'") == 1;
  })) << cloud.Log();
  EXPECT_TRUE(WaitUntil([&] { return cloud.Metric("vend_cloud_machines_online") == 1; }));

  schemas::Telemetry t{"2026-01-01T00:00:00.000Z", 5.5, true, 60, 3, {{1, 7}}, "test-1"};
  ASSERT_EQ(m->Publish("vend/v1/m/vm-1/telemetry", schemas::EncodeTelemetry(t).dump()), 0);
  ASSERT_EQ(m->Publish("vend/v1/m/vm-1/telemetry", R"({"at":"yesterday"})"), 0);
  ASSERT_TRUE(WaitUntil([&] {
    return Rejected(cloud, "telemetry", "invalid_telemetry") == 1 &&
           QueryInt(db_.url(),
                    "SELECT count(*) FROM telemetry_latest WHERE machine_id = "
                    "'vm-1' AND door_open AND outbox_depth = 3") == 1;
  })) << cloud.Log();

  m->PublishStatus(false);
  ASSERT_TRUE(WaitUntil(
      [&] { return QueryInt(db_.url(), "SELECT count(*) FROM machines WHERE NOT online") == 1; }));
}

TEST_F(CloudBrokerTest, IngestResumesAfterTheBrokerRestarts) {
  const std::string pw = Provision("vm-1");
  CloudProcess cloud(Env());
  cloud.Start();
  EdgeSim sim("vm-1");
  sim.Generate(40);
  {
    auto m = Connect("vm-1", pw);
    ASSERT_EQ(m->PublishEvents(sim.BatchJson(1, 20)), 0);
    ASSERT_TRUE(m->WaitAck(20));
  }
  broker_.Stop();
  ASSERT_TRUE(WaitUntil([&] { return cloud.Metric("vend_cloud_mqtt_connected") == 0; }));
  test_support::HttpClient http(cloud.http_port());
  EXPECT_EQ(http.Get("/healthz").status, 503);
  broker_.Start();
  ASSERT_TRUE(WaitUntil([&] { return cloud.Metric("vend_cloud_mqtt_connected") == 1; }, 20s))
      << cloud.Log();
  auto m = Connect("vm-1", pw);
  ASSERT_EQ(m->PublishEvents(sim.BatchJson(21, 40)), 0);
  ASSERT_TRUE(m->WaitAck(40)) << cloud.Log();
  EXPECT_EQ(CloudState(db_.url(), "vm-1"), sim.state());
  EXPECT_EQ(http.Get("/healthz").status, 200);
}

TEST_F(CloudBrokerTest, TheCliValidatesEveryArgumentAndChangesNothingOnError) {
  auto env = Env();
  ASSERT_EQ(RunCloud({"product", "add", "1", "Cola", "150", "--refundable"}, env).exit_code, 0);
  ASSERT_EQ(RunCloud({"machine", "add", "vm-1"}, env).exit_code, 0);
  const int64_t commands = QueryInt(db_.url(), "SELECT count(*) FROM commands");
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"product", "add", "0", "X", "1"},
           {"product", "add", "2", "X", "-5"},
           {"product", "add", "2", "X", "abc"},
           {"product", "add", "1", "Again", "1"},
           {"product", "add", "3", "Img", "1", "--image", "../x.png"},
           {"product", "set", "1"},
           {"product", "set", "1", "--refundable", "maybe"},
           {"product", "set", "9", "--price", "5"},
           {"product", "remove", "9"},
           {"stock", "set", "vm-1", "1", "-1"},
           {"stock", "set", "vm-x", "1", "1"},
           {"stock", "add", "vm-1", "1", "0"},
           {"stock", "add", "vm-1", "9", "1"},
           {"price", "set", "vm-1", "1", "-3"},
           {"price", "set", "bad id", "1", "3"},
           {"machine", "add", "vm-1"},
           {"machine", "add", "no/slash"},
           {"nonsense"}}) {
    auto r = RunCloud(bad, env);
    std::string line;
    for (const auto& a : bad) line += a + " ";
    EXPECT_EQ(r.exit_code, 2) << line << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << line;
  }
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM commands"), commands);
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM products"), 1);
  EXPECT_EQ(QueryInt(db_.url(), "SELECT count(*) FROM machines"), 1);
  auto list = RunCloud({"machine", "list", "--format", "json"}, env);
  ASSERT_EQ(list.exit_code, 0);
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["id"], "vm-1");
  EXPECT_EQ(j[0]["pending_commands"], 1);
  EXPECT_EQ(RunCloud({"--help"}, env).exit_code, 0);
  EXPECT_EQ(RunCloud({"machine", "add", "--help"}, env).exit_code, 0);
}

}  // namespace
}  // namespace vend::cloud::testing
