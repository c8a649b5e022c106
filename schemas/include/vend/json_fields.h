// Strict field readers for JSON objects received from outside the process. Each one
// returns a Status naming the field when it is missing, of the wrong type or out of
// range, so every boundary reports bad input the same way.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "vend/status.h"

namespace vend::json {

// The object's keys must all be in `allowed` (comma-free list of names).
Status OnlyKeys(const nlohmann::json& obj, std::initializer_list<std::string_view> allowed,
                std::string_view where);

// An integer in [min, max]. Floats with a fraction, strings, booleans are rejected.
Result<int64_t> Int(const nlohmann::json& obj, std::string_view key, int64_t min, int64_t max);
// A string of 1..max_bytes bytes of printable UTF-8.
Result<std::string> Text(const nlohmann::json& obj, std::string_view key, size_t max_bytes);
Result<std::string> Uuid(const nlohmann::json& obj, std::string_view key);
Result<std::string> Timestamp(const nlohmann::json& obj, std::string_view key);
Result<bool> Bool(const nlohmann::json& obj, std::string_view key);

}  // namespace vend::json
