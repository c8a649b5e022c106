#include "cloud_harness.h"

#include <fcntl.h>
#include <mqtt/async_client.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

#include "support/free_port.h"
#include "support/http_client.h"

#ifndef VEND_CLOUD_BIN
#error "VEND_CLOUD_BIN must name the vend-cloud binary"
#endif

extern char** environ;

namespace vend::cloud::testing {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Spawns vend-cloud with stdout/stderr into files; returns the pid.
pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::filesystem::path& out, const std::filesystem::path& err) {
  std::vector<std::string> argv_s = {VEND_CLOUD_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : merged) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot start ") + VEND_CLOUD_BIN);
  return pid;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int64_t QueryInt(const std::string& pg_url, const std::string& sql) {
  pqxx::connection c(pg_url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  return r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
}

int64_t Watermark(const std::string& pg_url, const std::string& machine) {
  pqxx::connection c(pg_url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec_params("SELECT watermark FROM machines WHERE id = $1", machine);
  return r.empty() ? -1 : r[0][0].as<int64_t>();
}

EdgeState CloudState(const std::string& pg_url, const std::string& machine) {
  pqxx::connection c(pg_url);
  pqxx::work tx(c);
  EdgeState s;
  s.events = tx.exec_params("SELECT count(*) FROM edge_events WHERE machine_id = $1", machine)[0][0]
                 .as<int64_t>();
  auto o = tx.exec_params(
      "SELECT count(*), count(*) FILTER (WHERE status = 'refunded'), "
      "coalesce(sum(price) FILTER (WHERE status = 'paid'), 0) FROM orders WHERE machine_id = $1",
      machine);
  s.orders = o[0][0].as<int64_t>();
  s.refunded = o[0][1].as<int64_t>();
  s.paid_cents = o[0][2].as<int64_t>();
  auto d = tx.exec_params(
      "SELECT count(*), coalesce(sum(amount), 0) FROM deposits WHERE machine_id = $1", machine);
  s.deposits = d[0][0].as<int64_t>();
  s.deposit_cents = d[0][1].as<int64_t>();
  for (const auto& r : tx.exec_params(
           "SELECT customer_id, balance FROM customers WHERE machine_id = $1", machine)) {
    s.balances[r[0].as<int64_t>()] = r[1].as<int64_t>();
  }
  for (const auto& r :
       tx.exec_params("SELECT product_id, count FROM stock WHERE machine_id = $1", machine)) {
    s.stock[r[0].as<int64_t>()] = r[1].as<int64_t>();
  }
  return s;
}

std::map<std::string, std::string> CloudEnv(const std::string& pg_url,
                                            const test_support::BrokerEndpoint& broker) {
  return {{"VEND_PG_URL", pg_url},
          {"VEND_MQTT_URL", broker.url},
          {"VEND_MQTT_CLOUD_USER", broker.cloud.username},
          {"VEND_MQTT_CLOUD_PASSWORD", broker.cloud.password}};
}

CliResult RunCloud(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env) {
  test_support::TempDir dir("vend-cloud-cli-");
  auto out = dir.path() / "out", err = dir.path() / "err";
  pid_t pid = Spawn(args, env, out, err);
  CliResult r;
  r.exit_code = Reap(pid);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

std::string ProvisionMachine(const std::map<std::string, std::string>& env, const std::string& id) {
  auto r = RunCloud({"machine", "add", id, "--format", "env"}, env);
  if (r.exit_code != 0) throw std::runtime_error("machine add " + id + " failed: " + r.err);
  // KEY='value' lines.
  std::map<std::string, std::string> vars;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    vars[line.substr(0, eq)] = v;
  }
  if (vars["VEND_MACHINE_ID"] != id || vars["VEND_MQTT_USER"] != id ||
      vars["VEND_MQTT_URL"] != env.at("VEND_MQTT_URL") || vars["VEND_MQTT_PASSWORD"].size() < 24) {
    throw std::runtime_error("machine add " + id + " printed unexpected lines:\n" + r.out);
  }
  return vars["VEND_MQTT_PASSWORD"];
}

CloudProcess::CloudProcess(std::map<std::string, std::string> env,
                           std::vector<std::string> extra_args)
    : env_(std::move(env)), extra_args_(std::move(extra_args)), dir_("vend-cloud-proc-") {}

CloudProcess::~CloudProcess() {
  if (pid_ > 0) Kill();
}

void CloudProcess::Start() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = test_support::FreeLoopbackPort();
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--log-level", "info"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    ++starts_;
    pid_ = Spawn(args, env_, dir_.path() / "out.log", dir_.path() / "cloud.log");
    test_support::HttpClient http(port_, "127.0.0.1", 1s);
    bool healthy = WaitUntil(
        [&] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return true;
          }
          return http.Get("/healthz").status == 200;
        },
        20s);
    if (healthy && pid_ > 0) return;
    if (pid_ > 0) Kill();
    // Exited early: retry only when the port was taken by someone else meanwhile.
    if (Log().find("ddress already in use") == std::string::npos) break;
  }
  throw std::runtime_error("vend-cloud did not become healthy; its log:\n" + Log());
}

void CloudProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  Reap(pid_);
  pid_ = -1;
}

void CloudProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  Reap(pid_);
  pid_ = -1;
}

std::string CloudProcess::Log() const { return ReadFile(dir_.path() / "cloud.log"); }

double CloudProcess::Metric(const std::string& name, const std::string& labels) const {
  test_support::HttpClient http(port_, "127.0.0.1", 5s);
  auto reply = http.Get("/metrics");
  if (reply.status != 200) throw std::runtime_error("GET /metrics failed");
  const std::string key = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream in(reply.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return std::stod(line.substr(key.size()));
  }
  return 0;
}

MachineClient::MachineClient(const std::string& url, const std::string& machine,
                             const std::string& password)
    : machine_(machine),
      password_(password),
      client_(std::make_unique<mqtt::async_client>(url, "test-" + machine,
                                                   mqtt::create_options(MQTTVERSION_5))) {
  client_->set_message_callback(
      [this](mqtt::const_message_ptr m) { OnMessage(m->get_topic(), m->get_payload_str()); });
}

MachineClient::~MachineClient() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(5s);
  } catch (const mqtt::exception&) {
    // The broker may be gone already: nothing to release.
  }
}

void MachineClient::BeginConnect() {
  auto opts = mqtt::connect_options_builder()
                  .mqtt_version(MQTTVERSION_5)
                  .clean_start(true)
                  .user_name(machine_)
                  .password(password_)
                  .connect_timeout(5s)
                  .finalize();
  connecting_ = std::static_pointer_cast<void>(client_->connect(opts));
}

void MachineClient::Connected() {
  auto tok = std::static_pointer_cast<mqtt::token>(connecting_);
  if (!tok->wait_for(10s)) throw std::runtime_error("machine " + machine_ + " connect timed out");
  for (const char* kind : {"ack", "commands"}) {
    int rc = Subscribe("vend/v1/m/" + machine_ + "/" + kind);
    if (rc >= 0x80) throw std::runtime_error("machine " + machine_ + " may not subscribe " + kind);
  }
}

int MachineClient::Subscribe(const std::string& filter) {
  try {
    auto tok = client_->subscribe(filter, 1);
    if (!tok->wait_for(10s)) throw std::runtime_error("subscribe timed out");
    auto codes = tok->get_subscribe_response().get_reason_codes();
    return codes.empty() ? 0 : static_cast<int>(codes[0]);
  } catch (const mqtt::exception& e) {
    // Paho reports a refusing SUBACK as an error; its reason code is the answer.
    return e.get_reason_code() >= 0x80 ? e.get_reason_code() : 0x80;
  }
}

int MachineClient::Publish(const std::string& topic, const std::string& payload, bool retained) {
  try {
    auto tok = client_->publish(topic, payload.data(), payload.size(), 1, retained);
    if (!tok->wait_for(10s)) throw std::runtime_error("publish timed out");
    return static_cast<int>(tok->get_reason_code());
  } catch (const mqtt::exception& e) {
    return e.get_reason_code() != 0 ? e.get_reason_code() : -1;
  }
}

int MachineClient::PublishEvents(const std::string& payload) {
  return Publish("vend/v1/m/" + machine_ + "/events", payload);
}

void MachineClient::PublishStatus(bool online) {
  schemas::Presence p;
  p.online = online;
  p.version = "test-1";
  Publish("vend/v1/m/" + machine_ + "/status", schemas::EncodePresence(p).dump(), true);
}

void MachineClient::OnMessage(const std::string& topic, const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  if (topic.size() > 4 && topic.compare(topic.size() - 4, 4, "/ack") == 0) {
    auto ack = schemas::DecodeAck(j);
    if (ack.ok()) {
      last_ack_ = std::max(last_ack_, ack->upto);
      ++acks_;
    }
  } else {
    auto batch = schemas::DecodeCommandBatch(j);
    if (batch.ok()) {
      for (auto& c : batch->commands) commands_.push_back(std::move(c));
    }
  }
  cv_.notify_all();
}

int64_t MachineClient::LastAck() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_ack_;
}

size_t MachineClient::AckCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_;
}

bool MachineClient::WaitAck(int64_t upto, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return last_ack_ >= upto; });
}

std::vector<schemas::Command> MachineClient::Commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

bool MachineClient::WaitCommands(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return commands_.size() >= n; });
}

}  // namespace vend::cloud::testing
