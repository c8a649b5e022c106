// vend-cloud killed with SIGKILL in the middle of ingesting: after a restart, the
// machine re-sends everything above its last ack (as its outbox does after a reconnect
// or an ack timeout) and PostgreSQL ends with every event exactly once.
#include <gtest/gtest.h>

#include "cloud_harness.h"
#include "support/services.h"

namespace vend::cloud::testing {
namespace {

using test_support::TestBroker;
using test_support::TestDatabase;

// Re-sends what is unacked, batch by batch, until the ack covers `last` or the
// attempts run out; the edge's drainer does the same.
bool ResendUntilAcked(MachineClient& m, const EdgeSim& sim, int64_t last, int attempts) {
  for (int i = 0; i < attempts; ++i) {
    const int64_t from = std::max<int64_t>(m.LastAck(), 0) + 1;
    if (from > last) return true;
    for (int64_t f = from; f <= last; f += 100) {
      if (m.PublishEvents(sim.BatchJson(f, std::min(last, f + 99))) != 0) return false;
    }
    if (m.WaitAck(last, 5s)) return true;
  }
  return m.LastAck() >= last;
}

TEST(CloudFault, SigkillMidIngestLosesAndDuplicatesNothing) {
  constexpr int64_t kEvents = 3000;
  TestDatabase db;
  TestBroker broker;
  auto env = CloudEnv(db.url(), broker.endpoint());
  const std::string pw = ProvisionMachine(env, "vm-kill");
  EdgeSim sim("vm-kill");
  sim.Generate(kEvents);

  CloudProcess cloud(env);
  cloud.Start();
  MachineClient m(broker.url(), "vm-kill", pw);
  m.BeginConnect();
  m.Connected();
  for (int64_t f = 1; f <= kEvents; f += 100)
    ASSERT_EQ(m.PublishEvents(sim.BatchJson(f, f + 99)), 0);
  // Kill as soon as the first ack shows ingest under way.
  ASSERT_TRUE(m.WaitAck(1, 20s)) << cloud.Log();
  cloud.Kill();
  const int64_t acked_at_kill = m.LastAck();
  const int64_t stored_at_kill =
      QueryInt(db.url(), "SELECT count(*) FROM edge_events WHERE machine_id = 'vm-kill'");
  std::printf("killed with ack %lld, %lld events stored\n", static_cast<long long>(acked_at_kill),
              static_cast<long long>(stored_at_kill));

  cloud.Start();
  ASSERT_TRUE(ResendUntilAcked(m, sim, kEvents, 10)) << "acked " << m.LastAck() << "\n"
                                                     << cloud.Log();
  EXPECT_EQ(Watermark(db.url(), "vm-kill"), kEvents);
  EXPECT_EQ(CloudState(db.url(), "vm-kill"), sim.state());
  EXPECT_EQ(
      QueryInt(db.url(), "SELECT count(DISTINCT uuid) FROM orders WHERE machine_id = 'vm-kill'"),
      sim.state().orders);
}

TEST(CloudFault, OneOfTwoInstancesKilledTheOtherCarriesOn) {
  constexpr int64_t kEvents = 2000;
  TestDatabase db;
  TestBroker broker;
  auto env = CloudEnv(db.url(), broker.endpoint());
  const std::string pw = ProvisionMachine(env, "vm-ha");
  EdgeSim sim("vm-ha");
  sim.Generate(kEvents);

  CloudProcess a(env), b(env);
  a.Start();
  b.Start();
  MachineClient m(broker.url(), "vm-ha", pw);
  m.BeginConnect();
  m.Connected();
  for (int64_t f = 1; f <= kEvents; f += 100)
    ASSERT_EQ(m.PublishEvents(sim.BatchJson(f, f + 99)), 0);
  ASSERT_TRUE(m.WaitAck(1, 20s));
  a.Kill();
  ASSERT_TRUE(ResendUntilAcked(m, sim, kEvents, 10)) << "acked " << m.LastAck() << "\n" << b.Log();
  EXPECT_EQ(CloudState(db.url(), "vm-ha"), sim.state());
}

}  // namespace
}  // namespace vend::cloud::testing
