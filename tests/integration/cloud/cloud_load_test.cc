// Two vend-cloud processes on the shared subscription under a bounded load: every
// machine's events end up in PostgreSQL exactly once, whichever instance got which
// batch, including batches delivered twice.
//
// VEND_CLOUD_LOAD_EVENTS (default 200 per machine, a multiple of the batch) and
// VEND_CLOUD_LOAD_BATCH (default 100 events per message) scale the run up for a manual
// throughput measurement; the rate is printed, never asserted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "cloud_harness.h"
#include "support/services.h"

namespace vend::cloud::testing {
namespace {

using test_support::TestBroker;
using test_support::TestDatabase;

int64_t EnvInt(const char* name, int64_t fallback, int64_t min, int64_t max) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::clamp<int64_t>(std::atoll(v), min, max) : fallback;
}

TEST(CloudLoad, TwoInstancesOnTheSharedSubscriptionConvergeExactlyOnce) {
  constexpr int kMachines = 20;
  const int64_t batch = EnvInt("VEND_CLOUD_LOAD_BATCH", 100, 100, 500);
  const int64_t per_machine = EnvInt("VEND_CLOUD_LOAD_EVENTS", 200, 1, 100000) / batch * batch;
  TestDatabase db;
  TestBroker broker;
  auto env = CloudEnv(db.url(), broker.endpoint());

  std::vector<std::unique_ptr<EdgeSim>> sims;
  std::vector<std::unique_ptr<MachineClient>> machines;
  for (int i = 0; i < kMachines; ++i) {
    const std::string id = "load-" + std::to_string(i);
    machines.push_back(
        std::make_unique<MachineClient>(broker.url(), id, ProvisionMachine(env, id)));
    sims.push_back(std::make_unique<EdgeSim>(id, 7));
    sims.back()->Generate(static_cast<size_t>(per_machine));
  }

  CloudProcess a(env, {"--workers", "2"});
  CloudProcess b(env, {"--workers", "2"});
  a.Start();
  b.Start();
  for (auto& m : machines) m->BeginConnect();
  for (auto& m : machines) m->Connected();

  // Encoded up front: the rate below is the broker's and the cloud's, not the encoder's.
  std::vector<std::vector<std::string>> payloads(kMachines);
  for (int i = 0; i < kMachines; ++i) {
    for (int64_t f = 1; f <= per_machine; f += batch) {
      payloads[i].push_back(sims[i]->BatchJson(f, f + batch - 1));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (size_t b = 0; b < payloads[0].size(); ++b) {
    for (int i = 0; i < kMachines; ++i) ASSERT_EQ(machines[i]->PublishEvents(payloads[i][b]), 0);
  }
  for (int i = 0; i < kMachines; ++i) {
    ASSERT_TRUE(machines[i]->WaitAck(per_machine, 60s))
        << machines[i]->machine() << " acked " << machines[i]->LastAck() << "\n"
        << a.Log() << b.Log();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "ingested %lld events from %d machines through 2 instances in %.3f s: %.0f events/s\n",
      static_cast<long long>(per_machine * kMachines), kMachines, secs,
      static_cast<double>(per_machine * kMachines) / secs);

  // Every machine re-sends its first two batches, as after a lost ack.
  for (int i = 0; i < kMachines; ++i) {
    ASSERT_EQ(machines[i]->PublishEvents(sims[i]->BatchJson(1, batch)), 0);
    ASSERT_EQ(machines[i]->PublishEvents(sims[i]->BatchJson(batch + 1, 2 * batch)), 0);
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        return a.Metric("vend_cloud_duplicate_events_total") +
                   b.Metric("vend_cloud_duplicate_events_total") >=
               2 * batch * kMachines;
      },
      30s));

  for (int i = 0; i < kMachines; ++i) {
    EXPECT_EQ(Watermark(db.url(), sims[i]->machine()), per_machine);
    EXPECT_EQ(CloudState(db.url(), sims[i]->machine()), sims[i]->state()) << sims[i]->machine();
  }
  EXPECT_EQ(
      a.Metric("vend_cloud_events_ingested_total") + b.Metric("vend_cloud_events_ingested_total"),
      per_machine * kMachines);
  // The shared subscription spread the work over both instances.
  EXPECT_GT(a.Metric("vend_cloud_batches_total"), 0);
  EXPECT_GT(b.Metric("vend_cloud_batches_total"), 0);
}

}  // namespace
}  // namespace vend::cloud::testing
