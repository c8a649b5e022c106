// Who makes an admin change, for the audit log: written in the transaction of the change.
#pragma once

#include <cstdint>
#include <string>

namespace vend::cloud::core {

struct Actor {
  int64_t account_id = 0;
  std::string username;
  std::string request_id;
  std::string remote_addr;
};

// Portal roles (DESIGN.md section 3).
inline constexpr int kRoleUser = 100;   // operator: read-only fleet view
inline constexpr int kRoleAdmin = 300;  // manages everything

}  // namespace vend::cloud::core
