#include "vend/events.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "codec_util.h"
#include "vend/json_fields.h"

namespace vend::schemas {
namespace {

using nlohmann::json;
constexpr int64_t kMaxId = INT64_MAX;
constexpr int64_t kMaxMoney = INT64_MAX;
constexpr size_t kMaxUserName = 128;
constexpr size_t kMaxText = 256;

using internal::Overloaded;

Result<EventData> DecodeOrderCreated(const json& d) {
  if (auto s = vend::json::OnlyKeys(d,
                                    {"order_id", "order_uuid", "customer_id", "user_name",
                                     "product_id", "price", "balance_after"},
                                    "order.created data");
      !s.ok())
    return s;
  OrderCreated e;
  VEND_READ(e.order_id, vend::json::Int(d, "order_id", 1, kMaxId));
  VEND_READ(e.order_uuid, vend::json::Uuid(d, "order_uuid"));
  VEND_READ(e.customer_id, vend::json::Int(d, "customer_id", 1, kMaxId));
  VEND_READ(e.user_name, vend::json::Text(d, "user_name", kMaxUserName));
  VEND_READ(e.product_id, vend::json::Int(d, "product_id", 1, kMaxId));
  VEND_READ(e.price, vend::json::Int(d, "price", 0, kMaxMoney));
  VEND_READ(e.balance_after, vend::json::Int(d, "balance_after", 0, kMaxMoney));
  return EventData(e);
}

Result<EventData> DecodeOrderRefunded(const json& d) {
  if (auto s = vend::json::OnlyKeys(d,
                                    {"order_id", "order_uuid", "customer_id", "user_name",
                                     "product_id", "amount", "balance_after"},
                                    "order.refunded data");
      !s.ok())
    return s;
  OrderRefunded e;
  VEND_READ(e.order_id, vend::json::Int(d, "order_id", 1, kMaxId));
  VEND_READ(e.order_uuid, vend::json::Uuid(d, "order_uuid"));
  VEND_READ(e.customer_id, vend::json::Int(d, "customer_id", 1, kMaxId));
  VEND_READ(e.user_name, vend::json::Text(d, "user_name", kMaxUserName));
  VEND_READ(e.product_id, vend::json::Int(d, "product_id", 1, kMaxId));
  VEND_READ(e.amount, vend::json::Int(d, "amount", 0, kMaxMoney));
  VEND_READ(e.balance_after, vend::json::Int(d, "balance_after", 0, kMaxMoney));
  return EventData(e);
}

Result<EventData> DecodeBalanceDeposited(const json& d) {
  if (auto s = vend::json::OnlyKeys(
          d, {"deposit_id", "deposit_uuid", "customer_id", "user_name", "amount", "balance_after"},
          "balance.deposited data");
      !s.ok())
    return s;
  BalanceDeposited e;
  VEND_READ(e.deposit_id, vend::json::Int(d, "deposit_id", 1, kMaxId));
  VEND_READ(e.deposit_uuid, vend::json::Uuid(d, "deposit_uuid"));
  VEND_READ(e.customer_id, vend::json::Int(d, "customer_id", 1, kMaxId));
  VEND_READ(e.user_name, vend::json::Text(d, "user_name", kMaxUserName));
  VEND_READ(e.amount, vend::json::Int(d, "amount", 1, kMaxMoney));
  VEND_READ(e.balance_after, vend::json::Int(d, "balance_after", 0, kMaxMoney));
  return EventData(e);
}

Result<EventData> DecodeStockChanged(const json& d) {
  if (auto s = vend::json::OnlyKeys(d, {"product_id", "count", "cause"}, "stock.changed data");
      !s.ok())
    return s;
  StockChanged e;
  VEND_READ(e.product_id, vend::json::Int(d, "product_id", 1, kMaxId));
  VEND_READ(e.count, vend::json::Int(d, "count", 0, INT64_MAX));
  VEND_READ(e.cause, vend::json::Text(d, "cause", 32));
  if (std::find(std::begin(kStockCauses), std::end(kStockCauses), e.cause) ==
      std::end(kStockCauses)) {
    return InvalidArgument("'cause' must be one of sale, refund, seed, command");
  }
  return EventData(e);
}

Result<EventData> DecodeCommandOutcome(const json& d, bool rejected) {
  if (rejected) {
    if (auto s = vend::json::OnlyKeys(d, {"command_id", "command_type", "reason"},
                                      "command.rejected data");
        !s.ok())
      return s;
    CommandRejected e;
    VEND_READ(e.command_id, vend::json::Uuid(d, "command_id"));
    VEND_READ(e.command_type, vend::json::Text(d, "command_type", 64));
    VEND_READ(e.reason, vend::json::Text(d, "reason", kMaxText));
    return EventData(e);
  }
  if (auto s = vend::json::OnlyKeys(d, {"command_id", "command_type"}, "command.applied data");
      !s.ok())
    return s;
  CommandApplied e;
  VEND_READ(e.command_id, vend::json::Uuid(d, "command_id"));
  VEND_READ(e.command_type, vend::json::Text(d, "command_type", 64));
  return EventData(e);
}

}  // namespace

std::string_view EventType(const EventData& data) {
  return std::visit(
      Overloaded{
          [](const OrderCreated&) { return std::string_view("order.created"); },
          [](const OrderRefunded&) { return std::string_view("order.refunded"); },
          [](const BalanceDeposited&) { return std::string_view("balance.deposited"); },
          [](const StockChanged&) { return std::string_view("stock.changed"); },
          [](const CommandApplied&) { return std::string_view("command.applied"); },
          [](const CommandRejected&) { return std::string_view("command.rejected"); },
      },
      data);
}

json EncodeEventData(const EventData& data) {
  return std::visit(
      Overloaded{
          [](const OrderCreated& e) {
            return json{{"order_id", e.order_id},          {"order_uuid", e.order_uuid},
                        {"customer_id", e.customer_id},    {"user_name", e.user_name},
                        {"product_id", e.product_id},      {"price", e.price},
                        {"balance_after", e.balance_after}};
          },
          [](const OrderRefunded& e) {
            return json{{"order_id", e.order_id},          {"order_uuid", e.order_uuid},
                        {"customer_id", e.customer_id},    {"user_name", e.user_name},
                        {"product_id", e.product_id},      {"amount", e.amount},
                        {"balance_after", e.balance_after}};
          },
          [](const BalanceDeposited& e) {
            return json{{"deposit_id", e.deposit_id},   {"deposit_uuid", e.deposit_uuid},
                        {"customer_id", e.customer_id}, {"user_name", e.user_name},
                        {"amount", e.amount},           {"balance_after", e.balance_after}};
          },
          [](const StockChanged& e) {
            return json{{"product_id", e.product_id}, {"count", e.count}, {"cause", e.cause}};
          },
          [](const CommandApplied& e) {
            return json{{"command_id", e.command_id}, {"command_type", e.command_type}};
          },
          [](const CommandRejected& e) {
            return json{{"command_id", e.command_id},
                        {"command_type", e.command_type},
                        {"reason", e.reason}};
          },
      },
      data);
}

Result<EventData> DecodeEventData(std::string_view type, const json& data) {
  if (type == "order.created") return DecodeOrderCreated(data);
  if (type == "order.refunded") return DecodeOrderRefunded(data);
  if (type == "balance.deposited") return DecodeBalanceDeposited(data);
  if (type == "stock.changed") return DecodeStockChanged(data);
  if (type == "command.applied") return DecodeCommandOutcome(data, false);
  if (type == "command.rejected") return DecodeCommandOutcome(data, true);
  return Status(Code::kInvalidArgument, "unknown_type",
                "unknown event type '" + std::string(type) + "'");
}

json EncodeEvent(const Event& e) {
  return json{{"seq", e.seq},
              {"id", e.id},
              {"type", EventType(e.data)},
              {"at", e.at},
              {"data", EncodeEventData(e.data)}};
}

Result<Event> DecodeEvent(const json& j) {
  if (auto s = vend::json::OnlyKeys(j, {"seq", "id", "type", "at", "data"}, "event"); !s.ok()) {
    return s;
  }
  Event e;
  std::string type;
  VEND_READ(e.seq, vend::json::Int(j, "seq", 1, INT64_MAX));
  VEND_READ(e.id, vend::json::Uuid(j, "id"));
  VEND_READ(type, vend::json::Text(j, "type", 64));
  VEND_READ(e.at, vend::json::Timestamp(j, "at"));
  auto it = j.find("data");
  if (it == j.end()) return InvalidArgument("missing field 'data'");
  VEND_READ(e.data, DecodeEventData(type, *it));
  return e;
}

}  // namespace vend::schemas
