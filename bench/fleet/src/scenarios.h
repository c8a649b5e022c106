// The two benchmark scenarios of issue 3 point 6, each ending with the exactly-once
// check of verify.h (a difference makes the run fail):
//
//   catch-up  every machine holds `events_per_machine` unacknowledged events and all
//             reconnect at once; measured from the first connect to the last ack.
//             With `outage`, the machines first connect (creating their broker
//             sessions and going online in vend-cloud), then lose the network together
//             (the broker publishes their wills), and sell while offline.
//   steady    every machine connected; sales as a Poisson process at `rate` per second
//             over the fleet for `duration` after `warmup`; sale-to-ack latency.
//
// Both print a summary and write a JSON report (numbers for bench/RESULTS.md).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "fleet.h"

namespace vend::bench {

struct Watched {
  std::string name;
  pid_t pid = 0;
};

struct ScenarioOptions {
  std::string pg_url;
  std::vector<Credential> credentials;
  FleetOptions fleet;
  std::vector<Watched> watch;
  std::string report_path;
  std::chrono::seconds timeout{600};  // bound of the measured phase
  // catch-up
  size_t events_per_machine = 1000;
  bool outage = true;
  bool pre_encode = true;
  int64_t seed_stock = 500;
  // steady
  double rate = 1000;
  std::chrono::seconds duration{60};
  std::chrono::seconds warmup{5};
  std::chrono::seconds settle{5};
};

// Exit codes: 0 verified; 1 the run failed (timeout, a difference, a service down).
int RunCatchup(const ScenarioOptions& o);
int RunSteady(const ScenarioOptions& o);

}  // namespace vend::bench
