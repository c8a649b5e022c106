#include "core/command_rules.h"

#include <variant>

#include "core/rules.h"
#include "vend/ids.h"

namespace vend::edge::core {
namespace {

template <typename... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Length of the UTF-8 sequence a lead byte announces (1 for anything invalid, so the
// byte is replaced on its own).
size_t SequenceLength(unsigned char lead) {
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 1;
}

CommandPlan Reject(const schemas::Command& command, std::string_view reason) {
  CommandPlan plan;
  plan.rejected = true;
  plan.reason = SanitizeText(reason, kMaxRejectReasonBytes, "rejected");
  plan.events.push_back(schemas::CommandRejected{
      command.id, std::string(schemas::CommandType(command.data)), plan.reason});
  return plan;
}

void Applied(const schemas::Command& command, CommandPlan& plan) {
  plan.events.push_back(
      schemas::CommandApplied{command.id, std::string(schemas::CommandType(command.data))});
}

std::string UnknownProduct(int64_t id) {
  return "product " + std::to_string(id) + " is not on this machine";
}

}  // namespace

std::string SanitizeText(std::string_view text, size_t max_bytes, std::string_view fallback) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t n = SequenceLength(static_cast<unsigned char>(text[i]));
    std::string_view piece = text.substr(i, n);
    if (piece.size() == n && IsPrintableUtf8(piece)) {
      if (out.size() + n > max_bytes) break;
      out.append(piece);
      i += n;
    } else {
      if (out.size() + 1 > max_bytes) break;
      out += '?';
      i += 1;
    }
  }
  if (out.empty()) out = std::string(fallback.substr(0, max_bytes));
  return out;
}

std::optional<int64_t> CommandProductId(const schemas::CommandData& data) {
  return std::visit(
      Overloaded{
          [](const schemas::ProductUpsert& c) -> std::optional<int64_t> { return c.product_id; },
          [](const schemas::ProductRemove& c) -> std::optional<int64_t> { return c.product_id; },
          [](const schemas::StockSet& c) -> std::optional<int64_t> { return c.product_id; },
          [](const schemas::StockAdd& c) -> std::optional<int64_t> { return c.product_id; },
          [](const schemas::ConfigSet&) -> std::optional<int64_t> { return std::nullopt; },
      },
      data);
}

CommandPlan PlanCommand(const schemas::Command& command, const std::optional<Product>& product) {
  CommandPlan plan;
  return std::visit(
      Overloaded{
          [&](const schemas::ProductUpsert& c) {
            Product row{c.product_id,
                        c.name,
                        Money::FromCents(c.price),
                        product ? product->count : 0,
                        c.image,
                        c.is_refundable};
            if (auto s = ValidateProduct(row); !s.ok()) return Reject(command, s.message());
            plan.product_created = !product.has_value();
            plan.write_product = row;
            if (plan.product_created) {
              plan.events.push_back(schemas::StockChanged{row.id, 0, "command"});
            }
            Applied(command, plan);
            return plan;
          },
          [&](const schemas::ProductRemove& c) {
            if (product) {
              plan.remove_product = c.product_id;
              plan.events.push_back(schemas::StockChanged{c.product_id, 0, "command"});
            }
            Applied(command, plan);
            return plan;
          },
          [&](const schemas::StockSet& c) {
            if (!product) return Reject(command, UnknownProduct(c.product_id));
            Product row = *product;
            row.count = c.count;
            plan.write_product = row;
            plan.events.push_back(schemas::StockChanged{row.id, row.count, "command"});
            Applied(command, plan);
            return plan;
          },
          [&](const schemas::StockAdd& c) {
            if (!product) return Reject(command, UnknownProduct(c.product_id));
            int64_t after = 0;
            if (__builtin_add_overflow(product->count, c.delta, &after)) {
              return Reject(command, "stock.add would overflow the count of product " +
                                         std::to_string(c.product_id));
            }
            if (after < 0) {
              return Reject(command, "stock.add of " + std::to_string(c.delta) +
                                         " would leave product " + std::to_string(c.product_id) +
                                         " at " + std::to_string(after) + " (it holds " +
                                         std::to_string(product->count) + ")");
            }
            Product row = *product;
            row.count = after;
            plan.write_product = row;
            plan.events.push_back(schemas::StockChanged{row.id, row.count, "command"});
            Applied(command, plan);
            return plan;
          },
          [&](const schemas::ConfigSet& c) {
            plan.config = c;
            Applied(command, plan);
            return plan;
          },
      },
      command.data);
}

CommandPlan PlanUndecodableCommand(const std::string& command_id, std::string_view type,
                                   std::string_view reason) {
  CommandPlan plan;
  plan.rejected = true;
  plan.reason = SanitizeText(reason, kMaxRejectReasonBytes, "rejected");
  plan.events.push_back(schemas::CommandRejected{
      command_id, SanitizeText(type, kMaxCommandTypeBytes, "unknown"), plan.reason});
  return plan;
}

}  // namespace vend::edge::core
