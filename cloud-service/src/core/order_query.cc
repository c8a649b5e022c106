#include "core/order_query.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>

#include "vend/ids.h"
#include "vend/url.h"

namespace vend::cloud::core {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr int64_t kMaxJsonInt = int64_t{1} << 53;

Status Bad(const std::string& param, const std::string& what) {
  return InvalidArgument(param + ": " + what);
}

}  // namespace

Result<std::map<std::string, std::string>> ParseQueryString(
    std::string_view query, const std::vector<std::string>& allowed) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) {
      if (amp == query.size()) break;
      continue;
    }
    const size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return InvalidArgument("query: bad percent-encoding");
    if (name->empty()) return InvalidArgument("query: empty parameter name");
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *name) == allowed.end()) {
      return InvalidArgument(
          (IsPrintableUtf8(*name) && name->size() <= 64 ? *name : std::string("query")) +
          ": unknown parameter");
    }
    if (!out.emplace(*name, *value).second) return Bad(*name, "given more than once");
    if (amp == query.size()) break;
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) |
                       (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint32_t(uint8_t(bytes[i + 2]));
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  auto value = [](char c) -> int {
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    return p == nullptr ? -1 : static_cast<int>(p - kB64);
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, else two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<EpochMicros> ParseIsoMicros(std::string_view iso) {
  auto t = ParseIso8601(iso);
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

std::string FormatIsoMicros(EpochMicros us) {
  return FormatIso8601(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(us))));
}

std::optional<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  bool negative = text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');  // at most 18 digits: no overflow
  }
  if (negative) {
    if (v == 0) return std::nullopt;
    v = -v;
  }
  if (v < min || v > max) return std::nullopt;
  return v;
}

std::string EncodeOrderCursor(const OrderCursor& c) {
  return Base64UrlEncode("o1|" + std::to_string(c.created_us) + "|" + c.machine + "|" +
                         std::to_string(c.order_id));
}

Result<OrderCursor> DecodeOrderCursor(std::string_view text) {
  const Status bad = Bad("cursor", "not a cursor from this API");
  if (text.empty() || text.size() > 200) return bad;
  auto raw = Base64UrlDecode(text);
  if (!raw) return bad;
  std::vector<std::string_view> parts;
  std::string_view rest = *raw;
  for (;;) {
    const size_t bar = rest.find('|');
    parts.push_back(rest.substr(0, bar));
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 1);
  }
  if (parts.size() != 4 || parts[0] != "o1") return bad;
  auto us = ParseInt(parts[1], -kMaxJsonInt * 1000, kMaxJsonInt * 1000);
  auto order = ParseInt(parts[3], 1, kMaxJsonInt);
  if (!us || !order || !IsMachineId(parts[2])) return bad;
  return OrderCursor{*us, std::string(parts[2]), *order};
}

std::string EncodeAuditCursor(const AuditCursor& c) {
  return Base64UrlEncode("a1|" + std::to_string(c.at_us) + "|" + std::to_string(c.id));
}

Result<AuditCursor> DecodeAuditCursor(std::string_view text) {
  const Status bad = Bad("cursor", "not a cursor from this API");
  if (text.empty() || text.size() > 100) return bad;
  auto raw = Base64UrlDecode(text);
  if (!raw || raw->rfind("a1|", 0) != 0) return bad;
  std::string_view rest = std::string_view(*raw).substr(3);
  const size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return bad;
  auto us = ParseInt(rest.substr(0, bar), -kMaxJsonInt * 1000, kMaxJsonInt * 1000);
  auto id = ParseInt(rest.substr(bar + 1), 1, INT64_MAX / 10);
  if (!us || !id) return bad;
  return AuditCursor{*us, *id};
}

Result<AuditFilter> ParseAuditQuery(std::string_view query) {
  auto params = ParseQueryString(query, {"actor", "action", "limit", "cursor"});
  if (!params.ok()) return params.status();
  const auto& p = *params;
  AuditFilter f;
  if (auto it = p.find("actor"); it != p.end()) {
    const auto& v = it->second;
    const bool ok =
        v.size() >= 3 && v.size() <= 32 && std::all_of(v.begin(), v.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        });
    if (!ok) return Bad("actor", "must be a user name ([A-Za-z0-9_.-]{3,32})");
    f.actor = v;
  }
  if (auto it = p.find("action"); it != p.end()) {
    const auto& v = it->second;
    const bool ok = !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || c == '_' || c == '.';
    });
    if (!ok) return Bad("action", "must be an action name like product.update");
    f.action = v;
  }
  auto limit = ParseLimit(p, "limit");
  if (!limit.ok()) return limit.status();
  f.limit = *limit;
  if (auto it = p.find("cursor"); it != p.end()) {
    auto c = DecodeAuditCursor(it->second);
    if (!c.ok()) return c.status();
    f.cursor = *c;
  }
  return f;
}

Result<int> ParseLimit(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return kDefaultPageLimit;
  auto v = ParseInt(it->second, 1, kMaxPageLimit);
  if (!v) return Bad(name, "must be an integer 1.." + std::to_string(kMaxPageLimit));
  return static_cast<int>(*v);
}

Result<OrderFilter> ParseOrderQuery(std::string_view query, bool for_csv) {
  std::vector<std::string> allowed = {"machine", "product", "customer", "status", "from", "to"};
  if (!for_csv) {
    allowed.push_back("limit");
    allowed.push_back("cursor");
  }
  auto params = ParseQueryString(query, allowed);
  if (!params.ok()) return params.status();
  const auto& p = *params;
  OrderFilter f;
  if (auto it = p.find("machine"); it != p.end()) {
    if (!IsMachineId(it->second)) return Bad("machine", "must match [A-Za-z0-9_-]{1,64}");
    f.machine = it->second;
  }
  if (auto it = p.find("product"); it != p.end()) {
    f.product = ParseInt(it->second, 1, kMaxJsonInt);
    if (!f.product) return Bad("product", "must be a product id 1..2^53");
  }
  if (auto it = p.find("customer"); it != p.end()) {
    if (it->second.empty() || it->second.size() > kMaxCustomerName ||
        !IsPrintableUtf8(it->second)) {
      return Bad("customer", "must be 1..64 bytes of printable UTF-8");
    }
    f.customer = it->second;
  }
  if (auto it = p.find("status"); it != p.end()) {
    if (it->second != "paid" && it->second != "refunded")
      return Bad("status", "must be paid or refunded");
    f.status = it->second;
  }
  for (const char* name : {"from", "to"}) {
    auto it = p.find(name);
    if (it == p.end()) continue;
    auto us = ParseIsoMicros(it->second);
    if (!us) return Bad(name, "must be an ISO 8601 UTC time like 2026-11-26T20:03:51.123Z");
    (std::string_view(name) == "from" ? f.from : f.to) = us;
  }
  if (f.from && f.to && *f.from >= *f.to) return Bad("from", "must be before to");
  if (!for_csv) {
    auto limit = ParseLimit(p, "limit");
    if (!limit.ok()) return limit.status();
    f.limit = *limit;
    if (auto it = p.find("cursor"); it != p.end()) {
      auto c = DecodeOrderCursor(it->second);
      if (!c.ok()) return c.status();
      f.cursor = *c;
    }
  }
  return f;
}

std::string CsvCell(std::string_view value) {
  std::string cell;
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                         value[0] == '\t' || value[0] == '\r')) {
    cell.push_back('\'');
  }
  cell.append(value);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string CsvRow(const std::vector<std::string>& cells) {
  std::string row;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) row.push_back(',');
    row += CsvCell(cells[i]);
  }
  row += "\r\n";
  return row;
}

}  // namespace vend::cloud::core
