// What the admin API's authentication layer (AdminApi) hands to the handlers behind it
// once the caller is known: the request, its path below /api/v1/ split into
// percent-decoded segments, and the signed-in account.
//
// AdminApi has already answered 401 (no session), 403 (unapproved, or a mutating method
// without the admin role) and the CSRF check; a handler only routes (404/405),
// validates its input and does the work.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/actor.h"
#include "vend/http/http_types.h"

namespace vend::cloud::http {

struct Principal {
  int64_t account_id = 0;
  std::string username;
  int role = core::kRoleUser;
  bool approved = false;
};

struct AdminRequest {
  const vend::http::HttpRequest& http;
  std::vector<std::string> segments;  // "/api/v1/machines/M-1" -> {"machines", "M-1"}
  Principal principal;

  core::Actor actor() const {
    return {principal.account_id, principal.username, http.request_id, http.remote_address};
  }
};

// A handler for the routes AdminApi does not own itself.
using AdminHandler = std::function<vend::http::HttpResponse(const AdminRequest&)>;

}  // namespace vend::cloud::http
