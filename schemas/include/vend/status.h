// Status and Result<T>: how every module reports an expected failure.
//
// A Status is either ok or carries a Code (the class of failure, which maps to one
// HTTP status at the edge of the system), a short machine-readable reason such as
// "out_of_stock", and a human message. Exceptions are reserved for what ends the
// operation unexpectedly; adapters catch library exceptions and return a Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vend {

enum class Code {
  kOk,
  kInvalidArgument,   // malformed or ill-typed input (400)
  kUnauthenticated,   // credential missing (401)
  kPaymentRequired,   // balance too low (402)
  kPermissionDenied,  // credential does not own the resource (403)
  kNotFound,          // unknown entity or route (404)
  kConflict,          // state forbids the operation (409)
  kTooLarge,          // request body over the limit (413)
  kUnsupportedMedia,  // unsupported content type (415)
  kTooManyRequests,   // rate limit reached (429)
  kUnavailable,       // dependency temporarily unavailable (503)
  kInternal,          // bug or I/O failure (500)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Stable snake_case identifier of the failure, e.g. "out_of_stock".
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : reason_ + ": " + message_; }

 private:
  Code code_ = Code::kOk;
  std::string reason_;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return Status(Code::kInvalidArgument, "bad_request", std::move(message));
}
inline Status NotFound(std::string message) {
  return Status(Code::kNotFound, "not_found", std::move(message));
}
inline Status Internal(std::string message) {
  return Status(Code::kInternal, "internal", std::move(message));
}

// A value or a non-ok Status, never both.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vend
