#include "http/params.h"

#include <algorithm>
#include <cctype>

#include "vend/url.h"

namespace vend::edge::http {
namespace {

// Parses "a=1&b=2" into `out` (later keys win). 400 on a malformed escape.
Status ParseForm(std::string_view s, nlohmann::json& out,
                 std::set<std::string, std::less<>>& text_keys) {
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return InvalidArgument("malformed percent-encoding in parameters");
    out[*key] = *value;
    text_keys.insert(*key);
  }
  return Status::Ok();
}

std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }),
          t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

std::string Quote(std::string_view key) { return "'" + std::string(key) + "'"; }

}  // namespace

Result<Params> Params::FromRequest(const HttpRequest& req) {
  Params p;
  if (auto s = ParseForm(req.query, p.fields_, p.text_keys_); !s.ok()) return s;
  if (req.body.empty()) return p;
  std::string type = MediaType(req.content_type);
  if (type == "application/json") {
    auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return InvalidArgument("request body is not valid JSON");
    if (!body.is_object()) return InvalidArgument("request body must be a JSON object");
    for (auto& [k, v] : body.items()) {
      p.fields_[k] = v;
      p.text_keys_.erase(k);
    }
    return p;
  }
  if (type == "application/x-www-form-urlencoded") {
    if (auto s = ParseForm(req.body, p.fields_, p.text_keys_); !s.ok()) return s;
    return p;
  }
  return Status(Code::kUnsupportedMedia, "unsupported_media_type",
                "send application/json or application/x-www-form-urlencoded, not '" +
                    (type.empty() ? std::string("none") : type) + "'");
}

bool Params::Has(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  return it != fields_.end() && !it->is_null();
}

Result<std::optional<std::string>> Params::String(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return InvalidArgument(Quote(key) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<int64_t>> Params::Int(std::string_view key) const {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end() || it->is_null()) return std::optional<int64_t>();
  const auto bad = InvalidArgument(Quote(key) + " must be an integer in the int64 range");
  if (it->is_number_unsigned()) {
    auto u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return bad;
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (!it->is_string() || text_keys_.count(key) == 0) return bad;
  // Form and query values: an optional '-' then 1..19 digits, nothing else.
  const std::string& s = it->get_ref<const std::string&>();
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  if (i == s.size() || s.size() - i > 19) return bad;
  uint64_t mag = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return bad;
    mag = mag * 10 + static_cast<uint64_t>(s[k] - '0');
  }
  bool neg = i == 1;
  if (mag > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0)) return bad;
  int64_t v = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return std::optional<int64_t>(v);
}

}  // namespace vend::edge::http
