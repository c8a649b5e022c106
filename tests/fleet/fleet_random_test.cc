// A randomized run of the whole fleet: three edges and two cloud instances; a few
// hundred kiosk operations (buys, deposits, refunds) interleaved with admin commands
// (stock set/add, price set through the vend-cloud CLI) and faults (the broker restarted
// or killed, a cloud instance or an edge killed with SIGKILL, each brought back a few
// operations later), while two customers keep buying on threads of their own. Then the
// fleet quiesces, fleet-check must find no difference, and every sale the kiosks
// confirmed must be in PostgreSQL.
//
// Seeded: the seed is printed; VEND_FLEET_SEED=N runs the same sequence of operations
// again (the timing of the processes, and so the exact interleaving, still varies).
// Bounded: at most kOperations operations and kPhaseLimit of wall time for them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "fleet_harness.h"

namespace vend::fleet_test {
namespace {

constexpr int kOperations = 300;
constexpr auto kPhaseLimit = 60s;

uint32_t Seed() {
  if (const char* s = std::getenv("VEND_FLEET_SEED"); s != nullptr && *s != '\0') {
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device{}();
}

class RandomRun {
 public:
  RandomRun(Fleet& fleet, uint32_t seed) : fleet_(fleet), rng_(seed) {
    for (size_t i = 0; i < fleet.edges(); ++i) {
      customers_.emplace_back();
      for (int k = 0; k < 4; ++k) customers_[i].push_back(fleet.edge(i).NewCustomer(2000));
    }
    edge_back_at_.assign(fleet.edges(), -1);
    cloud_back_at_.assign(fleet.clouds(), -1);
    killed_.assign(fleet.edges(), false);
  }

  void Run() {
    const auto deadline = std::chrono::steady_clock::now() + kPhaseLimit;
    for (op_ = 0; op_ < kOperations && std::chrono::steady_clock::now() < deadline; ++op_) {
      Restore(/*all=*/false);
      const int r = Pick(100);
      if (r < 45) {
        Buy();
      } else if (r < 60) {
        Deposit();
      } else if (r < 70) {
        Refund();
      } else if (r < 78) {
        AdminCommand();
      } else if (r < 82) {
        BrokerFault();
      } else if (r < 86) {
        CloudFault();
      } else if (r < 90) {
        EdgeFault();
      } else {
        Buy();
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    Restore(/*all=*/true);
    std::cout << "random run: " << op_ << " operations; " << counts_["buy"] << " buys, "
              << counts_["deposit"] << " deposits, " << counts_["refund"] << " refunds, "
              << counts_["command"] << " admin commands, " << counts_["broker"]
              << " broker faults, " << counts_["cloud"] << " cloud kills, " << counts_["edge"]
              << " edge kills\n";
  }

  bool killed(size_t edge) const { return killed_[edge]; }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  // A running edge (there is always at least one).
  size_t RunningEdge() {
    for (;;) {
      const size_t i = static_cast<size_t>(Pick(static_cast<int>(fleet_.edges())));
      if (fleet_.edge(i).running()) return i;
    }
  }

  void Buy() {
    const size_t i = RunningEdge();
    const Customer& c = customers_[i][Pick(4)];
    auto r = fleet_.edge(i).Buy(c, Pick(2) == 0 ? kCola : kWater);
    // 402: not enough money; 409: sold out (admin commands set low stock).
    EXPECT_TRUE(r.status == 201 || r.status == 402 || r.status == 409) << r;
    ++counts_["buy"];
  }

  void Deposit() {
    const size_t i = RunningEdge();
    auto r = fleet_.edge(i).Deposit(customers_[i][Pick(4)], 50 + Pick(450));
    EXPECT_EQ(r.status, 200) << r;
    ++counts_["deposit"];
  }

  void Refund() {
    const size_t i = RunningEdge();
    // Cola is refundable; Water is not (409). 404: nothing left to refund.
    auto r = fleet_.edge(i).Refund(customers_[i][Pick(4)], Pick(3) == 0 ? kWater : kCola);
    EXPECT_TRUE(r.status == 200 || r.status == 404 || r.status == 409) << r;
    ++counts_["refund"];
  }

  // To any machine, running or not: a killed one gets it when it returns.
  void AdminCommand() {
    const std::string m = fleet_.edge(static_cast<size_t>(Pick(3))).machine();
    const std::string product = std::to_string(Pick(2) == 0 ? kCola : kWater);
    switch (Pick(3)) {
      case 0:
        fleet_.CliOk({"stock", "set", m, product, std::to_string(Pick(30))});
        break;
      case 1: {  // -5..-1 or 1..20; a negative result is rejected at the edge
        int delta = Pick(25) - 5;
        if (delta >= 0) ++delta;
        fleet_.CliOk({"stock", "add", m, product, std::to_string(delta)});
        break;
      }
      default:
        fleet_.CliOk({"price", "set", m, product, std::to_string(50 + Pick(200))});
        break;
    }
    ++counts_["command"];
  }

  void BrokerFault() {
    if (broker_back_at_ >= 0) return;
    if (Pick(2) == 0) {
      fleet_.broker().Stop();
    } else {
      fleet_.broker().Kill();
    }
    broker_back_at_ = op_ + 3 + Pick(15);
    ++counts_["broker"];
  }

  void CloudFault() {
    const size_t i = static_cast<size_t>(Pick(static_cast<int>(fleet_.clouds())));
    if (cloud_back_at_[i] >= 0) return;
    fleet_.cloud(i).Kill();
    cloud_back_at_[i] = op_ + 3 + Pick(15);
    ++counts_["cloud"];
  }

  void EdgeFault() {
    size_t running = 0;
    for (size_t i = 0; i < fleet_.edges(); ++i) running += fleet_.edge(i).running() ? 1 : 0;
    if (running < 2) return;
    const size_t i = RunningEdge();
    fleet_.edge(i).Kill();
    killed_[i] = true;
    edge_back_at_[i] = op_ + 3 + Pick(15);
    ++counts_["edge"];
  }

  // Brings back what is due (or everything). The broker first: a cloud starting becomes
  // healthy only once connected to it.
  void Restore(bool all) {
    if (broker_back_at_ >= 0 && (all || op_ >= broker_back_at_)) {
      fleet_.broker().Start();
      broker_back_at_ = -1;
    }
    for (size_t i = 0; i < fleet_.clouds(); ++i) {
      if (cloud_back_at_[i] >= 0 && (all || op_ >= cloud_back_at_[i]) && broker_back_at_ < 0) {
        fleet_.cloud(i).Start();
        cloud_back_at_[i] = -1;
      }
    }
    for (size_t i = 0; i < fleet_.edges(); ++i) {
      if (edge_back_at_[i] >= 0 && (all || op_ >= edge_back_at_[i])) {
        fleet_.edge(i).Start();
        edge_back_at_[i] = -1;
      }
    }
  }

  Fleet& fleet_;
  std::mt19937 rng_;
  int op_ = 0;
  std::vector<std::vector<Customer>> customers_;
  int broker_back_at_ = -1;
  std::vector<int> edge_back_at_;
  std::vector<int> cloud_back_at_;
  std::vector<bool> killed_;
  std::map<std::string, int> counts_;
};

TEST_F(FleetTest, ARandomizedRunWithFaultsConverges) {
  const uint32_t seed = Seed();
  std::cout << "random run seed=" << seed << " (again: VEND_FLEET_SEED=" << seed << ")\n";
  RecordProperty("seed", std::to_string(seed));
  FleetOptions options;
  options.edges = 3;
  options.clouds = 2;
  options.edge.sync_batch = 20;
  options.edge.sync_window = 2;
  options.initial_stock = 200;
  auto& fleet = StartFleet(options);

  RandomRun run(fleet, seed);
  {
    // Besides the run's own operations, two busy customers, so that kills also land in
    // the middle of requests and of drains.
    Shopper cola(fleet.edge(0), kCola);
    Shopper water(fleet.edge(2), kWater);
    run.Run();
    cola.Stop();
    water.Stop();
    std::cout << "busy customers: " << cola.sold() + water.sold() << " sales confirmed, "
              << cola.failed() + water.failed() << " refused or cut off\n";
  }
  ASSERT_FALSE(HasFatalFailure()) << "seed=" << seed;

  ExpectConsistent();
  for (size_t i = 0; i < fleet.edges(); ++i) {
    EXPECT_EQ(fleet.LedgerGap(fleet.edge(i), /*exact=*/!run.killed(i)), "")
        << fleet.edge(i).machine() << " seed=" << seed;
  }
}

}  // namespace
}  // namespace vend::fleet_test
