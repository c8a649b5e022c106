// HttpClient: a small blocking HTTP/1.1 client over POSIX sockets, for tests that speak
// to a real listener. Each request opens a new connection, sends exactly the bytes it
// is told to (no normalization of the target, so tests can send hostile paths), asks
// the server to close the connection and reads one response. The reply to a HEAD is
// read until the server closes, and any bytes after its headers (there must be none)
// are kept in `body`.
//
// Transport failures are not exceptions: the reply then has status 0 and `error` says
// what went wrong, so an assertion on the status shows the cause and a failing request
// in a worker thread cannot take the process down.
//
// Thread safety: an HttpClient is immutable after construction; any number of threads
// may send through the same one concurrently.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace vend::test_support {

struct HttpRequestSpec {
  std::string method = "GET";
  std::string target = "/";  // sent verbatim on the request line
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Send the body with Transfer-Encoding: chunked instead of Content-Length.
  bool chunked = false;
  // Send this Content-Length instead of the body's real size (e.g. to announce more
  // than is sent). Ignored when `chunked`.
  std::optional<size_t> content_length;
};

struct HttpReply {
  int status = 0;  // 0: the exchange failed, see `error`
  std::string error;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" when absent. `name` is matched case-insensitively.
  std::string Header(const std::string& name) const;
};

// For gtest failure messages: status, error and the start of the body.
std::ostream& operator<<(std::ostream& os, const HttpReply& reply);

class HttpClient {
 public:
  explicit HttpClient(int port, std::string host = "127.0.0.1",
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  HttpReply Send(const HttpRequestSpec& spec) const;

  HttpReply Get(const std::string& target) const;
  HttpReply Post(const std::string& target, const std::string& content_type,
                 const std::string& body) const;
  HttpReply PostJson(const std::string& target, const std::string& json) const;
  HttpReply PostForm(const std::string& target, const std::string& form) const;

  int port() const { return port_; }

 private:
  int port_;
  std::string host_;
  std::chrono::milliseconds timeout_;
};

// Percent-encodes every byte outside RFC 3986's unreserved set, for query and form
// values.
std::string UrlEncode(const std::string& s);

}  // namespace vend::test_support
