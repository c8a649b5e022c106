// Money: an amount of integer cents with overflow-checked arithmetic.
// Any operation whose exact result does not fit in int64 returns nullopt instead of
// wrapping; callers turn that into a 400 (input) or a 409/500 (state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vend {

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money FromCents(int64_t cents) { return Money(cents); }

  constexpr int64_t cents() const { return cents_; }
  constexpr bool IsNegative() const { return cents_ < 0; }
  constexpr bool IsPositive() const { return cents_ > 0; }

  [[nodiscard]] std::optional<Money> Plus(Money other) const {
    int64_t r;
    if (__builtin_add_overflow(cents_, other.cents_, &r)) return std::nullopt;
    return Money(r);
  }
  [[nodiscard]] std::optional<Money> Minus(Money other) const {
    int64_t r;
    if (__builtin_sub_overflow(cents_, other.cents_, &r)) return std::nullopt;
    return Money(r);
  }
  [[nodiscard]] std::optional<Money> Times(int64_t factor) const {
    int64_t r;
    if (__builtin_mul_overflow(cents_, factor, &r)) return std::nullopt;
    return Money(r);
  }

  // "-12.05" style rendering for logs and CSV; the wire format is always cents.
  std::string ToDecimalString() const;

  friend constexpr bool operator==(Money a, Money b) { return a.cents_ == b.cents_; }
  friend constexpr bool operator!=(Money a, Money b) { return a.cents_ != b.cents_; }
  friend constexpr bool operator<(Money a, Money b) { return a.cents_ < b.cents_; }
  friend constexpr bool operator<=(Money a, Money b) { return a.cents_ <= b.cents_; }
  friend constexpr bool operator>(Money a, Money b) { return a.cents_ > b.cents_; }
  friend constexpr bool operator>=(Money a, Money b) { return a.cents_ >= b.cents_; }

 private:
  constexpr explicit Money(int64_t cents) : cents_(cents) {}
  int64_t cents_ = 0;
};

}  // namespace vend
