// Transport-independent HTTP request/response values. The cpprestsdk adapter
// (http_server.h) converts to and from these, so routing and handlers are testable and
// free of cpprestsdk headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vend/status.h"

namespace vend::http {

struct HttpRequest {
  std::string method;        // "GET", "POST", ...
  std::string path;          // raw (still percent-encoded) path, e.g. "/api/v1/products/1"
  std::string query;         // raw query string without '?'
  std::string content_type;  // header value, may be empty
  std::string body;
  std::string request_id;
  // Every request header, names lower-cased, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  // The peer's IP address as the socket saw it (no proxy headers), may be empty.
  std::string remote_address;

  // The first header of that name (matched case-insensitively), or "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The one mapping from a Status to an HTTP status code.
int HttpStatusFor(Code code);
// {"error":{"code":reason,"message":...}}; a 500 shows only a generic message and the
// request id (the details go to the log).
HttpResponse ErrorResponse(const Status& status, const std::string& request_id);

}  // namespace vend::http
