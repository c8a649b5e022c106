// Identifiers: UUIDs for events, orders and commands; machine ids; timestamps.
// All functions are thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vend {

// A new random UUID (version 7: 48-bit Unix milliseconds, then random bits), in the
// canonical lower-case 8-4-4-4-12 form. Time-ordered, so it indexes well.
std::string NewUuid();

// True for a canonical 36-character UUID string (any version, either case).
bool IsUuid(std::string_view s);

// True for a machine id as DESIGN.md section 4 allows: [A-Za-z0-9_-]{1,64}.
bool IsMachineId(std::string_view s);

// UTC time as ISO 8601 with milliseconds, e.g. "2026-11-26T17:30:00.123Z".
std::string FormatIso8601(std::chrono::system_clock::time_point t);
std::string NowIso8601();
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only). nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view s);

// True when s is valid UTF-8 without control characters (U+0000..U+001F, U+007F).
bool IsPrintableUtf8(std::string_view s);

}  // namespace vend
