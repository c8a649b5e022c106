#include "fleet_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

#include "support/free_port.h"

#ifndef VEND_EDGE_BIN
#error "VEND_EDGE_BIN must name the vend-edge binary"
#endif
#ifndef FLEET_CHECK_BIN
#error "FLEET_CHECK_BIN must name the fleet-check binary"
#endif

extern char** environ;

namespace vend::fleet_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::HttpClient;
using test_support::HttpReply;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// Starts `binary ARGS...` with the test's environment, standard output and error
// appended to `out` and `err`, and no other descriptor of ours (a child must not keep
// a socket of the test process open).
pid_t Spawn(const std::string& binary, const std::vector<std::string>& args, const fs::path& out,
            const fs::path& err) {
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

json ParseOrNull(const std::string& body) { return json::parse(body, nullptr, false); }

}  // namespace

// ---------------------------------------------------------------------------- EdgeNode

EdgeNode::EdgeNode(std::string machine, std::string broker_url, std::string password,
                   EdgeOptions options)
    : machine_(std::move(machine)),
      broker_url_(std::move(broker_url)),
      password_(std::move(password)),
      options_(std::move(options)),
      dir_("vend-fleet-edge-") {
  password_file_ = dir_.WriteFile("mqtt-password", password_ + "\n");
  ::chmod(password_file_.c_str(), 0600);
  port_ = test_support::FreeLoopbackPort();
}

EdgeNode::~EdgeNode() {
  if (pid_ > 0) Kill();
}

void EdgeNode::Start() {
  if (pid_ > 0) return;
  const fs::path log = dir_.path() / "edge.log";
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) port_ = test_support::FreeLoopbackPort();
    std::vector<std::string> args = {"--machine-id",
                                     machine_,
                                     "--db",
                                     db().string(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port_),
                                     "--mqtt",
                                     broker_url_,
                                     "--mqtt-password-file",
                                     password_file_.string(),
                                     "--sync-batch",
                                     std::to_string(options_.sync_batch),
                                     "--sync-window",
                                     std::to_string(options_.sync_window),
                                     "--ack-timeout",
                                     std::to_string(options_.ack_timeout_s),
                                     "--telemetry-interval",
                                     std::to_string(options_.telemetry_interval_s),
                                     "--log-level",
                                     "info"};
    if (options_.catalog) {
      args.push_back("--catalog");
      args.push_back(options_.catalog->string());
    }
    const size_t log_before = ReadFile(log).size();
    pid_ = Spawn(VEND_EDGE_BIN, args, log, log);
    HttpClient http(port_, "127.0.0.1", 1s);
    bool exited = false;
    const bool up = WaitUntil(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exited = true;
            return true;
          }
          return http.Get("/healthz").status == 200;
        },
        20s);
    if (up && !exited) return;
    if (exited) {
      pid_ = -1;
    } else {
      Kill();
    }
    // Retry only when someone else took the port meanwhile.
    if (ReadFile(log).substr(log_before).find("in use") == std::string::npos) break;
  }
  throw std::runtime_error("vend-edge " + machine_ + " did not start; its log:\n" +
                           Tail(Log(), 4000));
}

void EdgeNode::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  Reap(pid_);
  pid_ = -1;
}

void EdgeNode::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const int code = Reap(pid_);
  pid_ = -1;
  if (code != 0) {
    throw std::runtime_error("vend-edge " + machine_ + " exited " + std::to_string(code) +
                             " on SIGTERM; its log:\n" + Tail(Log(), 4000));
  }
}

std::string EdgeNode::Log() const { return ReadFile(dir_.path() / "edge.log"); }

json EdgeNode::Health() const {
  auto r = HttpClient(port_, "127.0.0.1", 2s).Get("/healthz");
  return r.status == 200 ? ParseOrNull(r.body) : json();
}

HttpReply EdgeNode::Post(const std::string& target, const json& body) const {
  return HttpClient(port_, "127.0.0.1", 10s).PostJson(target, body.dump());
}

Customer EdgeNode::NewCustomer(int64_t deposit_cents) {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = machine_ + "-c" + std::to_string(++next_customer_);
  }
  auto r = Post("/api/v1/users", {{"user_name", name}});
  if (r.status != 201) {
    std::ostringstream os;
    os << "creating customer " << name << " on " << machine_ << " failed: " << r;
    throw std::runtime_error(os.str());
  }
  Customer c{ParseOrNull(r.body).value("id", int64_t{0}), name};
  if (deposit_cents > 0) {
    auto d = Deposit(c, deposit_cents);
    if (d.status != 200) {
      std::ostringstream os;
      os << "deposit for " << name << " on " << machine_ << " failed: " << d;
      throw std::runtime_error(os.str());
    }
  }
  return c;
}

HttpReply EdgeNode::Deposit(const Customer& c, int64_t cents) {
  auto r = Post("/api/v1/users/" + std::to_string(c.id) + "/add_balance",
                {{"user_name", c.user_name}, {"amount", cents}});
  if (r.status == 200) {
    std::lock_guard<std::mutex> lock(mu_);
    ++ledger_.deposits;
    ledger_.deposit_cents += cents;
  }
  return r;
}

HttpReply EdgeNode::Buy(const Customer& c, int64_t product) {
  auto r = Post("/api/v1/products/" + std::to_string(product) + "/buy",
                {{"user_name", c.user_name}, {"product_id", product}});
  if (r.status == 201) {
    auto j = ParseOrNull(r.body);
    std::lock_guard<std::mutex> lock(mu_);
    ledger_.orders.insert(j["order"]["uuid"].get<std::string>());
  }
  return r;
}

HttpReply EdgeNode::Refund(const Customer& c, int64_t product) {
  auto r = Post("/api/v1/products/" + std::to_string(product) + "/refund",
                {{"user_name", c.user_name}, {"product_id", product}});
  if (r.status == 200) {
    auto j = ParseOrNull(r.body);
    std::lock_guard<std::mutex> lock(mu_);
    ledger_.refunded.insert(j["order"]["uuid"].get<std::string>());
  }
  return r;
}

std::map<int64_t, json> EdgeNode::Products() const {
  std::map<int64_t, json> out;
  auto r = HttpClient(port_, "127.0.0.1", 2s).Get("/api/v1/products");
  if (r.status != 200) return out;
  auto j = ParseOrNull(r.body);
  if (!j.is_array()) return out;
  for (const auto& p : j) out[p["id"].get<int64_t>()] = p;
  return out;
}

double EdgeNode::Metric(const std::string& name, const std::string& labels) const {
  auto r = HttpClient(port_, "127.0.0.1", 2s).Get("/metrics");
  if (r.status != 200) return -1;
  const std::string key = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return std::stod(line.substr(key.size()));
  }
  return 0;
}

Ledger EdgeNode::ledger() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ledger_;
}

bool WaitProducts(const EdgeNode& edge,
                  const std::function<bool(const std::map<int64_t, json>&)>& want,
                  std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return want(edge.Products()); }, timeout);
}

Shopper::Shopper(EdgeNode& edge, int64_t product)
    : edge_(edge), customer_(edge.NewCustomer(100000)) {
  thread_ = std::thread([this, product] {
    while (!stop_) {
      if (edge_.Buy(customer_, product).status == 201) {
        ++sold_;
      } else {
        ++failed_;
      }
      std::this_thread::sleep_for(10ms);
    }
  });
}

Shopper::~Shopper() { Stop(); }

void Shopper::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

// ------------------------------------------------------------------------------- Fleet

Fleet::Fleet(FleetOptions options) : options_(std::move(options)) {
  broker_ = std::make_unique<test_support::TestBroker>();
  db_ = std::make_unique<test_support::TestDatabase>();
  env_ = cloud::testing::CloudEnv(db_->url(), broker_->endpoint());
  CliOk({"migrate"});
  CliOk({"product", "add", std::to_string(kCola), "Cola", "150", "--refundable"});
  CliOk({"product", "add", std::to_string(kWater), "Water", "100"});
  for (size_t i = 0; i < options_.clouds; ++i) {
    clouds_.push_back(std::make_unique<CloudProcess>(env_, options_.cloud_args));
    clouds_.back()->Start();
  }
  for (size_t i = 0; i < options_.edges; ++i) AddEdge(options_.edge);
  // The restock only once the catalog is there: vend-cloud may deliver a machine's
  // commands out of issue order around its first connection, and a stock.set that
  // arrives before its product.upsert is rejected for good (reported with the failing
  // test CommandOrder.ARestockIssuedAfterALostUpsertIsNotRejected).
  for (auto& e : edges_) {
    if (!WaitProducts(*e, [](const std::map<int64_t, json>& p) {
          return p.count(kCola) > 0 && p.count(kWater) > 0;
        })) {
      throw std::runtime_error("machine " + e->machine() + " never got the catalog\n" + Logs());
    }
  }
  for (auto& e : edges_) Restock(*e, options_.initial_stock);
  const int64_t n = options_.initial_stock;
  for (auto& e : edges_) {
    const bool stocked = WaitProducts(*e, [n](const std::map<int64_t, json>& p) {
      return p.count(kCola) > 0 && p.count(kWater) > 0 && p.at(kCola)["count"] == n &&
             p.at(kWater)["count"] == n;
    });
    if (!stocked) {
      throw std::runtime_error("machine " + e->machine() + " never got its catalog and stock\n" +
                               Logs());
    }
  }
}

Fleet::~Fleet() = default;

EdgeNode& Fleet::AddEdge(const EdgeOptions& options, bool start) {
  const std::string id = test_support::UniqueMachineId("fleet");
  const std::string password = cloud::testing::ProvisionMachine(env_, id);
  edges_.push_back(std::make_unique<EdgeNode>(id, broker_->url(), password, options));
  if (start) edges_.back()->Start();
  return *edges_.back();
}

void Fleet::Restock(const EdgeNode& edge, int64_t count) {
  for (int64_t product : {kCola, kWater}) {
    CliOk({"stock", "set", edge.machine(), std::to_string(product), std::to_string(count)});
  }
}

CliResult Fleet::Cli(const std::vector<std::string>& args) {
  return cloud::testing::RunCloud(args, env_);
}

std::string Fleet::CliOk(const std::vector<std::string>& args) {
  auto r = Cli(args);
  if (r.exit_code != 0) {
    std::string line;
    for (const auto& a : args) line += " " + a;
    throw std::runtime_error("vend-cloud" + line + " exited " + std::to_string(r.exit_code) + ": " +
                             r.err);
  }
  return r.out;
}

pqxx::connection& Fleet::Pg() {
  if (!pg_ || !pg_->is_open()) pg_ = std::make_unique<pqxx::connection>(db_->url());
  return *pg_;
}

int64_t Fleet::PgInt(const std::string& sql, const std::optional<std::string>& param) {
  pqxx::nontransaction tx(Pg());
  auto r = param ? tx.exec_params(sql, *param) : tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
}

int64_t Fleet::Watermark(const std::string& machine) {
  return PgInt("SELECT watermark FROM machines WHERE id = $1", machine);
}

std::string Fleet::LedgerGap(const EdgeNode& edge, bool exact) {
  const Ledger ledger = edge.ledger();
  std::map<std::string, std::string> status;  // uuid -> status in PostgreSQL
  int64_t deposits = 0;
  {
    pqxx::nontransaction tx(Pg());
    for (const auto& r : tx.exec_params(
             "SELECT uuid::text, status FROM orders WHERE machine_id = $1", edge.machine())) {
      status[r[0].as<std::string>()] = r[1].as<std::string>();
    }
    deposits =
        tx.exec_params("SELECT count(*) FROM deposits WHERE machine_id = $1", edge.machine())[0][0]
            .as<int64_t>();
  }
  std::ostringstream gap;
  for (const auto& uuid : ledger.orders) {
    auto it = status.find(uuid);
    if (it == status.end()) {
      gap << "confirmed order " << uuid << " is not in PostgreSQL\n";
    } else if (const bool confirmed = ledger.refunded.count(uuid) > 0,
               refunded = it->second == "refunded";
               (confirmed && !refunded) || (exact && refunded && !confirmed)) {
      gap << "order " << uuid << " is " << it->second
          << " in PostgreSQL, refund confirmed: " << ledger.refunded.count(uuid) << "\n";
    }
  }
  if (deposits < ledger.deposits || (exact && deposits != ledger.deposits)) {
    gap << "PostgreSQL has " << deposits << " deposits, the kiosk confirmed " << ledger.deposits
        << "\n";
  }
  if (exact && status.size() != ledger.orders.size()) {
    gap << "PostgreSQL has " << status.size() << " orders, the kiosk confirmed "
        << ledger.orders.size() << "\n";
  }
  return gap.str();
}

std::string Fleet::QuiescenceGap() {
  for (auto& e : edges_) {
    if (!e->running()) return "machine " + e->machine() + " is not running";
    const json h = e->Health();
    if (!h.is_object()) return "machine " + e->machine() + " does not answer /healthz";
    const int64_t depth = h["outbox"]["depth"].get<int64_t>();
    const int64_t last = h["outbox"]["last_seq"].get<int64_t>();
    const int64_t w = Watermark(e->machine());
    if (depth != 0 || w != last) {
      return "machine " + e->machine() + ": outbox depth " + std::to_string(depth) + ", last_seq " +
             std::to_string(last) + ", cloud watermark " + std::to_string(w) + ", sync " +
             h["sync"].dump();
    }
  }
  const int64_t pending = PgInt("SELECT count(*) FROM commands WHERE status = 'pending'");
  if (pending > 0) return std::to_string(pending) + " command(s) pending in the cloud";
  return "";
}

std::string Fleet::Quiesce(std::chrono::milliseconds timeout) {
  std::string gap;
  WaitUntil(
      [&] {
        gap = QuiescenceGap();
        return gap.empty();
      },
      timeout);
  return gap;
}

FleetCheckResult RunFleetCheckBinary(const std::vector<std::string>& args) {
  return RunProgram(FLEET_CHECK_BIN, args);
}

FleetCheckResult RunProgram(const std::string& binary, const std::vector<std::string>& args) {
  test_support::TempDir dir("vend-fleet-run-");
  const pid_t pid = Spawn(binary, args, dir.path() / "out", dir.path() / "err");
  FleetCheckResult r;
  r.exit_code = Reap(pid);
  r.out = ReadFile(dir.path() / "out");
  r.err = ReadFile(dir.path() / "err");
  return r;
}

FleetCheckResult Fleet::RunFleetCheck(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--pg", db_->url()};
  args.insert(args.end(), extra.begin(), extra.end());
  for (auto& e : edges_) args.push_back(e->machine() + "=" + e->db().string());
  return RunFleetCheckBinary(args);
}

std::string Fleet::CommandHistory(const EdgeNode& edge) {
  std::map<std::string, std::string> at_edge;  // command id -> "outcome@seq"
  sqlite3* db = nullptr;
  const std::string uri = "file:" + edge.db().string() + "?mode=ro";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT id, outcome, seq FROM applied_commands", -1, &st, nullptr) ==
        SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        at_edge[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
            std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) + "@seq" +
            std::to_string(sqlite3_column_int64(st, 2));
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  std::ostringstream out;
  out << "commands of " << edge.machine() << " (n type data | cloud status sends | edge):\n";
  pqxx::nontransaction tx(Pg());
  for (const auto& r :
       tx.exec_params("SELECT n, id::text, type, data::text, status, sent_count FROM commands "
                      "WHERE machine_id = $1 ORDER BY n",
                      edge.machine())) {
    auto it = at_edge.find(r[1].as<std::string>());
    out << "  " << r[0].as<int64_t>() << " " << r[2].as<std::string>() << " "
        << r[3].as<std::string>() << " | " << r[4].as<std::string>() << " " << r[5].as<int64_t>()
        << " | " << (it == at_edge.end() ? "-" : it->second) << "\n";
  }
  return out.str();
}

std::string Fleet::Logs() const {
  std::string out;
  for (size_t i = 0; i < clouds_.size(); ++i) {
    out += "---- vend-cloud " + std::to_string(i) + " log (tail)\n" + Tail(clouds_[i]->Log(), 3000);
  }
  for (const auto& e : edges_) {
    out += "---- vend-edge " + e->machine() + " log (tail)\n" + Tail(e->Log(), 3000);
  }
  return out;
}

// ---------------------------------------------------------------------------- FleetTest

Fleet& FleetTest::StartFleet(FleetOptions options) {
  fleet_ = std::make_unique<Fleet>(std::move(options));
  return *fleet_;
}

void FleetTest::ExpectConsistent() {
  ASSERT_TRUE(fleet_) << "no fleet was started";
  const std::string gap = fleet_->Quiesce();
  EXPECT_EQ(gap, "") << "the fleet did not quiesce\n" << fleet_->Logs();
  const FleetCheckResult check = fleet_->RunFleetCheck();
  if (check.exit_code != 0) {
    std::string history;
    for (size_t i = 0; i < fleet_->edges(); ++i) history += fleet_->CommandHistory(fleet_->edge(i));
    ADD_FAILURE() << "fleet-check exited " << check.exit_code << ":\n"
                  << check.out << check.err << history << fleet_->Logs();
  }
  std::cout << check.out;
}

void FleetTest::TearDown() {
  if (fleet_) ExpectConsistent();
}

}  // namespace vend::fleet_test
