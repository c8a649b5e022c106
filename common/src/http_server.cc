#include "vend/http/http_server.h"

// cpprestsdk's U() macro breaks fmt's templates; we never need it.
#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <chrono>

#include "vend/ids.h"

namespace vend::http {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

struct HttpServer::Impl {
  std::string listen;
  size_t max_body_bytes;
  Handler handler;
  std::unique_ptr<http_listener> listener;
  bool open = false;

  void Reply(http_request& req, const HttpResponse& out, const std::string& request_id,
             std::chrono::steady_clock::time_point start) {
    http_response resp(static_cast<web::http::status_code>(out.status));
    resp.set_body(std::vector<unsigned char>(out.body.begin(), out.body.end()));
    resp.headers().set_content_type(out.content_type);
    resp.headers().add("X-Request-Id", request_id);
    for (const auto& [k, v] : out.headers) resp.headers().add(k, v);
    req.reply(resp).then([request_id](pplx::task<void> t) {
      try {
        t.get();
      } catch (const std::exception& e) {
        spdlog::warn("http reply failed request_id={} error={}", request_id, e.what());
      }
    });
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("http request_id={} method={} path={} status={} bytes={} duration_ms={:.3f}",
                 request_id, req.method(), req.relative_uri().path(), out.status, out.body.size(),
                 ms);
  }

  // The request body, read in pieces: at most `max` bytes are kept and anything past the
  // limit is read and dropped, so memory stays bounded whatever a client announces or
  // streams (cpprestsdk answers only after the whole request has been read).
  struct BodyReader {
    concurrency::streams::streambuf<uint8_t> in;
    size_t max;
    bool too_large;
    std::string body;
    std::array<uint8_t, 64 * 1024> chunk;
  };

  static pplx::task<void> ReadBody(std::shared_ptr<BodyReader> r) {
    return r->in.getn(r->chunk.data(), r->chunk.size()).then([r](size_t n) {
      if (n == 0) return pplx::task_from_result();
      if (!r->too_large && r->body.size() + n > r->max) {
        r->too_large = true;
        std::string().swap(r->body);
      }
      if (!r->too_large) r->body.append(reinterpret_cast<const char*>(r->chunk.data()), n);
      return ReadBody(r);
    });
  }

  void OnRequest(http_request req) {
    const auto start = std::chrono::steady_clock::now();
    std::string request_id = NewUuid();
    // `new` without parentheses leaves the 64 KiB chunk buffer uninitialized: most
    // requests have no body, and make_shared would zero-fill it for each of them.
    std::shared_ptr<BodyReader> reader(new BodyReader);
    reader->in = req.body().streambuf();
    reader->max = max_body_bytes;
    reader->too_large = req.headers().content_length() > max_body_bytes;
    ReadBody(reader)
        .then([this, req, request_id, start, reader](pplx::task<void> read) mutable {
          try {
            read.get();
          } catch (const std::exception& e) {
            spdlog::warn("http body read failed request_id={} error={}", request_id, e.what());
            Reply(req,
                  ErrorResponse(InvalidArgument("the request body could not be read"), request_id),
                  request_id, start);
            return;
          }
          if (reader->too_large) {
            Reply(req,
                  ErrorResponse(
                      Status(Code::kTooLarge, "payload_too_large",
                             "request body is over " + std::to_string(max_body_bytes) + " bytes"),
                      request_id),
                  request_id, start);
            return;
          }
          HttpRequest in;
          in.body = std::move(reader->body);
          in.method = req.method();
          in.path = req.relative_uri().path();
          in.query = req.relative_uri().query();
          in.request_id = request_id;
          auto ct = req.headers().find(web::http::header_names::content_type);
          if (ct != req.headers().end()) in.content_type = ct->second;
          in.headers.reserve(req.headers().size());
          for (const auto& [name, value] : req.headers()) {
            std::string lower = name;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            in.headers.emplace_back(std::move(lower), value);
          }
          in.remote_address = req.remote_address();
          HttpResponse out;
          try {
            out = handler(in);
          } catch (const std::exception& e) {
            spdlog::error("http handler threw request_id={} error={}", request_id, e.what());
            out = ErrorResponse(Internal(""), request_id);
          }
          // A HEAD answer is the GET answer without its body, whatever the handler did.
          if (in.method == "HEAD") out.body.clear();
          Reply(req, out, request_id, start);
        })
        .then([request_id](pplx::task<void> t) {
          try {
            t.get();
          } catch (const std::exception& e) {
            spdlog::error("http request failed request_id={} error={}", request_id, e.what());
          }
        });
  }
};

HttpServer::HttpServer(std::string listen, size_t max_body_bytes, Handler handler)
    : impl_(new Impl{std::move(listen), max_body_bytes, std::move(handler), nullptr, false}) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetThreadPoolSize(size_t threads) {
  crossplat::threadpool::initialize_with_threads(threads);
}

Status HttpServer::Start() {
  auto addr = ParseListenAddress(impl_->listen);
  if (!addr.ok()) return addr.status();
  try {
    web::uri_builder uri;
    uri.set_scheme("http").set_host(addr->first).set_port(addr->second);
    http_listener_config config;
    config.set_timeout(std::chrono::seconds(30));
    impl_->listener = std::make_unique<http_listener>(uri.to_uri(), config);
    impl_->listener->support([impl = impl_.get()](http_request req) { impl->OnRequest(req); });
    impl_->listener->open().wait();
    impl_->open = true;
  } catch (const std::exception& e) {
    impl_->listener.reset();
    return Status(Code::kUnavailable, "listen_failed",
                  "cannot listen on " + impl_->listen + ": " + e.what());
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->open) return;
  impl_->open = false;
  try {
    impl_->listener->close().wait();
  } catch (const std::exception& e) {
    spdlog::warn("http listener close failed: {}", e.what());
  }
}

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("listen address must be HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("listen port must be a number, got '" + port_text + "'");
  }
  int port = std::stoi(port_text);
  if (port < 1 || port > 65535) return InvalidArgument("listen port must be 1..65535");
  return std::make_pair(host, port);
}

}  // namespace vend::http
