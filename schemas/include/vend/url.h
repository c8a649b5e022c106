// URL text helpers both binaries use for paths and query strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vend {

// Percent-decodes `s` (and '+' as space when `plus_is_space`, as in query strings and
// form bodies). nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// The non-empty segments of a path, still encoded: "/api//v1/x" -> {"api", "v1", "x"}.
std::vector<std::string> PathSegments(std::string_view path);

}  // namespace vend
