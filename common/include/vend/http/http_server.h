// HttpServer: the cpprestsdk adapter. Accepts connections on one address, reads each
// request (keeping at most the body limit in memory and answering 413 past it), hands
// an HttpRequest to the handler on cpprestsdk's thread pool, writes the HttpResponse
// (without its body for a HEAD), and logs one line per request with its request id. No cpprestsdk type appears here.
//
// Thread safety: Start and Stop from one thread; the handler is called concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "vend/http/http_types.h"
#include "vend/status.h"

namespace vend::http {

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // `listen` is "HOST:PORT", e.g. "127.0.0.1:8080".
  HttpServer(std::string listen, size_t max_body_bytes, Handler handler);
  ~HttpServer();

  // Binds and starts serving; an error when the address is invalid or taken.
  Status Start();
  // Stops accepting and waits for in-flight requests. Idempotent.
  void Stop();

  // Sizes cpprestsdk's process-wide thread pool; call once before the first Start.
  static void SetThreadPoolSize(size_t threads);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" (port 1..65535). An error names what is wrong.
Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen);

}  // namespace vend::http
