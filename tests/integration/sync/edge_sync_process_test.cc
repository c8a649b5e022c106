// vend-edge as a process with --mqtt against a real Mosquitto: killed with SIGKILL in
// the middle of draining its outbox and started again, it loses and duplicates nothing
// at the cloud (after dedup by seq); its will marks it offline; a refused credential
// leaves the kiosk selling and says why in /healthz.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "support/free_port.h"
#include "support/http_client.h"
#include "support/services.h"
#include "support/temp_dir.h"
#include "sync_harness.h"
#include "vend/ids.h"

#ifndef VEND_EDGE_BINARY
#error "VEND_EDGE_BINARY must name the vend-edge executable"
#endif

namespace vend::edge::sync_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::HttpClient;
using test_support::TestBroker;
using test_support::UniqueMachineId;

// One vend-edge process; killed with SIGKILL if still running when destroyed.
class EdgeProcess {
 public:
  EdgeProcess(const std::vector<std::string>& args, const fs::path& log) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      std::vector<char*> argv;
      std::string binary = VEND_EDGE_BINARY;
      argv.push_back(binary.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~EdgeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `sig` and reaps the process; returns its wait status.
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  bool alive() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

class EdgeProcessSync : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<TestBroker>();
    machine_ = UniqueMachineId("proc");
    password_file_ = dir_.WriteFile("mqtt-password", broker_->AddMachine(machine_) + "\n");
    chmod(password_file_.c_str(), 0600);
    db_ = dir_.path() / "edge.db";
    port_ = test_support::FreeLoopbackPort();
    cloud_ = std::make_unique<TestCloud>(broker_->endpoint(), machine_);
    cloud_->BeginConnect();
    cloud_->Connected();
  }

  std::vector<std::string> Args(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--machine-id", machine_,
                                     "--db",         db_.string(),
                                     "--listen",     "127.0.0.1:" + std::to_string(port_),
                                     "--mqtt",       broker_->url(),
                                     "--log-level",  "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Starts vend-edge and waits (bounded) until it answers /healthz.
  std::unique_ptr<EdgeProcess> Start(const std::vector<std::string>& args) {
    auto p = std::make_unique<EdgeProcess>(args, dir_.path() / "edge.log");
    HttpClient http(port_, "127.0.0.1", std::chrono::seconds(2));
    const bool up = WaitFor([&] { return !p->alive() || http.Get("/healthz").status == 200; });
    EXPECT_TRUE(up && p->alive()) << "vend-edge did not start; log:\n" << Log();
    return p;
  }

  json Health() {
    auto r = HttpClient(port_).Get("/healthz");
    return r.status == 200 ? json::parse(r.body, nullptr, false) : json();
  }

  std::string Log() {
    std::ifstream in(dir_.path() / "edge.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  test_support::TempDir dir_{"vend-edge-proc-"};
  std::unique_ptr<TestBroker> broker_;
  std::string machine_;
  fs::path password_file_;
  fs::path db_;
  int port_ = 0;
  std::unique_ptr<TestCloud> cloud_;
};

// Buys through the kiosk API (about 30 a second, a busy machine) until told to stop,
// remembering every order it was answered 201 for.
class Shopper {
 public:
  Shopper(int port, const std::string& user_name) : http_(port), user_name_(user_name) {
    thread_ = std::thread([this] {
      const std::string body = json{{"user_name", user_name_}}.dump();
      while (!stop_) {
        auto r = http_.PostJson("/api/v1/products/1/buy", body);
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu_);
          orders_.insert(json::parse(r.body)["order"]["uuid"].get<std::string>());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
      }
    });
  }
  ~Shopper() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::set<std::string> orders() {
    std::lock_guard<std::mutex> lock(mu_);
    return orders_;
  }

 private:
  HttpClient http_;
  const std::string user_name_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::set<std::string> orders_;
  std::thread thread_;
};

int64_t CountOrders(const fs::path& db_path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM orders", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

TEST_F(EdgeProcessSync, SigkillMidDrainLosesAndDuplicatesNothingAtTheCloud) {
  constexpr int kPreloadedSales = 1000;
  const std::string user = "shopper";
  {
    // A machine that sold a lot while it had no broker: ~2,000 events to drain.
    auto store = store::SqliteKioskStore::Open(db_.string(), machine_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto& s = **store;
    ASSERT_TRUE(
        s.SeedCatalog({core::Product{1, "Cola", Money::FromCents(1), 1000000, "", true}}).ok());
    auto c = s.CreateCustomer(user);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(
        s.Deposit(c->customer.id, user, Money::FromCents(100000), Money::FromCents(100000)).ok());
    for (int i = 0; i < kPreloadedSales; ++i) ASSERT_TRUE(s.Buy({1, user, std::nullopt}).ok());
  }
  const std::vector<std::string> args =
      Args({"--mqtt-password-file", password_file_.string(), "--sync-batch", "25", "--sync-window",
            "4", "--ack-timeout", "3"});
  auto edge = Start(args);
  Shopper shopper(port_, user);
  // Mid-drain: the cloud has part of the backlog, sales keep adding to it.
  ASSERT_TRUE(WaitFor([&] { return cloud_->Watermark() >= 500; })) << Log();
  const int status = edge->Signal(SIGKILL);
  const int64_t watermark_at_kill = cloud_->Watermark();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_LT(watermark_at_kill, 2 * kPreloadedSales) << "the drain finished before the kill";

  edge = Start(args);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a few sales after restart
  shopper.Stop();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto h = Health();
        return h.is_object() && h["outbox"]["depth"] == 0 &&
               cloud_->Watermark() == h["outbox"]["last_seq"].get<int64_t>();
      },
      std::chrono::seconds(60)))
      << "health=" << Health().dump() << " watermark=" << cloud_->Watermark() << "\n"
      << Log();

  const int64_t last_seq = Health()["outbox"]["last_seq"].get<int64_t>();
  const auto distinct = cloud_->Distinct();  // also fails on a seq seen with two contents
  ASSERT_EQ(static_cast<int64_t>(distinct.size()), last_seq);
  EXPECT_EQ(distinct.begin()->first, 1);
  EXPECT_EQ(distinct.rbegin()->first, last_seq);
  std::set<std::string> event_ids;
  std::map<std::string, int> order_events;
  for (const auto& [seq, e] : distinct) {
    event_ids.insert(e.id);
    if (auto* o = std::get_if<schemas::OrderCreated>(&e.data)) order_events[o->order_uuid]++;
  }
  EXPECT_EQ(event_ids.size(), distinct.size()) << "an event was re-sent under another seq";
  for (const auto& [uuid, n] : order_events) EXPECT_EQ(n, 1) << uuid;
  // Every sale the kiosk confirmed is at the cloud, and so is every sale in the database
  // (a buy cut off by the kill may have committed without its reply).
  for (const auto& uuid : shopper.orders()) EXPECT_EQ(order_events.count(uuid), 1u) << uuid;
  EXPECT_EQ(static_cast<int64_t>(order_events.size()), CountOrders(db_));
  EXPECT_GT(static_cast<int64_t>(order_events.size()), kPreloadedSales);
}

TEST_F(EdgeProcessSync, ItsWillMarksAKilledMachineOffline) {
  auto edge = Start(Args({"--mqtt-password-file", password_file_.string()}));
  ASSERT_TRUE(WaitFor([&] { return cloud_->Status() && cloud_->Status()->online; })) << Log();
  EXPECT_EQ(cloud_->Status()->version, VEND_VERSION);
  edge->Signal(SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return cloud_->Status() && !cloud_->Status()->online; }));
}

TEST_F(EdgeProcessSync, ARefusedCredentialKeepsTheKioskSellingAndSaysWhy) {
  auto edge = Start(Args({"--mqtt-password", "wrong-password"}));
  ASSERT_TRUE(WaitFor([&] {
    auto h = Health();
    return h.is_object() && h["sync"]["last_error"].is_string();
  })) << Log();
  auto sync = Health()["sync"];
  EXPECT_EQ(sync["state"], "disconnected");
  const std::string error = sync["last_error"];
  EXPECT_TRUE(error.find("not authorized") != std::string::npos ||
              error.find("bad user name or password") != std::string::npos)
      << error;
  HttpClient http(port_);
  auto user = http.PostJson("/api/v1/users", R"({"user_name":"u1"})");
  EXPECT_EQ(user.status, 201) << user.body;
  EXPECT_EQ(edge->Signal(SIGTERM), 0);
}

}  // namespace
}  // namespace vend::edge::sync_test
