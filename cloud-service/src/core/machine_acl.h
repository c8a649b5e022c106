// The broker ACLs of one machine (DESIGN.md section 5) as dynamic-security plugin JSON:
// the role `machine-ID` may publish only vend/v1/m/ID/{events,telemetry,status} and
// subscribe to and receive only vend/v1/m/ID/{ack,commands}; explicit low-priority
// denies close everything else whatever the broker's default access says. Used by
// `vend-cloud machine add` and by the fleet simulator's bulk provisioning.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vend::cloud::core {

std::string MachineRoleName(const std::string& machine);
// The "acls" array of the createRole command for `machine`.
nlohmann::json MachineDynsecAcls(const std::string& machine);

}  // namespace vend::cloud::core
