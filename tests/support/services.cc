#include "support/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>

#ifndef VEND_SOURCE_DIR
#error "VEND_SOURCE_DIR must name the source tree (tests/support/CMakeLists.txt sets it)"
#endif

namespace vend::test_support {

namespace fs = std::filesystem;

namespace {

using EnvFile = std::map<std::string, std::string>;

EnvFile ReadEnvFile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("cannot read " + file.string() +
                             ": is the service started (scripts/services, or the ctest fixture "
                             "vend_services)?");
  }
  EnvFile values;
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos || line[0] == '#') continue;
    values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

std::string Required(const EnvFile& env, const fs::path& file, const std::string& key) {
  auto it = env.find(key);
  if (it == env.end() || it->second.empty()) {
    throw std::runtime_error(file.string() + " has no " + key);
  }
  return it->second;
}

int RequiredPort(const EnvFile& env, const fs::path& file, const std::string& key) {
  const std::string value = Required(env, file, key);
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    throw std::runtime_error(file.string() + ": " + key + " is not a port: " + value);
  }
}

// Quotes `s` for /bin/sh: inside single quotes nothing is special but the quote itself.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string RandomHex(size_t digits) {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < digits; ++i) out += kHex[rd() % 16];
  return out;
}

std::atomic<unsigned> g_counter{0};

}  // namespace

std::string PostgresEndpoint::UrlFor(const std::string& database_name) const {
  return "postgresql://" + user + ":" + password + "@" + host + ":" + std::to_string(port) + "/" +
         database_name;
}

BrokerEndpoint ReadBrokerEnv(const fs::path& dir) {
  const fs::path file = dir / "broker.env";
  const EnvFile env = ReadEnvFile(file);
  BrokerEndpoint b;
  b.url = Required(env, file, "VEND_MQTT_URL");
  b.host = Required(env, file, "VEND_MQTT_HOST");
  b.port = RequiredPort(env, file, "VEND_MQTT_PORT");
  b.admin = {Required(env, file, "VEND_MQTT_ADMIN_USER"),
             Required(env, file, "VEND_MQTT_ADMIN_PASSWORD")};
  b.cloud = {Required(env, file, "VEND_MQTT_CLOUD_USER"),
             Required(env, file, "VEND_MQTT_CLOUD_PASSWORD")};
  b.monitor = {Required(env, file, "VEND_MQTT_MONITOR_USER"),
               Required(env, file, "VEND_MQTT_MONITOR_PASSWORD")};
  return b;
}

PostgresEndpoint ReadPostgresEnv(const fs::path& dir) {
  const fs::path file = dir / "pg.env";
  const EnvFile env = ReadEnvFile(file);
  PostgresEndpoint p;
  p.url = Required(env, file, "VEND_PG_URL");
  p.host = Required(env, file, "VEND_PG_HOST");
  p.port = RequiredPort(env, file, "VEND_PG_PORT");
  p.user = Required(env, file, "VEND_PG_USER");
  p.password = Required(env, file, "VEND_PG_PASSWORD");
  p.database = Required(env, file, "VEND_PG_DB");
  return p;
}

std::string RunServicesScript(const std::vector<std::string>& args) {
  // Standard error goes to a file so the script's messages can be shown on failure while
  // standard output stays clean data (e.g. "ID PASSWORD").
  TempDir scratch("vend-services-run-");
  const fs::path err_file = scratch.path() / "stderr";
  std::string command = ShellQuote(std::string(VEND_SOURCE_DIR) + "/scripts/services");
  for (const std::string& a : args) command += " " + ShellQuote(a);
  command += " 2>" + ShellQuote(err_file.string()) + " </dev/null";

  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    std::ifstream err(err_file);
    std::stringstream err_text;
    err_text << err.rdbuf();
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    throw std::runtime_error("scripts/services " + (args.empty() ? "" : args[0]) +
                             " failed (exit " + std::to_string(code) + "):\n" + err_text.str());
  }
  return out;
}

std::string UniqueMachineId(const std::string& prefix) {
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++) +
         RandomHex(4);
}

namespace {

// Parses the "ID PASSWORD" line of broker-add-machine.
std::string PasswordFromAddMachine(const std::string& id, const std::string& out) {
  std::istringstream in(out);
  std::string got_id, password;
  if (!(in >> got_id >> password) || got_id != id) {
    throw std::runtime_error("broker-add-machine " + id + " printed '" + out +
                             "', not 'ID PASSWORD'");
  }
  return password;
}

}  // namespace

SharedServices::SharedServices(fs::path dir)
    : dir_(std::move(dir)), broker_(ReadBrokerEnv(dir_)), postgres_(ReadPostgresEnv(dir_)) {}

const SharedServices& SharedServices::Get() {
  static const SharedServices* instance = [] {
    const char* dir = std::getenv("VEND_TEST_SERVICES_DIR");
    if (dir == nullptr || *dir == '\0') {
      throw std::runtime_error(
          "VEND_TEST_SERVICES_DIR is not set: run this test through ctest, whose fixture "
          "vend_services starts the broker and PostgreSQL (e.g. ctest -R <test name>)");
    }
    return new SharedServices(dir);  // lives for the whole process, never destroyed
  }();
  return *instance;
}

std::string SharedServices::AddMachine(const std::string& id) const {
  return PasswordFromAddMachine(id, RunServicesScript({"broker-add-machine", dir_.string(), id}));
}

TestDatabase::TestDatabase() : TestDatabase(SharedServices::Get().postgres()) {}

TestDatabase::TestDatabase(const PostgresEndpoint& server)
    : server_(server),
      name_("test_" + std::to_string(::getpid()) + "_" + std::to_string(g_counter++) + "_" +
            RandomHex(8)),
      url_(server.UrlFor(name_)) {
  try {
    pqxx::connection conn(server_.url);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot create test database " + name_ + " on " + server_.host + ":" +
                             std::to_string(server_.port) + ": " + e.what());
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection conn(server_.url);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    // A leftover database is harmless (the fixture recreates the cluster each run): report
    // it, never throw from a destructor.
    std::fprintf(stderr, "TestDatabase: cannot drop %s: %s\n", name_.c_str(), e.what());
  }
}

TestBroker::TestBroker() : dir_("vend-broker-") {
  // mkdtemp makes the directory 0700; the broker runs as user mosquitto and must enter it.
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
  try {
    Start();
    endpoint_ = ReadBrokerEnv(dir_.path());
  } catch (...) {
    // No destructor runs for a half-built object: stop whatever did start before the
    // directory goes away.
    try {
      Stop();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "TestBroker: %s\n", e.what());
    }
    throw;
  }
}

TestBroker::~TestBroker() {
  try {
    RunServicesScript({"broker-stop", dir_.path().string()});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "TestBroker: %s\n", e.what());
  }
}

void TestBroker::Stop() { RunServicesScript({"broker-stop", dir_.path().string()}); }

void TestBroker::Start() { RunServicesScript({"broker-start", dir_.path().string()}); }

void TestBroker::Kill() { RunServicesScript({"broker-kill", dir_.path().string()}); }

std::string TestBroker::AddMachine(const std::string& id) {
  return PasswordFromAddMachine(
      id, RunServicesScript({"broker-add-machine", dir_.path().string(), id}));
}

}  // namespace vend::test_support
