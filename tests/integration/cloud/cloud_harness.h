// What the cloud integration tests share: reading the cloud's projections back from
// PostgreSQL, running vend-cloud as a process (serve, or a CLI command), and a Paho
// client playing one machine with that machine's own broker credential.
//
// Failures throw std::runtime_error (gtest reports them as the test's failure).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "edge_sim.h"
#include "support/services.h"
#include "vend/sync_messages.h"

namespace mqtt {
class async_client;
}

namespace vend::cloud::testing {

using namespace std::chrono_literals;

// The cloud's view of one machine, in the shape of the edge's (edge_sim.h).
EdgeState CloudState(const std::string& pg_url, const std::string& machine);
int64_t Watermark(const std::string& pg_url, const std::string& machine);
// One value of a SQL query returning a single bigint.
int64_t QueryInt(const std::string& pg_url, const std::string& sql);

// Polls `cond` every 20 ms until it holds or `timeout` passes; returns its last value.
template <typename Cond>
bool WaitUntil(Cond cond, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the vend-cloud binary with `args` and extra environment variables, to completion.
CliResult RunCloud(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env = {});

// Environment for vend-cloud pointing at a database and a broker with the cloud user.
std::map<std::string, std::string> CloudEnv(const std::string& pg_url,
                                            const test_support::BrokerEndpoint& broker);

// Provisions machine `id` with `vend-cloud machine add ID --format env`, checks what it
// printed, and returns the machine's MQTT password.
std::string ProvisionMachine(const std::map<std::string, std::string>& env, const std::string& id);

// `vend-cloud serve` as a child process, logging to a file in its own temp dir.
class CloudProcess {
 public:
  CloudProcess(std::map<std::string, std::string> env, std::vector<std::string> extra_args = {});
  ~CloudProcess();

  // Starts and waits until /healthz answers 200.
  void Start();
  void Kill();  // SIGKILL, then reaps
  void Stop();  // SIGTERM, then reaps; returns when it exited
  bool Running() const { return pid_ > 0; }
  int http_port() const { return port_; }
  std::string Log() const;

  // The value of a Prometheus series, e.g. Metric("vend_cloud_rejected_payloads_total",
  // "kind=\"events\",reason=\"bad_json\""); 0 when absent.
  double Metric(const std::string& name, const std::string& labels = "") const;

 private:
  std::map<std::string, std::string> env_;
  std::vector<std::string> extra_args_;
  test_support::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int starts_ = 0;
};

// One machine on the broker, with its own credential: subscribes to its ack and
// commands, publishes its events and status.
class MachineClient {
 public:
  MachineClient(const std::string& url, const std::string& machine, const std::string& password);
  ~MachineClient();

  // Connecting clients one after another costs ~1 s each with Paho C (see
  // services_smoke_test.cc): BeginConnect all of a test's clients, then Connected each.
  void BeginConnect();
  void Connected();  // waits for the connection and the ack/commands subscriptions

  // Publishes with QoS 1 and waits for PUBACK; returns the MQTT v5 reason code (0 ok,
  // 135 not authorized).
  int Publish(const std::string& topic, const std::string& payload, bool retained = false);
  int PublishEvents(const std::string& payload);
  void PublishStatus(bool online);
  // Subscribes and returns the SUBACK reason code (>= 128 refused).
  int Subscribe(const std::string& filter);

  int64_t LastAck() const;
  // Waits until an ack with upto >= `upto` arrived.
  bool WaitAck(int64_t upto, std::chrono::milliseconds timeout = 10s);
  // Number of acks received so far.
  size_t AckCount() const;
  // Every command received, in arrival order (repeats included).
  std::vector<schemas::Command> Commands() const;
  bool WaitCommands(size_t n, std::chrono::milliseconds timeout = 10s);

  const std::string& machine() const { return machine_; }

 private:
  void OnMessage(const std::string& topic, const std::string& payload);

  std::string machine_;
  std::string password_;
  std::unique_ptr<mqtt::async_client> client_;
  std::shared_ptr<void> connecting_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t last_ack_ = -1;
  size_t acks_ = 0;
  std::vector<schemas::Command> commands_;
};

}  // namespace vend::cloud::testing
