// Helpers shared by the codecs in this library (not part of its public interface).
#pragma once

#include <utility>

// Reads a field into `out` or returns the field's error from the enclosing function.
#define VEND_READ(out, expr)          \
  do {                                \
    auto r_ = (expr);                 \
    if (!r_.ok()) return r_.status(); \
    out = std::move(r_).value();      \
  } while (0)

// Returns the Status from the enclosing function unless it is ok.
#define VEND_RETURN_IF_ERROR(expr) \
  do {                             \
    auto s_ = (expr);              \
    if (!s_.ok()) return s_;       \
  } while (0)

namespace vend::schemas::internal {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace vend::schemas::internal
