#include "vend/http/http_types.h"

#include <nlohmann/json.hpp>

#include <cctype>

namespace vend::http {

using nlohmann::json;

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPaymentRequired:
      return 402;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kTooLarge:
      return 413;
    case Code::kUnsupportedMedia:
      return 415;
    case Code::kTooManyRequests:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse ErrorResponse(const Status& status, const std::string& request_id) {
  int code = HttpStatusFor(status.code());
  json err{{"code", status.reason()}, {"message", status.message()}};
  if (code >= 500) {
    if (code == 500) {
      err["code"] = "internal";
      err["message"] = "Internal server error (request id " + request_id + ")";
    }
    err["request_id"] = request_id;
  }
  HttpResponse r;
  r.status = code;
  r.body = json{{"error", err}}.dump();
  return r;
}

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i) {
      same = k[i] == static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    }
    if (same) return v;
  }
  return "";
}

}  // namespace vend::http
