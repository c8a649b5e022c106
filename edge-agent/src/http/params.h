// Request parameters as the seed's Flask backend accepted them: a JSON object body,
// a form-encoded body, or query parameters. Body fields override query parameters.
// JSON values keep their types (a string where an integer is expected is a 400); form
// and query values are strings and are parsed strictly.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "vend/http/http_types.h"
#include "vend/status.h"

namespace vend::edge::http {

using vend::http::ErrorResponse;
using vend::http::HttpRequest;
using vend::http::HttpResponse;
using vend::http::HttpStatusFor;

class Params {
 public:
  // 400 for malformed JSON or a non-object JSON body or a bad form escape, 415 for an
  // unsupported content type.
  static Result<Params> FromRequest(const HttpRequest& req);

  bool Has(std::string_view key) const;
  // Missing → nullopt; present but not a string → 400.
  Result<std::optional<std::string>> String(std::string_view key) const;
  // Missing → nullopt; not an integer (or an integer string for form/query) → 400.
  Result<std::optional<int64_t>> Int(std::string_view key) const;

 private:
  nlohmann::json fields_ = nlohmann::json::object();
  // Keys whose value came from a form body or the query string: text to be parsed.
  // JSON values keep their JSON type and are never parsed from text.
  std::set<std::string, std::less<>> text_keys_;
};

}  // namespace vend::edge::http
