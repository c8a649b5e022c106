#include "support/admin_stack.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/free_port.h"

#ifndef VEND_CLOUD_BIN
#error "VEND_CLOUD_BIN must name the vend-cloud binary (tests/support/CMakeLists.txt)"
#endif

extern char** environ;

namespace vend::test_support {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Spawns vend-cloud with stdin from /dev/null and stdout/stderr appended to files.
pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::vector<std::string>& unset, const fs::path& out, const fs::path& err) {
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
  for (const auto& k : unset) merged.erase(k);
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : merged) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
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

const std::vector<std::string> kAdminVars = {"VEND_ADMIN_USERNAME", "VEND_ADMIN_PASSWORD",
                                             "VEND_ADMIN_EMAIL"};

bool IsMutating(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool HasHeader(const HttpRequestSpec& spec, const std::string& name) {
  for (const auto& [k, v] : spec.headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return true;
  }
  return false;
}

}  // namespace

std::string JsonQuote(const std::string& s) { return nlohmann::json(s).dump(); }

AdminStack::AdminStack(AdminStackOptions options)
    : options_(std::move(options)), dir_("vend-admin-stack-") {
  Start();
}

AdminStack::~AdminStack() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Reap(pid_);
    pid_ = -1;
  }
}

std::map<std::string, std::string> AdminStack::Env() const {
  std::map<std::string, std::string> env = {{"VEND_PG_URL", db_.url()},
                                            {"VEND_MQTT_URL", broker_.url()},
                                            {"VEND_MQTT_CLOUD_USER", broker_.cloud().username},
                                            {"VEND_MQTT_CLOUD_PASSWORD", broker_.cloud().password}};
  if (!options_.admin_username.empty()) {
    env["VEND_ADMIN_USERNAME"] = options_.admin_username;
    env["VEND_ADMIN_PASSWORD"] = options_.admin_password;
    env["VEND_ADMIN_EMAIL"] = options_.admin_email;
  }
  for (const auto& [k, v] : options_.extra_env) env[k] = v;
  return env;
}

void AdminStack::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  Reap(pid_);
  pid_ = -1;
}

void AdminStack::Start(std::optional<std::vector<std::string>> extra_args,
                       const std::map<std::string, std::string>& extra_env) {
  if (pid_ > 0) return;
  auto env = Env();
  for (const auto& [k, v] : extra_env) env[k] = v;
  const auto& extra = extra_args ? *extra_args : options_.extra_args;
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0) port_ = FreeLoopbackPort();
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                                     "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = Spawn(args, env, {}, dir_.path() / "out.log", dir_.path() / "cloud.log");
    HttpClient http(port_, "127.0.0.1", 1s);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool healthy = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      if (http.Get("/healthz").status == 200) {
        healthy = true;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    if (healthy) return;
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Reap(pid_);
      pid_ = -1;
    }
    // Exited early: retry only when someone else took the port meanwhile.
    if (Log().find("ddress already in use") == std::string::npos) break;
  }
  throw std::runtime_error("vend-cloud did not become healthy; its log:\n" + Log());
}

CliRun AdminStack::RunCli(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env) const {
  auto merged = Env();
  for (const auto& k : kAdminVars) merged.erase(k);
  for (const auto& [k, v] : env) merged[k] = v;
  TempDir run("vend-cloud-cli-");
  pid_t pid = Spawn(args, merged, kAdminVars, run.path() / "out", run.path() / "err");
  CliRun r;
  r.exit_code = Reap(pid);
  r.out = ReadFile(run.path() / "out");
  r.err = ReadFile(run.path() / "err");
  return r;
}

std::string AdminStack::Log() const { return ReadFile(dir_.path() / "cloud.log"); }

double AdminStack::Metric(const std::string& name, const std::string& labels) const {
  HttpClient http(port_, "127.0.0.1", 5s);
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

void AdminStack::Exec(const std::string& sql) const {
  pqxx::connection c(db_.url());
  pqxx::work tx(c);
  tx.exec(sql);
  tx.commit();
}

int64_t AdminStack::QueryInt(const std::string& sql) const {
  pqxx::connection c(db_.url());
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
}

std::string AdminStack::QueryText(const std::string& sql) const {
  pqxx::connection c(db_.url());
  pqxx::nontransaction tx(c);
  auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
}

AdminClient AdminStack::Client() const { return AdminClient(port_); }

AdminClient AdminStack::AdminSession() const {
  AdminClient c(port_);
  auto r = c.Login(options_.admin_username, options_.admin_password);
  if (r.status != 200) {
    std::ostringstream ss;
    ss << "first administrator cannot sign in: " << r;
    throw std::runtime_error(ss.str());
  }
  return c;
}

AdminClient AdminStack::CreateAccount(const std::string& username, int role, bool approved,
                                      const std::string& password) const {
  AdminClient c(port_);
  auto reg = c.Register(username, username + "@example.test", password);
  if (reg.status != 201) {
    std::ostringstream ss;
    ss << "register " << username << " failed: " << reg;
    throw std::runtime_error(ss.str());
  }
  const int64_t id = nlohmann::json::parse(reg.body).at("account").at("id").get<int64_t>();
  if (approved || role != 100) {
    auto admin = AdminSession();
    nlohmann::json patch{{"approved", approved}, {"role", role}};
    auto r = admin.PatchJson("/api/v1/accounts/" + std::to_string(id), patch.dump());
    if (r.status != 200) {
      std::ostringstream ss;
      ss << "approving " << username << " failed: " << r;
      throw std::runtime_error(ss.str());
    }
  }
  auto login = c.Login(username, password);
  if (login.status != 200) {
    std::ostringstream ss;
    ss << "login " << username << " failed: " << login;
    throw std::runtime_error(ss.str());
  }
  return c;
}

AdminClient::AdminClient(int port) : http_(port) {}

HttpReply AdminClient::Register(const std::string& username, const std::string& email,
                                const std::string& password) {
  nlohmann::json body{{"username", username}, {"email", email}, {"password", password}};
  return PostJson("/api/v1/auth/register", body.dump());
}

HttpReply AdminClient::Login(const std::string& username, const std::string& password) {
  nlohmann::json body{{"username", username}, {"password", password}};
  auto r = PostJson("/api/v1/auth/login", body.dump());
  if (r.status == 200) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("csrf_token") && j["csrf_token"].is_string()) {
      csrf_ = j["csrf_token"].get<std::string>();
    }
  }
  return r;
}

HttpReply AdminClient::Logout() {
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = "/api/v1/auth/logout";
  return Send(std::move(spec));
}

HttpReply AdminClient::Me() {
  auto r = Get("/api/v1/auth/me");
  if (r.status == 200) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("csrf_token") && j["csrf_token"].is_string()) {
      csrf_ = j["csrf_token"].get<std::string>();
    }
  }
  return r;
}

HttpReply AdminClient::Get(const std::string& target) {
  HttpRequestSpec spec;
  spec.target = target;
  return Send(std::move(spec));
}

HttpReply AdminClient::Head(const std::string& target) {
  HttpRequestSpec spec;
  spec.method = "HEAD";
  spec.target = target;
  return Send(std::move(spec));
}

HttpReply AdminClient::Delete(const std::string& target) {
  HttpRequestSpec spec;
  spec.method = "DELETE";
  spec.target = target;
  return Send(std::move(spec));
}

HttpReply AdminClient::PostJson(const std::string& target, const std::string& json) {
  return Post(target, "application/json", json);
}

HttpReply AdminClient::PutJson(const std::string& target, const std::string& json) {
  return Put(target, "application/json", json);
}

HttpReply AdminClient::PatchJson(const std::string& target, const std::string& json) {
  HttpRequestSpec spec;
  spec.method = "PATCH";
  spec.target = target;
  spec.headers.push_back({"Content-Type", "application/json"});
  spec.body = json;
  return Send(std::move(spec));
}

HttpReply AdminClient::Put(const std::string& target, const std::string& content_type,
                           const std::string& body) {
  HttpRequestSpec spec;
  spec.method = "PUT";
  spec.target = target;
  spec.headers.push_back({"Content-Type", content_type});
  spec.body = body;
  return Send(std::move(spec));
}

HttpReply AdminClient::Post(const std::string& target, const std::string& content_type,
                            const std::string& body) {
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = target;
  spec.headers.push_back({"Content-Type", content_type});
  spec.body = body;
  return Send(std::move(spec));
}

HttpReply AdminClient::Send(HttpRequestSpec spec) {
  if (!cookies_.empty() && !HasHeader(spec, "Cookie")) {
    std::string header;
    for (const auto& [k, v] : cookies_) {
      if (!header.empty()) header += "; ";
      header += k + "=" + v;
    }
    spec.headers.push_back({"Cookie", header});
  }
  if (IsMutating(spec.method) && !csrf_.empty() && !HasHeader(spec, "X-CSRF-Token")) {
    spec.headers.push_back({"X-CSRF-Token", csrf_});
  }
  auto reply = http_.Send(spec);
  Absorb(reply);
  return reply;
}

void AdminClient::Absorb(const HttpReply& reply) {
  const std::string set = reply.Header("set-cookie");
  if (set.empty()) return;
  last_set_cookie_ = set;
  const std::string pair = set.substr(0, set.find(';'));
  const size_t eq = pair.find('=');
  if (eq == std::string::npos) return;
  const std::string name = pair.substr(0, eq);
  const std::string value = pair.substr(eq + 1);
  if (value.empty() || set.find("Max-Age=0") != std::string::npos) {
    cookies_.erase(name);
  } else {
    cookies_[name] = value;
  }
}

std::string AdminClient::Cookie(const std::string& name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? "" : it->second;
}

void AdminClient::SetCookie(const std::string& name, const std::string& value) {
  cookies_[name] = value;
}

void AdminClient::ClearCookies() { cookies_.clear(); }

}  // namespace vend::test_support
