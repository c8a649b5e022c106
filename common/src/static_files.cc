#include "vend/http/static_files.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "vend/url.h"

namespace vend::http {
namespace {

namespace fs = std::filesystem;

HttpResponse NotFoundFile(const HttpRequest& request) {
  return ErrorResponse(NotFound("no such file"), request.request_id);
}

// `rel` resolved under `root`: the regular file's canonical path, or nullopt when it is
// missing, not a regular file, or (through a symlink) outside the root.
std::optional<fs::path> Resolve(const fs::path& root, const fs::path& rel) {
  std::error_code ec;
  const fs::path full = fs::canonical(root / rel, ec);
  if (ec || !fs::is_regular_file(full, ec)) return std::nullopt;
  auto [r, f] = std::mismatch(root.begin(), root.end(), full.begin(), full.end());
  if (r != root.end()) return std::nullopt;
  return full;
}

}  // namespace

std::string ContentTypeFor(const fs::path& p) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  const std::string ext = p.extension().string();
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return "application/octet-stream";
}

HttpResponse ServeStatic(const HttpRequest& request, const StaticFilesOptions& options) {
  auto decoded = PercentDecode(request.path, /*plus_is_space=*/false);
  if (!decoded || decoded->find('\0') != std::string::npos ||
      decoded->find('\\') != std::string::npos) {
    return NotFoundFile(request);
  }
  // Every segment must be a plain name: no "..", no ".", no hidden files.
  const auto segments = PathSegments(*decoded);
  fs::path rel;
  for (const auto& s : segments) {
    if (s[0] == '.') return NotFoundFile(request);
    rel /= s;
  }
  if (rel.empty()) rel = "index.html";
  std::error_code ec;
  const fs::path root = fs::canonical(options.root, ec);
  if (ec) {
    spdlog::error("static root {} unusable: {}", options.root, ec.message());
    return NotFoundFile(request);
  }
  auto full = Resolve(root, rel);
  if (!full && options.spa_fallback && !segments.empty() &&
      segments.back().find('.') == std::string::npos) {
    full = Resolve(root, "index.html");
  }
  if (!full) return NotFoundFile(request);
  std::ifstream in(*full, std::ios::binary);
  if (!in) return NotFoundFile(request);
  std::ostringstream ss;
  ss << in.rdbuf();
  HttpResponse resp;
  resp.content_type = ContentTypeFor(*full);
  resp.body = ss.str();
  resp.headers.emplace_back("Cache-Control", "no-cache");
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return resp;
}

}  // namespace vend::http
