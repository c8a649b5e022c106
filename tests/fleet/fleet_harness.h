// The whole stack as real processes, for the end-to-end fleet tests (issue 3, point 5):
// a private broker (TestBroker: every test that runs vend-cloud needs its own, or one
// test's cloud would ack another test's events), a fresh PostgreSQL database
// (TestDatabase), one or more `vend-cloud serve` processes (CloudProcess of the cloud
// harness), and N `vend-edge` processes, each provisioned with `vend-cloud machine add`
// (its own dynamic-security credential) and serving its kiosk API on a free port from
// its own SQLite file. Any process can be killed with SIGKILL and started again, the
// broker stopped, killed and started; `fleet-check` compares every edge database with
// PostgreSQL.
//
// Everything waits on conditions with a bound; nothing sleeps a fixed time.
//
// Failures throw std::runtime_error (gtest reports them as the test's failure).
// Thread safety: an EdgeNode's kiosk calls (NewCustomer, Deposit, Buy, Refund, Products,
// Health) and its ledger may be used from several threads at once; starting, stopping
// and killing processes, and every Fleet method, belong to the test's thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloud_harness.h"
#include "support/http_client.h"
#include "support/services.h"
#include "support/temp_dir.h"

namespace vend::fleet_test {

using namespace std::chrono_literals;
using cloud::testing::CliResult;
using cloud::testing::CloudProcess;
using cloud::testing::WaitUntil;

// The catalog every fleet starts with, created through `vend-cloud product add`.
inline constexpr int64_t kCola = 1;   // 150 cents, refundable
inline constexpr int64_t kWater = 2;  // 100 cents, not refundable
inline constexpr int64_t kInitialStock = 1000;

struct EdgeOptions {
  size_t sync_batch = 50;
  size_t sync_window = 4;
  double ack_timeout_s = 2;
  int telemetry_interval_s = 5;
  // Seeds a standalone catalog (--catalog); empty: the catalog comes from the cloud.
  std::optional<std::filesystem::path> catalog;
};

// A customer of one kiosk.
struct Customer {
  int64_t id = 0;
  std::string user_name;
};

// What the kiosk API confirmed (2xx) on one machine. A confirmed sale is committed
// (synchronous=FULL), so it must reach PostgreSQL; a request cut off by a SIGKILL may
// have committed without its reply, so PostgreSQL may hold more than this, never less.
struct Ledger {
  std::set<std::string> orders;    // uuids of confirmed buys
  std::set<std::string> refunded;  // uuids of confirmed refunds
  int64_t deposits = 0;            // confirmed add_balance calls
  int64_t deposit_cents = 0;
};

// One vend-edge process on its own database, port and broker credential.
class EdgeNode {
 public:
  EdgeNode(std::string machine, std::string broker_url, std::string password, EdgeOptions options);
  ~EdgeNode();  // SIGKILL if running
  EdgeNode(const EdgeNode&) = delete;
  EdgeNode& operator=(const EdgeNode&) = delete;

  // Starts it and waits (bounded) until /healthz answers; the port stays the same across
  // restarts unless another process took it meanwhile.
  void Start();
  void Kill();  // SIGKILL, then reaps
  void Stop();  // SIGTERM (graceful: retained offline status), then reaps; must exit 0
  bool running() const { return pid_ > 0; }

  const std::string& machine() const { return machine_; }
  const std::string& password() const { return password_; }
  std::filesystem::path db() const { return dir_.path() / "edge.db"; }
  int port() const { return port_; }
  std::string Log() const;

  // /healthz as JSON; null when it does not answer 200.
  nlohmann::json Health() const;

  // Kiosk API. Replies are returned as they came (status 0 when the process is gone);
  // successful ones are recorded in the ledger.
  Customer NewCustomer(int64_t deposit_cents);  // throws unless both calls succeed
  test_support::HttpReply Deposit(const Customer& c, int64_t cents);
  test_support::HttpReply Buy(const Customer& c, int64_t product);
  // Refunds the customer's latest unrefunded order of `product`.
  test_support::HttpReply Refund(const Customer& c, int64_t product);
  // GET /api/v1/products by id; empty when it does not answer.
  std::map<int64_t, nlohmann::json> Products() const;

  // The value of a series on /metrics, e.g. Metric("vend_edge_sync_commands_total",
  // "outcome=\"duplicate\""); 0 when absent, -1 when /metrics does not answer.
  double Metric(const std::string& name, const std::string& labels = "") const;

  Ledger ledger() const;

 private:
  test_support::HttpReply Post(const std::string& target, const nlohmann::json& body) const;

  const std::string machine_;
  const std::string broker_url_;
  const std::string password_;
  const EdgeOptions options_;
  test_support::TempDir dir_;
  std::filesystem::path password_file_;
  int port_ = 0;
  pid_t pid_ = -1;

  mutable std::mutex mu_;
  Ledger ledger_;
  int next_customer_ = 0;
};

struct FleetOptions {
  size_t edges = 3;
  size_t clouds = 1;
  EdgeOptions edge;
  // Extra `vend-cloud serve` flags. A short resend interval: a command lost with a
  // killed broker is sent again within seconds.
  std::vector<std::string> cloud_args = {"--resend-interval", "2", "--workers", "2"};
  // Stock each product gets on each machine at start (stock set through the CLI).
  int64_t initial_stock = kInitialStock;
};

// The default fleet with `n` edges.
inline FleetOptions WithEdges(size_t n) {
  FleetOptions o;
  o.edges = n;
  return o;
}

struct FleetCheckResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Fleet {
 public:
  // Starts the broker, creates the database and the catalog (Cola, Water), starts the
  // clouds, provisions and starts the edges, restocks every product on every machine,
  // and waits until every kiosk sells it.
  explicit Fleet(FleetOptions options = {});
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  test_support::TestBroker& broker() { return *broker_; }
  const std::string& pg_url() const { return db_->url(); }
  CloudProcess& cloud(size_t i = 0) { return *clouds_.at(i); }
  size_t clouds() const { return clouds_.size(); }
  EdgeNode& edge(size_t i) { return *edges_.at(i); }
  size_t edges() const { return edges_.size(); }

  // Provisions a new machine (`vend-cloud machine add`) and starts its vend-edge, with no
  // --catalog unless `options.catalog` says otherwise (unless `start` is false). Does not
  // restock it.
  EdgeNode& AddEdge(const EdgeOptions& options, bool start = true);

  // Runs `vend-cloud ARGS...` (a CLI command) against this fleet's database and broker.
  CliResult Cli(const std::vector<std::string>& args);
  // The same, throwing unless it exits 0.
  std::string CliOk(const std::vector<std::string>& args);

  // One bigint from PostgreSQL (0 for NULL); `param` is $1 when given.
  int64_t PgInt(const std::string& sql, const std::optional<std::string>& param = {});
  int64_t Watermark(const std::string& machine);

  // Whether PostgreSQL holds everything `edge`'s kiosk confirmed: each confirmed order
  // (refunded where the refund was confirmed) and at least as many deposits. With
  // `exact` (no request of that edge was cut off by a kill) it holds nothing more.
  // Returns "" when it does, else what differs.
  std::string LedgerGap(const EdgeNode& edge, bool exact);

  // Waits until the fleet is quiescent: every edge runs, its outbox is empty, the cloud
  // watermark equals its last_seq, and no command is pending in the cloud. Returns an
  // empty string on success, else what was still missing at the deadline.
  std::string Quiesce(std::chrono::milliseconds timeout = 90s);

  // Runs build/bin/fleet-check on every edge database (extra flags first).
  FleetCheckResult RunFleetCheck(const std::vector<std::string>& extra = {});

  // A machine's commands in issue order, with what became of them on both sides (cloud
  // status and sends, the seq of the edge's outcome event), for a failure message.
  std::string CommandHistory(const EdgeNode& edge);

  // The logs of every process, for a failure message.
  std::string Logs() const;

 private:
  void Restock(const EdgeNode& edge, int64_t count);
  std::string QuiescenceGap();
  pqxx::connection& Pg();

  FleetOptions options_;
  std::unique_ptr<test_support::TestBroker> broker_;
  std::unique_ptr<test_support::TestDatabase> db_;
  std::map<std::string, std::string> env_;
  std::vector<std::unique_ptr<CloudProcess>> clouds_;
  std::vector<std::unique_ptr<EdgeNode>> edges_;
  std::unique_ptr<pqxx::connection> pg_;
};

// Every fleet test ends with the invariant check: TearDown waits for quiescence and runs
// fleet-check, whatever the test did before (a test may call ExpectConsistent earlier to
// assert on a quiescent fleet; running it again on a quiescent fleet is cheap).
class FleetTest : public ::testing::Test {
 protected:
  Fleet& StartFleet(FleetOptions options = {});
  // Quiesces the fleet (bounded) and expects fleet-check to find no difference.
  void ExpectConsistent();
  void TearDown() override;

  std::unique_ptr<Fleet> fleet_;
};

// A customer buying `product` on one kiosk, about every 10 ms (a busy machine), from a
// thread of its own until Stop(); whatever the kiosk confirms lands in its ledger.
// Failed requests (the process killed, restarting) are counted and go on.
class Shopper {
 public:
  Shopper(EdgeNode& edge, int64_t product);
  ~Shopper();  // Stop()
  void Stop();
  int64_t sold() const { return sold_; }
  int64_t failed() const { return failed_; }

 private:
  EdgeNode& edge_;
  const Customer customer_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sold_{0};
  std::atomic<int64_t> failed_{0};
  std::thread thread_;
};

// Runs `binary ARGS...` to completion; returns its exit code (128 + signal when killed)
// and its standard output and error.
FleetCheckResult RunProgram(const std::string& binary, const std::vector<std::string>& args);

// Runs build/bin/fleet-check with `args`, to completion.
FleetCheckResult RunFleetCheckBinary(const std::vector<std::string>& args);

// The products a kiosk lists, waiting (bounded) until `want` holds for them.
bool WaitProducts(const EdgeNode& edge,
                  const std::function<bool(const std::map<int64_t, nlohmann::json>&)>& want,
                  std::chrono::milliseconds timeout = 30s);

}  // namespace vend::fleet_test
