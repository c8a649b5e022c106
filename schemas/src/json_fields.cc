#include "vend/json_fields.h"

#include <algorithm>

#include "vend/ids.h"

namespace vend::json {
namespace {

std::string Q(std::string_view key) { return "'" + std::string(key) + "'"; }

Result<const nlohmann::json*> Field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return InvalidArgument("expected a JSON object");
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return InvalidArgument("missing field " + Q(key));
  return &*it;
}

}  // namespace

Status OnlyKeys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                std::string_view where) {
  if (!obj.is_object()) return InvalidArgument(std::string(where) + " must be a JSON object");
  for (const auto& [k, v] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return InvalidArgument("unknown field " + Q(k) + " in " + std::string(where));
    }
  }
  return Status::Ok();
}

Result<int64_t> Int(const nlohmann::json& obj, std::string_view key, int64_t min, int64_t max) {
  auto f = Field(obj, key);
  if (!f.ok()) return f.status();
  const nlohmann::json& v = **f;
  int64_t n;
  if (v.is_number_integer() && v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument(Q(key) + " is out of range");
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else {
    return InvalidArgument(Q(key) + " must be an integer");
  }
  if (n < min || n > max) {
    return InvalidArgument(Q(key) + " must be between " + std::to_string(min) + " and " +
                           std::to_string(max));
  }
  return n;
}

Result<std::string> Text(const nlohmann::json& obj, std::string_view key, size_t max_bytes) {
  auto f = Field(obj, key);
  if (!f.ok()) return f.status();
  if (!(*f)->is_string()) return InvalidArgument(Q(key) + " must be a string");
  const auto& s = (*f)->get_ref<const std::string&>();
  if (s.empty()) return InvalidArgument(Q(key) + " must not be empty");
  if (s.size() > max_bytes) {
    return InvalidArgument(Q(key) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!IsPrintableUtf8(s)) return InvalidArgument(Q(key) + " must be printable UTF-8");
  return s;
}

Result<std::string> Uuid(const nlohmann::json& obj, std::string_view key) {
  auto s = Text(obj, key, 36);
  if (!s.ok()) return s.status();
  if (!IsUuid(*s)) return InvalidArgument(Q(key) + " must be a UUID");
  return s;
}

Result<std::string> Timestamp(const nlohmann::json& obj, std::string_view key) {
  auto s = Text(obj, key, 40);
  if (!s.ok()) return s.status();
  if (!ParseIso8601(*s)) return InvalidArgument(Q(key) + " must be an ISO 8601 UTC timestamp");
  return s;
}

Result<bool> Bool(const nlohmann::json& obj, std::string_view key) {
  auto f = Field(obj, key);
  if (!f.ok()) return f.status();
  if (!(*f)->is_boolean()) return InvalidArgument(Q(key) + " must be a boolean");
  return (*f)->get<bool>();
}

}  // namespace vend::json
