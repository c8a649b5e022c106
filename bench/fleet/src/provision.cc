#include "provision.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "core/machine_acl.h"
#include "mqtt_wire.h"
#include "vend/topics.h"

namespace vend::bench {
namespace {

using nlohmann::json;
using schemas::TopicKind;

constexpr const char* kControlTopic = "$CONTROL/dynamic-security/v1";
constexpr const char* kResponseTopic = "$CONTROL/dynamic-security/v1/response";
// The plugin's defaults for a password set through createClient.
constexpr int kPbkdf2Iterations = 101;
constexpr size_t kSaltBytes = 12;
constexpr size_t kHashBytes = 64;

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

Status Failed(const std::string& what) { return Status(Code::kUnavailable, "provision", what); }

// A blocking MQTT v5 session for the admin API: one request at a time.
class AdminSession {
 public:
  ~AdminSession() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Open(const std::string& host, uint16_t port, const std::string& user,
              const std::string& password) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    timeval tv{120, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return Failed("connect to the broker: " + std::string(std::strerror(errno)));
    }
    mqtt::ConnectOptions c;
    c.client_id = "fleet-sim-admin-" + std::to_string(::getpid());
    c.username = user;
    c.password = password;
    c.clean_start = true;
    c.keep_alive_s = 300;
    if (auto s = Write(mqtt::EncodeConnect(c)); !s.ok()) return s;
    auto p = Read();
    if (!p.ok()) return p.status();
    auto ack = mqtt::DecodeConnack(p->body);
    if (p->type != mqtt::kConnack || !ack.ok() || ack->reason != 0) {
      return Failed("the broker refused the admin credential");
    }
    if (auto s = Write(mqtt::EncodeSubscribe(1, {kResponseTopic}, 0)); !s.ok()) return s;
    p = Read();
    if (!p.ok()) return p.status();
    auto sub = mqtt::DecodeSuback(p->body);
    if (p->type != mqtt::kSuback || !sub.ok() || sub->reasons.empty() || sub->reasons[0] >= 0x80) {
      return Failed("the admin user may not read " + std::string(kResponseTopic));
    }
    return Status::Ok();
  }

  // Sends one control message and returns the plugin's answer.
  Result<json> Request(const json& commands) {
    const std::string payload = commands.dump();
    if (auto s =
            Write(mqtt::EncodePublishHeader(kControlTopic, payload.size(), 0, false, 0) + payload);
        !s.ok()) {
      return s;
    }
    for (;;) {
      auto p = Read();
      if (!p.ok()) return p.status();
      if (p->type != mqtt::kPublish) continue;
      auto pub = mqtt::DecodePublish(p->flags, p->body);
      if (!pub.ok() || pub->topic != kResponseTopic) continue;
      auto j = json::parse(pub->payload, nullptr, false);
      if (j.is_discarded()) return Failed("unreadable dynamic-security answer");
      return j;
    }
  }

 private:
  Status Write(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t w = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return Failed("send to the broker: " + std::string(std::strerror(errno)));
      off += static_cast<size_t>(w);
    }
    return Status::Ok();
  }

  Result<mqtt::Packet> Read() {
    buf_.erase(0, used_);
    used_ = 0;
    for (;;) {
      mqtt::Packet p;
      size_t used = 0;
      auto f = mqtt::NextPacket(buf_, &p, &used);
      if (f == mqtt::Framing::kPacket) {
        used_ = used;
        return p;
      }
      if (f == mqtt::Framing::kMalformed) return Failed("malformed packet from the broker");
      char chunk[65536];
      const ssize_t r = ::recv(fd_, chunk, sizeof chunk, 0);
      if (r <= 0) return Failed("no answer from the broker");
      buf_.append(chunk, static_cast<size_t>(r));
    }
  }

  int fd_ = -1;
  std::string buf_;
  size_t used_ = 0;
};

}  // namespace

std::vector<Credential> NewCredentials(const std::string& prefix, size_t count) {
  std::vector<Credential> out;
  out.reserve(count);
  for (size_t i = 1; i <= count; ++i) {
    char id[80];
    std::snprintf(id, sizeof id, "%s-%05zu", prefix.c_str(), i);
    unsigned char raw[24];
    if (RAND_bytes(raw, sizeof raw) != 1) std::abort();  // no randomness: nothing is safe
    std::string pw = Base64(raw, sizeof raw);
    for (char& c : pw) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    out.push_back({id, pw});
  }
  return out;
}

Status SaveCredentials(const std::string& path, const std::vector<Credential>& creds) {
  const std::string tmp = path + ".tmp";
  {
    const mode_t old = ::umask(077);
    std::ofstream f(tmp, std::ios::trunc);
    ::umask(old);
    for (const auto& c : creds) f << c.id << ' ' << c.password << '\n';
    if (!f.good()) return Failed("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Failed("cannot write " + path);
  return Status::Ok();
}

Result<std::vector<Credential>> LoadCredentials(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Failed("cannot read " + path);
  std::vector<Credential> out;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    Credential c;
    if (!(in >> c.id >> c.password)) continue;
    out.push_back(std::move(c));
  }
  if (out.empty()) return Failed(path + " holds no credentials");
  return out;
}

Status WriteDynsecConfig(const std::string& path, const std::vector<Credential>& creds) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Failed("cannot stat " + path);
  json config;
  {
    std::ifstream f(path);
    config = json::parse(f, nullptr, false);
  }
  if (!config.is_object()) return Failed(path + " is not a dynamic-security config");
  std::set<std::string> users, roles;
  for (const auto& c : creds) {
    users.insert(c.id);
    roles.insert(vend::cloud::core::MachineRoleName(c.id));
  }
  json clients = json::array(), role_list = json::array();
  for (const auto& c : config.value("clients", json::array())) {
    if (!users.count(c.value("username", ""))) clients.push_back(c);
  }
  for (const auto& r : config.value("roles", json::array())) {
    if (!roles.count(r.value("rolename", ""))) role_list.push_back(r);
  }
  for (const auto& c : creds) {
    unsigned char salt[kSaltBytes], hash[kHashBytes];
    if (RAND_bytes(salt, sizeof salt) != 1) std::abort();
    if (PKCS5_PBKDF2_HMAC(c.password.data(), static_cast<int>(c.password.size()), salt, sizeof salt,
                          kPbkdf2Iterations, EVP_sha512(), sizeof hash, hash) != 1) {
      return Failed("PBKDF2 failed");
    }
    role_list.push_back({{"rolename", vend::cloud::core::MachineRoleName(c.id)},
                         {"acls", vend::cloud::core::MachineDynsecAcls(c.id)}});
    clients.push_back(
        {{"username", c.id},
         {"textname", "vend-edge machine " + c.id},
         {"roles", {{{"rolename", vend::cloud::core::MachineRoleName(c.id)}, {"priority", 0}}}},
         {"password", Base64(hash, sizeof hash)},
         {"salt", Base64(salt, sizeof salt)},
         {"iterations", kPbkdf2Iterations}});
  }
  config["clients"] = std::move(clients);
  config["roles"] = std::move(role_list);
  const std::string tmp = path + ".fleet-sim.tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << config.dump(1);
    if (!f.good()) return Failed("cannot write " + tmp);
  }
  if (::chown(tmp.c_str(), st.st_uid, st.st_gid) != 0 || ::chmod(tmp.c_str(), st.st_mode) != 0 ||
      std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Failed("cannot replace " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ProvisionDynsecOnline(const std::string& host, uint16_t port, const std::string& admin_user,
                             const std::string& admin_password,
                             const std::vector<Credential>& creds, size_t per_message) {
  AdminSession session;
  if (auto s = session.Open(host, port, admin_user, admin_password); !s.ok()) return s;
  for (size_t start = 0; start < creds.size(); start += per_message) {
    json commands = json::array();
    for (size_t i = start; i < std::min(creds.size(), start + per_message); ++i) {
      const auto& c = creds[i];
      commands.push_back({{"command", "createRole"},
                          {"rolename", vend::cloud::core::MachineRoleName(c.id)},
                          {"acls", vend::cloud::core::MachineDynsecAcls(c.id)}});
      commands.push_back(
          {{"command", "createClient"},
           {"username", c.id},
           {"password", c.password},
           {"textname", "vend-edge machine " + c.id},
           {"roles", {{{"rolename", vend::cloud::core::MachineRoleName(c.id)}, {"priority", 0}}}}});
    }
    auto answer = session.Request({{"commands", commands}});
    if (!answer.ok()) return answer.status();
    const auto& responses = (*answer)["responses"];
    if (!responses.is_array() || responses.size() != commands.size()) {
      return Failed("unexpected dynamic-security answer: " + answer->dump().substr(0, 300));
    }
    for (const auto& r : responses) {
      if (r.contains("error")) return Failed("dynamic-security refused: " + r.dump());
    }
  }
  return Status::Ok();
}

Status InsertMachines(const std::string& pg_url, const std::vector<Credential>& creds) {
  try {
    pqxx::connection conn(pg_url);
    pqxx::work tx(conn);
    // Catalog changes take ROW EXCLUSIVE on products: none can commit until we do.
    tx.exec("LOCK TABLE products IN SHARE MODE");
    const auto catalog =
        tx.exec("SELECT count(*) FROM products WHERE NOT removed")[0][0].as<int64_t>();
    if (catalog != 0) {
      return Status(Code::kConflict, "catalog_not_empty",
                    "the catalog has " + std::to_string(catalog) +
                        " product(s); `vend-cloud machine add` would queue their product.upsert "
                        "commands, which this bulk path does not: provision with an empty catalog");
    }
    json ids = json::array();
    for (const auto& c : creds) ids.push_back(c.id);
    tx.exec_params(
        "INSERT INTO machines (id, mqtt_username) SELECT x, x FROM "
        "jsonb_array_elements_text($1::jsonb) "
        "AS x ON CONFLICT (id) DO NOTHING",
        ids.dump());
    tx.commit();
  } catch (const std::exception& e) {
    return Failed(std::string("inserting machines: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace vend::bench
