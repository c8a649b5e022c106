#include "mqtt/dynsec_provisioner.h"

#include <mqtt/async_client.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/machine_acl.h"
#include "vend/ids.h"

namespace vend::cloud::mqtt {
namespace {

using nlohmann::json;

constexpr const char* kControlTopic = "$CONTROL/dynamic-security/v1";
constexpr const char* kResponseTopic = "$CONTROL/dynamic-security/v1/response";

// Collects dynsec responses by correlationData.
class ResponseWaiter {
 public:
  void Deliver(const std::string& payload) {
    json j = json::parse(payload, nullptr, false);
    if (!j.is_object() || !j.contains("responses") || !j["responses"].is_array()) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : j["responses"]) {
      if (r.is_object() && r.contains("correlationData") && r["correlationData"].is_string()) {
        responses_[r["correlationData"].get<std::string>()] = r;
      }
    }
    cv_.notify_all();
  }

  // Waits until every id has a response or the deadline passes.
  std::map<std::string, json> WaitFor(const std::vector<std::string>& ids,
                                      std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& id : ids)
        if (!responses_.count(id)) return false;
      return true;
    });
    return responses_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, json> responses_;
};

}  // namespace

std::string RandomPassword() {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run at all: nothing is safe
  unsigned char raw[24];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

DynsecProvisioner::DynsecProvisioner(DynsecOptions options) : options_(std::move(options)) {}

DynsecProvisioner::~DynsecProvisioner() = default;

Result<core::MachineCredential> DynsecProvisioner::CreateMachineCredential(
    const std::string& machine) {
  if (!IsMachineId(machine)) return InvalidArgument("invalid machine id '" + machine + "'");
  const std::string role = RoleName(machine);
  core::MachineCredential cred{machine, RandomPassword()};

  const json acls = core::MachineDynsecAcls(machine);

  const std::string tag = NewUuid();
  auto id = [&](const char* step) { return tag + ":" + step; };
  json cleanup = {
      {"commands",
       {{{"command", "deleteClient"},
         {"username", machine},
         {"correlationData", id("deleteClient")}},
        {{"command", "deleteRole"}, {"rolename", role}, {"correlationData", id("deleteRole")}}}}};
  json create = {{"commands",
                  {{{"command", "createRole"},
                    {"rolename", role},
                    {"acls", acls},
                    {"correlationData", id("createRole")}},
                   {{"command", "createClient"},
                    {"username", machine},
                    {"password", cred.password},
                    {"textname", "vend-edge machine " + machine},
                    {"roles", {{{"rolename", role}, {"priority", 0}}}},
                    {"correlationData", id("createClient")}}}}};

  ResponseWaiter waiter;
  try {
    ::mqtt::async_client client(options_.url, "vend-cloud-admin-" + NewUuid(),
                                ::mqtt::create_options(MQTTVERSION_5));
    client.set_message_callback(
        [&waiter](::mqtt::const_message_ptr m) { waiter.Deliver(m->get_payload_str()); });
    auto opts = ::mqtt::connect_options_builder()
                    .mqtt_version(MQTTVERSION_5)
                    .clean_start(true)
                    .user_name(options_.username)
                    .password(options_.password)
                    .finalize();
    if (!client.connect(opts)->wait_for(options_.timeout)) {
      return Status(Code::kUnavailable, "mqtt_unavailable", "broker did not answer CONNECT");
    }
    auto sub = client.subscribe(kResponseTopic, 1);
    if (!sub->wait_for(options_.timeout)) {
      return Status(Code::kUnavailable, "mqtt_unavailable", "broker did not answer SUBSCRIBE");
    }
    auto codes = sub->get_subscribe_response().get_reason_codes();
    if (!codes.empty() && codes[0] >= 0x80) {
      return Status(Code::kPermissionDenied, "dynsec_denied",
                    "user '" + options_.username + "' may not use the dynamic-security plugin");
    }
    client.publish(kControlTopic, cleanup.dump(), 1, false)->wait_for(options_.timeout);
    // Deleting what does not exist fails harmlessly; only wait so creation follows it.
    waiter.WaitFor({id("deleteClient"), id("deleteRole")}, options_.timeout);
    client.publish(kControlTopic, create.dump(), 1, false)->wait_for(options_.timeout);
    auto responses = waiter.WaitFor({id("createRole"), id("createClient")}, options_.timeout);
    client.disconnect()->wait_for(std::chrono::seconds(2));
    for (const char* step : {"createRole", "createClient"}) {
      auto it = responses.find(id(step));
      if (it == responses.end()) {
        return Status(Code::kUnavailable, "dynsec_no_answer",
                      std::string("no answer to ") + step +
                          ": is the dynamic-security plugin loaded and the user allowed?");
      }
      if (it->second.contains("error")) {
        return Status(Code::kInternal, "dynsec_error",
                      std::string(step) + " failed: " + it->second["error"].dump());
      }
    }
  } catch (const ::mqtt::exception& e) {
    return Status(Code::kUnavailable, "mqtt_unavailable",
                  "talking to the broker at " + options_.url + " failed: " + e.what());
  }
  spdlog::info("machine credential created machine={} role={}", machine, role);
  return cred;
}

}  // namespace vend::cloud::mqtt
