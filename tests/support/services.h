// Test access to the local services of scripts/services: the broker and PostgreSQL that
// the ctest fixture `vend_services` starts once per run (SharedServices), fresh databases
// on that PostgreSQL (TestDatabase), and private brokers for tests that stop, restart or
// kill one (TestBroker).
//
// Which broker to use: the shared one for tests whose subscriptions name their own
// machines (vend/v1/m/<id>/...); ctest runs tests in parallel against it, so every test
// uses machine ids from UniqueMachineId. A test that subscribes to every machine
// (vend/v1/m/+/..., the shared subscription $share/vend-cloud/..., i.e. anything that runs
// vend-cloud) would receive, and acknowledge, other tests' traffic there: it takes a
// TestBroker (about 0.3 s to start).
//
// Errors: every failure throws std::runtime_error whose message says what went wrong and
// what to do; gtest reports an exception from a test body or fixture as that test's
// failure.
//
// Thread safety: SharedServices::Get() and UniqueMachineId() may be called from any
// thread. A TestDatabase or TestBroker object is not synchronized: one thread at a time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace vend::test_support {

struct MqttCredentials {
  std::string username;
  std::string password;
};

// What DIR/broker.env says (scripts/services broker-start).
struct BrokerEndpoint {
  std::string url;  // tcp://127.0.0.1:PORT
  std::string host;
  int port = 0;
  MqttCredentials admin;    // dynamic-security administrator
  MqttCredentials cloud;    // vend-cloud: reads every machine's uplink, writes ack/commands
  MqttCredentials monitor;  // vend-monitor: reads telemetry and status only
};

// What DIR/pg.env says (scripts/services pg-start). The role may create databases.
struct PostgresEndpoint {
  std::string url;  // postgresql://vend:PASSWORD@127.0.0.1:PORT/vend
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
  std::string database;

  // The URL of another database on the same server, as the same role.
  std::string UrlFor(const std::string& database_name) const;
};

// Parse DIR/broker.env and DIR/pg.env; throw when a file or a variable is missing.
BrokerEndpoint ReadBrokerEnv(const std::filesystem::path& dir);
PostgresEndpoint ReadPostgresEnv(const std::filesystem::path& dir);

// Runs `scripts/services ARGS...` and returns its standard output; throws with the
// script's standard error when it exits non-zero.
std::string RunServicesScript(const std::vector<std::string>& args);

// "<prefix>-<pid>-<n><random>": a machine id (DESIGN.md section 4) no other test process
// of this run uses. `prefix` must be a valid id of at most 40 characters.
std::string UniqueMachineId(const std::string& prefix);

// The broker and PostgreSQL of the ctest fixture `vend_services`, found through
// VEND_TEST_SERVICES_DIR (set by vend_service_test in tests/services/CMakeLists.txt).
class SharedServices {
 public:
  // Reads the environment files once; throws (telling to run through ctest) when the
  // variable is missing or the files are not there.
  static const SharedServices& Get();

  const std::filesystem::path& dir() const { return dir_; }
  const BrokerEndpoint& broker() const { return broker_; }
  const PostgresEndpoint& postgres() const { return postgres_; }

  // Provisions machine `id` on the shared broker (scripts/services broker-add-machine)
  // and returns its MQTT password; the same id again returns the same password.
  std::string AddMachine(const std::string& id) const;

 private:
  explicit SharedServices(std::filesystem::path dir);

  std::filesystem::path dir_;
  BrokerEndpoint broker_;
  PostgresEndpoint postgres_;
};

// A fresh, empty database with a unique name on a PostgreSQL server (by default the
// shared one), owned by the vend role; dropped WITH (FORCE) on destruction, so connections
// still open to it do not keep it alive.
class TestDatabase {
 public:
  TestDatabase();
  explicit TestDatabase(const PostgresEndpoint& server);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  PostgresEndpoint server_;
  std::string name_;
  std::string url_;
};

// A broker of its own, in a temporary directory, started through scripts/services with
// the same configuration, users and ACLs as the shared one. It keeps its port, data and
// credentials across Stop()/Start() and Kill()/Start(). The destructor stops it and
// removes the directory.
class TestBroker {
 public:
  TestBroker();  // started
  ~TestBroker();
  TestBroker(const TestBroker&) = delete;
  TestBroker& operator=(const TestBroker&) = delete;

  // SIGTERM: the broker saves sessions and queued messages before it exits.
  void Stop();
  // Starts it again on the same port. No-op when it runs.
  void Start();
  // SIGKILL: whatever arrived since the last save (at most 60 s) is lost, as in a crash.
  void Kill();

  // Provisions machine `id` on this broker and returns its password.
  std::string AddMachine(const std::string& id);

  const BrokerEndpoint& endpoint() const { return endpoint_; }
  const std::string& url() const { return endpoint_.url; }
  const MqttCredentials& admin() const { return endpoint_.admin; }
  const MqttCredentials& cloud() const { return endpoint_.cloud; }
  const MqttCredentials& monitor() const { return endpoint_.monitor; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  BrokerEndpoint endpoint_;
};

}  // namespace vend::test_support
