// DynsecProvisioner: creates machine credentials through Mosquitto's dynamic-security
// plugin (JSON commands on $CONTROL/dynamic-security/v1, answers read from
// $CONTROL/dynamic-security/v1/response, matched by correlationData).
//
// For machine M it creates role "machine-M", which may publish only
// vend/v1/m/M/{events,telemetry,status} and subscribe to and receive only
// vend/v1/m/M/{ack,commands} (an explicit lower-priority deny on vend/v1/m/# makes
// that hold whatever the broker's default ACL access is), and client (username) M with
// a random password and that role. Any client or role of that name left from an earlier
// attempt is deleted first.
//
// Thread safety: one call at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/machine_acl.h"
#include "core/ports.h"

namespace vend::cloud::mqtt {

struct DynsecOptions {
  std::string url;
  std::string username;  // a client allowed to use $CONTROL/dynamic-security/#
  std::string password;
  std::chrono::milliseconds timeout{10000};
};

class DynsecProvisioner final : public core::CredentialProvisioner {
 public:
  explicit DynsecProvisioner(DynsecOptions options);
  ~DynsecProvisioner() override;

  Result<core::MachineCredential> CreateMachineCredential(const std::string& machine) override;

  // The role name of machine `machine`.
  static std::string RoleName(const std::string& machine) { return core::MachineRoleName(machine); }

 private:
  DynsecOptions options_;
};

// A random password: 32 URL-safe base64 characters (192 bits from libsodium).
std::string RandomPassword();

}  // namespace vend::cloud::mqtt
