#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vend::test_support {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

HttpReply Failed(std::string what) {
  HttpReply r;
  r.error = std::move(what) + ": " + std::strerror(errno);
  return r;
}

// Owns one socket descriptor.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string Serialize(const HttpRequestSpec& spec, const std::string& host_header) {
  std::string out = spec.method + " " + spec.target + " HTTP/1.1\r\n";
  out += "Host: " + host_header + "\r\n";
  out += "Connection: close\r\n";
  for (const auto& [name, value] : spec.headers) out += name + ": " + value + "\r\n";
  if (spec.chunked) {
    out += "Transfer-Encoding: chunked\r\n\r\n";
    constexpr size_t kChunk = 8192;
    char size_line[32];
    for (size_t pos = 0; pos < spec.body.size(); pos += kChunk) {
      const size_t n = std::min(kChunk, spec.body.size() - pos);
      std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
      out += size_line;
      out.append(spec.body, pos, n);
      out += "\r\n";
    }
    out += "0\r\n\r\n";
    return out;
  }
  const bool has_body = !spec.body.empty() || spec.method == "POST" || spec.method == "PUT";
  if (spec.content_length || has_body) {
    out += "Content-Length: " + std::to_string(spec.content_length.value_or(spec.body.size())) +
           "\r\n";
  }
  out += "\r\n";
  out += spec.body;
  return out;
}

// Decodes a complete chunked body starting at `data`; false while more bytes are needed.
bool DecodeChunked(const std::string& data, std::string& body) {
  body.clear();
  size_t pos = 0;
  while (true) {
    const size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    const size_t size = std::strtoul(data.c_str() + pos, nullptr, 16);
    pos = eol + 2;
    if (size == 0) return data.find("\r\n", pos) != std::string::npos;  // end of trailers
    if (data.size() < pos + size + 2) return false;
    body.append(data, pos, size);
    pos += size + 2;
  }
}

// Parses `raw` into `reply` if it holds a complete response. `at_eof` says the server
// has closed the connection, which ends a body without a length.
bool ParseResponse(const std::string& raw, bool head_request, bool at_eof, HttpReply& reply) {
  size_t start = 0;
  while (true) {
    const size_t header_end = raw.find("\r\n\r\n", start);
    if (header_end == std::string::npos) return false;
    const std::string head = raw.substr(start, header_end - start);
    const size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    const size_t sp = status_line.find(' ');
    if (sp == std::string::npos) return false;
    const int status = std::atoi(status_line.c_str() + sp + 1);
    if (status >= 100 && status < 200) {  // interim response: the real one follows
      start = header_end + 4;
      continue;
    }
    reply.status = status;
    reply.headers.clear();
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string::npos) eol = head.size();
      const std::string line = head.substr(pos, eol - pos);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        reply.headers[Lower(line.substr(0, colon))] = value;
      }
      pos = eol + 2;
    }
    const std::string rest = raw.substr(header_end + 4);
    if (head_request) {
      // A HEAD reply has no content; read to the end so stray bytes show up in `body`.
      reply.body = rest;
      return at_eof;
    }
    if (status == 204 || status == 304) {
      reply.body.clear();
      return true;
    }
    if (Lower(reply.Header("transfer-encoding")).find("chunked") != std::string::npos) {
      return DecodeChunked(rest, reply.body);
    }
    const std::string length = reply.Header("content-length");
    if (!length.empty()) {
      const size_t n = std::strtoull(length.c_str(), nullptr, 10);
      if (rest.size() < n) return false;
      reply.body = rest.substr(0, n);
      return true;
    }
    reply.body = rest;
    return at_eof;
  }
}

}  // namespace

std::string HttpReply::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? std::string() : it->second;
}

std::ostream& operator<<(std::ostream& os, const HttpReply& reply) {
  constexpr size_t kShown = 400;
  os << "HTTP " << reply.status;
  if (!reply.error.empty()) os << " (" << reply.error << ")";
  os << " body=" << reply.body.substr(0, kShown);
  if (reply.body.size() > kShown) os << "...(" << reply.body.size() << " bytes)";
  return os;
}

HttpClient::HttpClient(int port, std::string host, std::chrono::milliseconds timeout)
    : port_(port), host_(std::move(host)), timeout_(timeout) {}

HttpReply HttpClient::Send(const HttpRequestSpec& spec) const {
  Socket sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) return Failed("socket");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
  ::setsockopt(sock.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(sock.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    errno = EINVAL;
    return Failed("bad host " + host_);
  }
  if (::connect(sock.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Failed("connect to port " + std::to_string(port_));
  }

  // A server may answer (e.g. 413) and close before reading everything we send; keep
  // going to read that answer rather than reporting the failed send.
  const std::string request = Serialize(spec, host_ + ":" + std::to_string(port_));
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(sock.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }

  std::string raw;
  HttpReply reply;
  const bool head = spec.method == "HEAD";
  char buf[16384];
  while (true) {
    const ssize_t n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      HttpReply failed = Failed("recv after " + std::to_string(raw.size()) + " bytes");
      if (ParseResponse(raw, head, /*at_eof=*/false, reply)) return reply;
      return failed;
    }
    if (n == 0) {
      if (ParseResponse(raw, head, /*at_eof=*/true, reply)) return reply;
      HttpReply failed;
      failed.error = "connection closed after " + std::to_string(raw.size()) +
                     " bytes without a complete response";
      return failed;
    }
    raw.append(buf, static_cast<size_t>(n));
    if (ParseResponse(raw, head, /*at_eof=*/false, reply)) return reply;
  }
}

HttpReply HttpClient::Get(const std::string& target) const {
  HttpRequestSpec spec;
  spec.target = target;
  return Send(spec);
}

HttpReply HttpClient::Post(const std::string& target, const std::string& content_type,
                           const std::string& body) const {
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.target = target;
  spec.headers.emplace_back("Content-Type", content_type);
  spec.body = body;
  return Send(spec);
}

HttpReply HttpClient::PostJson(const std::string& target, const std::string& json) const {
  return Post(target, "application/json", json);
}

HttpReply HttpClient::PostForm(const std::string& target, const std::string& form) const {
  return Post(target, "application/x-www-form-urlencoded", form);
}

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace vend::test_support
