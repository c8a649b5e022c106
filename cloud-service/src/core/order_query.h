// The admin API's query strings and exports, without I/O: parsing and validating the
// orders filters and their opaque keyset cursor, and CSV encoding.
//
// Every parse error is InvalidArgument whose message starts with the offending
// parameter's name ("limit: must be 1..200"), so the API answers 400 naming it.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vend/status.h"

namespace vend::cloud::core {

// Parses "a=1&b=x%20y" (percent-decoding, '+' as space). InvalidArgument for a bad
// escape, an empty or repeated name, or a name not in `allowed` (when not empty).
Result<std::map<std::string, std::string>> ParseQueryString(
    std::string_view query, const std::vector<std::string>& allowed = {});

// Base64url without padding (RFC 4648 section 5). Decode is strict: no padding, no
// other characters, and unused trailing bits must be zero (one text per byte string).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Microseconds since the Unix epoch: PostgreSQL's timestamptz resolution, so a cursor
// position is exact.
using EpochMicros = int64_t;
std::optional<EpochMicros> ParseIsoMicros(std::string_view iso);
std::string FormatIsoMicros(EpochMicros us);  // "2026-11-26T20:03:51.123Z" (milliseconds)

// The position after the last row of an orders page, in the page's order
// (created_at DESC, machine_id DESC, order_id DESC).
struct OrderCursor {
  EpochMicros created_us = 0;
  std::string machine;
  int64_t order_id = 0;
  bool operator==(const OrderCursor& o) const {
    return created_us == o.created_us && machine == o.machine && order_id == o.order_id;
  }
};
// Opaque to clients: base64url of "o1|<created_us>|<machine>|<order_id>".
std::string EncodeOrderCursor(const OrderCursor& c);
Result<OrderCursor> DecodeOrderCursor(std::string_view text);  // error names "cursor"

inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 200;
inline constexpr size_t kMaxCustomerName = 64;

// GET /api/v1/orders (and orders.csv, which takes no limit or cursor).
struct OrderFilter {
  std::optional<std::string> machine;   // [A-Za-z0-9_-]{1,64}
  std::optional<int64_t> product;       // 1..2^53
  std::optional<std::string> customer;  // exact user_name, 1..64 printable bytes
  std::optional<std::string> status;    // "paid" | "refunded"
  std::optional<EpochMicros> from;      // created_at >= from
  std::optional<EpochMicros> to;        // created_at < to
  int limit = kDefaultPageLimit;
  std::optional<OrderCursor> cursor;
};
// `for_csv`: limit and cursor are unknown parameters. Also rejects from >= to.
Result<OrderFilter> ParseOrderQuery(std::string_view query, bool for_csv);

// The position after the last entry of an audit page (at DESC, id DESC).
struct AuditCursor {
  EpochMicros at_us = 0;
  int64_t id = 0;
  bool operator==(const AuditCursor& o) const { return at_us == o.at_us && id == o.id; }
};
// Opaque: base64url of "a1|<at_us>|<id>".
std::string EncodeAuditCursor(const AuditCursor& c);
Result<AuditCursor> DecodeAuditCursor(std::string_view text);  // error names "cursor"

// GET /api/v1/audit: ?actor=username&action=&limit=1..200(50)&cursor=
struct AuditFilter {
  std::optional<std::string> actor;   // ^[A-Za-z0-9_.-]{3,32}$ (match case-insensitively)
  std::optional<std::string> action;  // e.g. "product.update": [a-z_.]{1,64}
  int limit = kDefaultPageLimit;
  std::optional<AuditCursor> cursor;
};
Result<AuditFilter> ParseAuditQuery(std::string_view query);

// "1".."200" (or the default when absent); the error names `name`.
Result<int> ParseLimit(const std::map<std::string, std::string>& params, const std::string& name);
// A strictly decimal integer in [min, max] (no sign unless negative, no spaces).
std::optional<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max);

// One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF (quotes
// doubled); a cell starting with = + - @ (or tab/CR) is prefixed with ' so spreadsheets
// do not evaluate it as a formula.
std::string CsvCell(std::string_view value);
// The cells joined with ',' and terminated by CRLF.
std::string CsvRow(const std::vector<std::string>& cells);

}  // namespace vend::cloud::core
