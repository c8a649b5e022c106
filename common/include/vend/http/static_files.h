// Serving a directory of static files (the kiosk UI, the admin portal) safely: the path
// is percent-decoded, every segment must be a plain name (no "..", ".", hidden files,
// NUL or backslash), the file must be a regular file inside the root after resolving
// symlinks, and the answer carries a content type by extension, `Cache-Control:
// no-cache` and `X-Content-Type-Options: nosniff`. Anything else is a JSON 404.
//
// With `spa_fallback`, a path whose last segment has no '.' and names no file (history-
// API routes such as "/machines/M-1") serves the root's index.html instead.
//
// Thread safety: pure functions of the file system; callable from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "vend/http/http_types.h"

namespace vend::http {

struct StaticFilesOptions {
  std::string root;           // directory served as "/"
  bool spa_fallback = false;  // extension-less misses serve index.html
};

// Answers a GET or HEAD for `request.path` from the root (the caller checks the method).
HttpResponse ServeStatic(const HttpRequest& request, const StaticFilesOptions& options);

// The Content-Type for a file name by its extension; application/octet-stream when
// unknown.
std::string ContentTypeFor(const std::filesystem::path& file);

}  // namespace vend::http
