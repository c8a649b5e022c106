// vend-edge's sync against a real Mosquitto with per-machine credentials: the outbox
// drains in seq order and only on the cloud's ack, re-sends after a reconnect or an ack
// timeout, sales keep working while the broker is down, commands are applied exactly
// once (also when sent while the machine is away), and presence, telemetry, /healthz and
// /metrics report the sync. The test plays the cloud (TestCloud).
#include <gtest/gtest.h>

#include <set>

#include "support/services.h"
#include "support/temp_dir.h"
#include "sync_harness.h"
#include "vend/ids.h"

namespace vend::edge::sync_test {
namespace {

using nlohmann::json;
using test_support::TestBroker;
using test_support::UniqueMachineId;

class EdgeSync : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<TestBroker>();
    machine_ = UniqueMachineId("edge");
    password_ = broker_->AddMachine(machine_);
    cloud_ = std::make_unique<TestCloud>(broker_->endpoint(), machine_);
  }

  std::unique_ptr<Edge> MakeEdge(EdgeTuning tuning = {}) {
    return std::make_unique<Edge>(dir_.path(), machine_, broker_->url(), password_, tuning);
  }

  // Connects the test cloud, then the edge's sync. The cloud subscribes first: events the
  // edge publishes before that would reach no one until the ack timeout.
  void ConnectBoth(Edge& edge) {
    cloud_->BeginConnect();
    cloud_->Connected();
    edge.StartSync();
    ASSERT_TRUE(WaitFor([&] { return edge.sync()->connected(); })) << edge.Health().dump();
  }

  // Every event up to the edge's newest has reached the cloud and been acknowledged.
  bool Drained(Edge& edge) {
    return edge.OutboxDepth() == 0 && cloud_->Watermark() == edge.LastSeq();
  }

  test_support::TempDir dir_{"vend-edge-sync-"};
  std::unique_ptr<TestBroker> broker_;
  std::string machine_;
  std::string password_;
  std::unique_ptr<TestCloud> cloud_;
};

TEST_F(EdgeSync, DrainsTheOutboxInSeqOrderGaplessAndEachEventOnce) {
  auto edge = MakeEdge({/*batch=*/20, /*window=*/2, 30s, 60s});
  auto c = edge->NewCustomer(80 * 150);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(edge->Buy(c, kCola).status, 201);
  ConnectBoth(*edge);
  for (int i = 0; i < 30; ++i) ASSERT_EQ(edge->Buy(c, kCola).status, 201);  // drained live
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }))
      << "depth=" << edge->OutboxDepth() << " watermark=" << cloud_->Watermark();

  const auto deliveries = cloud_->Deliveries();
  const int64_t last = edge->LastSeq();
  ASSERT_EQ(static_cast<int64_t>(deliveries.size()), last);  // once each: no re-send needed
  std::set<std::string> ids;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    EXPECT_EQ(deliveries[i].seq, static_cast<int64_t>(i + 1));
    ids.insert(deliveries[i].id);
  }
  EXPECT_EQ(ids.size(), deliveries.size());
  EXPECT_EQ(cloud_->OfType("order.created").size(), 80u);
  EXPECT_LE(cloud_->largest_batch(), 20u);
  EXPECT_EQ(cloud_->bad_batches(), 0u);
}

TEST_F(EdgeSync, HealthzAndMetricsReportTheSync) {
  auto edge = MakeEdge();
  EXPECT_EQ(edge->Health()["sync"]["state"], "standalone");
  auto c = edge->NewCustomer(300);
  ASSERT_EQ(edge->Buy(c, kCola).status, 201);
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }));
  ASSERT_TRUE(WaitFor([&] { return edge->Health()["sync"]["last_ack_seq"] == edge->LastSeq(); }));

  json sync = edge->Health()["sync"];
  EXPECT_EQ(sync["state"], "connected");
  EXPECT_EQ(sync["outbox_depth"], 0);
  EXPECT_EQ(sync["broker"], broker_->url());
  EXPECT_TRUE(sync["last_error"].is_null()) << sync.dump();
  EXPECT_EQ(edge->Metric("vend_edge_mqtt_connected"), 1);
  EXPECT_GE(edge->Metric("vend_edge_sync_batches_published_total"), 1);
  EXPECT_EQ(edge->Metric("vend_edge_sync_events_published_total"), edge->LastSeq());
  EXPECT_GE(edge->Metric("vend_edge_sync_acks_received_total{kind=\"advance\"}"), 1);
  EXPECT_EQ(edge->Metric("vend_edge_mqtt_reconnects_total"), 0);
  EXPECT_EQ(edge->Metric("vend_edge_sync_commands_total{outcome=\"applied\"}"), 0);

  broker_->Stop();
  ASSERT_TRUE(WaitFor([&] { return edge->Health()["sync"]["state"] == "disconnected"; }));
  EXPECT_EQ(edge->Metric("vend_edge_mqtt_connected"), 0);
  EXPECT_TRUE(edge->Health()["sync"]["last_error"].is_string());
}

TEST_F(EdgeSync, SalesKeepWorkingWhileTheBrokerIsDownAndAllArriveAfterItReturns) {
  auto edge = MakeEdge();
  ConnectBoth(*edge);
  auto c = edge->NewCustomer(40 * 150);
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }));

  broker_->Stop();
  ASSERT_TRUE(WaitFor([&] { return !edge->sync()->connected(); }));
  std::chrono::nanoseconds slowest{0};
  for (int i = 0; i < 30; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto r = edge->Buy(c, i % 2 ? kCola : kWater);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto refund = edge->Call("POST", "/api/v1/products/1/refund", {{"user_name", c.user_name}});
  EXPECT_EQ(refund.status, 200) << refund.body;
  // Nothing on the request path waits for the network (a connect attempt takes up to
  // 5 s here): a sale takes what an fsync takes.
  EXPECT_LT(slowest, 1s);
  EXPECT_EQ(edge->Products()[kCola]["count"], 100 - 15 + 1);
  EXPECT_GT(edge->OutboxDepth(), 60);

  broker_->Start();
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }))
      << "depth=" << edge->OutboxDepth() << " watermark=" << cloud_->Watermark()
      << " health=" << edge->Health().dump();
  const auto distinct = cloud_->Distinct();
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), edge->LastSeq());
  EXPECT_EQ(cloud_->OfType("order.refunded").size(), 1u);
  EXPECT_GE(edge->Metric("vend_edge_mqtt_reconnects_total"), 1);
}

TEST_F(EdgeSync, NeverDeletesBeforeTheAckAndResendsAfterAReconnect) {
  // The ack timeout is far away: the re-send below is the reconnect's doing.
  auto edge = MakeEdge({50, 2, 120s, 60s});
  cloud_->SetAutoAck(false);
  auto c = edge->NewCustomer(1000);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(edge->Buy(c, kCola).status, 201);
  const int64_t last = edge->LastSeq();
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Watermark() == last; }));
  // The broker took every batch (PUBACK) and the cloud has them, but it has not acked.
  EXPECT_EQ(edge->OutboxDepth(), last);

  broker_->Stop();
  broker_->Start();
  ASSERT_TRUE(WaitFor([&] { return cloud_->Deliveries().size() >= 2 * static_cast<size_t>(last); }))
      << cloud_->Deliveries().size() << " deliveries";
  const auto deliveries = cloud_->Deliveries();
  for (int64_t i = 0; i < last; ++i) EXPECT_EQ(deliveries[last + i].seq, i + 1);
  EXPECT_EQ(edge->OutboxDepth(), last);
  EXPECT_EQ(edge->Metric("vend_edge_sync_ack_timeouts_total"), 0);

  cloud_->Ack(last);
  ASSERT_TRUE(WaitFor([&] { return edge->OutboxDepth() == 0; }));
}

TEST_F(EdgeSync, ResendsEverythingAboveTheLastAckAfterAnAckTimeout) {
  auto edge = MakeEdge({/*batch=*/4, /*window=*/2, /*ack_timeout=*/300ms, 60s});
  cloud_->SetAutoAck(false);
  auto c = edge->NewCustomer(500);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(edge->Buy(c, kCola).status, 201);
  const int64_t last = edge->LastSeq();  // 2 seed + 1 deposit + 6 sale events
  ConnectBoth(*edge);
  // Window 2 x batch 4: seqs 1..8 go out, then nothing until an ack or the timeout.
  ASSERT_TRUE(WaitFor([&] { return cloud_->Deliveries().size() >= 16; }));
  EXPECT_GE(edge->Metric("vend_edge_sync_ack_timeouts_total"), 1);
  EXPECT_EQ(cloud_->Watermark(), 8);
  EXPECT_EQ(edge->OutboxDepth(), last);

  cloud_->Ack(6);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Watermark() == last; }));
  ASSERT_TRUE(WaitFor([&] { return edge->OutboxDepth() == last - 6; }));
  // After the ack the next round starts right above it.
  ASSERT_TRUE(WaitFor([&] {
    const auto d = cloud_->Deliveries();
    for (size_t i = 1; i < d.size(); ++i) {
      if (d[i].seq == 7 && d[i - 1].seq != 6) return true;
    }
    return false;
  }));
  const auto before = cloud_->Deliveries();
  for (const auto& e : before) EXPECT_GE(e.seq, 1);

  cloud_->Ack(last);
  ASSERT_TRUE(WaitFor([&] { return edge->OutboxDepth() == 0; }));
  const size_t settled = cloud_->Deliveries().size();
  // Nothing is in flight any more: no timeout fires, nothing is sent again.
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(cloud_->Deliveries().size(), settled);
}

TEST_F(EdgeSync, StaleDuplicateAndImpossibleAcksDeleteNothingTheyShouldNot) {
  auto edge = MakeEdge({50, 2, 120s, 60s});
  cloud_->SetAutoAck(false);
  auto c = edge->NewCustomer(1000);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(edge->Buy(c, kCola).status, 201);
  const int64_t last = edge->LastSeq();
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Watermark() == last; }));

  cloud_->Ack(last + 100);  // beyond anything this machine wrote
  ASSERT_TRUE(WaitFor(
      [&] { return edge->Metric("vend_edge_sync_acks_received_total{kind=\"invalid\"}") == 1; }));
  EXPECT_EQ(edge->OutboxDepth(), last);

  cloud_->Ack(4);
  ASSERT_TRUE(WaitFor([&] { return edge->OutboxDepth() == last - 4; }));
  cloud_->Ack(4);
  cloud_->Ack(2);
  ASSERT_TRUE(WaitFor(
      [&] { return edge->Metric("vend_edge_sync_acks_received_total{kind=\"stale\"}") == 1; }));
  EXPECT_EQ(edge->Metric("vend_edge_sync_acks_received_total{kind=\"duplicate\"}"), 1);
  EXPECT_EQ(edge->OutboxDepth(), last - 4);
}

TEST_F(EdgeSync, GarbageOnTheAckTopicIsCountedAndChangesNothing) {
  auto edge = MakeEdge({50, 2, 120s, 60s});
  cloud_->SetAutoAck(false);
  const int64_t last = edge->LastSeq();
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Watermark() == last; }));
  for (const char* bad :
       {"not json", "{\"upto\":-1}", "{\"upto\":1,\"extra\":2}", "[]", "{\"upto\":\"1\"}"}) {
    cloud_->AckRaw(bad);
  }
  ASSERT_TRUE(WaitFor(
      [&] { return edge->Metric("vend_edge_sync_bad_messages_total{topic=\"ack\"}") == 5; }));
  EXPECT_EQ(edge->OutboxDepth(), last);
  cloud_->Ack(last);  // good traffic still flows
  ASSERT_TRUE(WaitFor([&] { return edge->OutboxDepth() == 0; }));
}

TEST_F(EdgeSync, ACommandSentWhileTheMachineIsAwayIsAppliedOnceWhenItReturns) {
  auto edge = MakeEdge();
  ConnectBoth(*edge);  // the broker now holds the machine's persistent session
  edge->StopSync();
  ASSERT_TRUE(WaitFor([&] { return cloud_->Status() && !cloud_->Status()->online; }));

  const auto upsert = NewCommand(schemas::ProductUpsert{7, "Tea", 220, "tea.svg", false});
  const auto restock = NewCommand(schemas::StockSet{7, 12});
  cloud_->Send({upsert, restock});
  EXPECT_EQ(edge->Products().count(7), 0u);

  edge->StartSync();
  ASSERT_TRUE(WaitFor([&] {
    auto p = edge->Products();
    return p.count(7) && p[7]["count"] == 12;
  })) << edge->Health().dump();
  EXPECT_EQ(edge->Products()[7]["price"], 220);
  EXPECT_EQ(edge->Products()[7]["name"], "Tea");
  ASSERT_TRUE(WaitFor([&] { return cloud_->OfType("command.applied").size() == 2; }));

  // The cloud re-publishes the upsert (it had not seen the outcome yet): acknowledged,
  // not applied again, no second outcome event.
  ASSERT_EQ(edge->Buy(edge->NewCustomer(220), 7).status, 201);
  cloud_->Send({upsert});
  ASSERT_TRUE(WaitFor(
      [&] { return edge->Metric("vend_edge_sync_commands_total{outcome=\"duplicate\"}") == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }));
  EXPECT_EQ(edge->Products()[7]["count"], 11);
  EXPECT_EQ(edge->Metric("vend_edge_sync_commands_total{outcome=\"applied\"}"), 2);
  const auto applied = cloud_->OfType("command.applied");
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(std::get<schemas::CommandApplied>(applied[0].data).command_id, upsert.id);
  EXPECT_EQ(std::get<schemas::CommandApplied>(applied[1].data).command_id, restock.id);
}

TEST_F(EdgeSync, APriceChangeAndARestockReachTheKioskApi) {
  auto edge = MakeEdge();
  ConnectBoth(*edge);
  cloud_->Send({NewCommand(schemas::ProductUpsert{kCola, "Cola", 175, "cola.svg", true}),
                NewCommand(schemas::StockSet{kCola, 40})});
  ASSERT_TRUE(WaitFor([&] {
    auto p = edge->Products();
    return p[kCola]["price"] == 175 && p[kCola]["count"] == 40;
  }));
  auto c = edge->NewCustomer(175);
  auto buy = edge->Buy(c, kCola);
  ASSERT_EQ(buy.status, 201) << buy.body;
  EXPECT_EQ(json::parse(buy.body)["order"]["price"], 175);
  ASSERT_TRUE(WaitFor([&] { return Drained(*edge); }));
  const auto stock = cloud_->OfType("stock.changed");
  ASSERT_FALSE(stock.empty());
  EXPECT_EQ(std::get<schemas::StockChanged>(stock.back().data).count, 39);
}

TEST_F(EdgeSync, ABadCommandIsRejectedAloneAndGarbageIsCounted) {
  auto edge = MakeEdge();
  ConnectBoth(*edge);
  const auto good = NewCommand(schemas::StockAdd{kWater, 5});
  const std::string bad_id = NewUuid();
  json batch{{"commands",
              {schemas::EncodeCommand(good),
               {{"id", bad_id},
                {"type", "stock.teleport"},
                {"data", json::object()},
                {"issued_at", NowIso8601()}},
               {{"type", "stock.set"}, {"data", {{"product_id", 1}, {"count", 1}}}}}}};
  cloud_->SendRaw(batch.dump());
  cloud_->SendRaw("{not json");
  cloud_->SendRaw(R"({"commands":"nope"})");
  const auto after = NewCommand(schemas::StockAdd{kWater, 1});
  cloud_->Send({after});

  ASSERT_TRUE(WaitFor([&] { return edge->Products()[kWater]["count"] == 106; }));
  ASSERT_TRUE(WaitFor([&] { return cloud_->OfType("command.rejected").size() == 1; }));
  const auto rejected =
      std::get<schemas::CommandRejected>(cloud_->OfType("command.rejected")[0].data);
  EXPECT_EQ(rejected.command_id, bad_id);
  EXPECT_EQ(rejected.command_type, "stock.teleport");
  EXPECT_EQ(edge->Metric("vend_edge_sync_commands_total{outcome=\"rejected\"}"), 1);
  EXPECT_EQ(edge->Metric("vend_edge_sync_commands_total{outcome=\"applied\"}"), 2);
  // The entry without an id, the non-JSON message and the ill-shaped one.
  EXPECT_EQ(edge->Metric("vend_edge_sync_bad_messages_total{topic=\"commands\"}"), 3);
  EXPECT_EQ(edge->Products()[kCola]["count"], 100);
}

TEST_F(EdgeSync, ConfigSetChangesTheDepositCapAndTheTelemetryIntervalLive) {
  auto edge = MakeEdge({50, 2, 10s, /*telemetry=*/60s});
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Telemetry().size() == 1; }));  // sent on connect
  cloud_->Send({NewCommand(schemas::ConfigSet{"max_deposit", 500}),
                NewCommand(schemas::ConfigSet{"telemetry_interval_s", 1})});
  ASSERT_TRUE(WaitFor([&] { return cloud_->OfType("command.applied").size() == 2; }));
  ASSERT_TRUE(WaitFor([&] { return cloud_->Telemetry().size() >= 3; }, 5s));

  auto c = edge->NewCustomer(0);
  const std::string path = "/api/v1/users/" + std::to_string(c.id) + "/add_balance";
  EXPECT_EQ(edge->Call("POST", path, {{"user_name", c.user_name}, {"amount", 501}}).status, 400);
  EXPECT_EQ(edge->Call("POST", path, {{"user_name", c.user_name}, {"amount", 500}}).status, 200);
  auto config = edge->store().Config();
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->at("max_deposit"), 500);
}

TEST_F(EdgeSync, PublishesPresenceAndTelemetry) {
  auto edge = MakeEdge();
  ConnectBoth(*edge);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Status() && cloud_->Status()->online; }));
  EXPECT_EQ(cloud_->Status()->version, "9.9.9-test");
  EXPECT_TRUE(cloud_->Status()->at && ParseIso8601(*cloud_->Status()->at));
  ASSERT_TRUE(WaitFor([&] { return !cloud_->Telemetry().empty(); }));
  const auto t = cloud_->Telemetry().front();
  EXPECT_EQ(t.version, "9.9.9-test");
  EXPECT_EQ(t.stock, (std::map<int64_t, int64_t>{{kCola, 100}, {kWater, 100}}));
  EXPECT_GE(t.temperature_c, -2);
  EXPECT_LE(t.temperature_c, 15);
  EXPECT_GE(t.outbox_depth, 0);
  EXPECT_GE(t.uptime_s, 0);

  edge->StopSync();
  ASSERT_TRUE(WaitFor([&] { return cloud_->Status() && !cloud_->Status()->online; }));
}

}  // namespace
}  // namespace vend::edge::sync_test
