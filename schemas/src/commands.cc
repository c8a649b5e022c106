#include "vend/commands.h"

#include <nlohmann/json.hpp>

#include "codec_util.h"
#include "vend/ids.h"
#include "vend/json_fields.h"

namespace vend::schemas {
namespace {

using internal::Overloaded;
using nlohmann::json;
namespace fields = vend::json;

// A plain file name: no path separators, not "." or "..", printable, at most 200 bytes.
Status CheckImage(const std::string& image) {
  if (image.size() > 200 || !IsPrintableUtf8(image) || image.find('/') != std::string::npos ||
      image.find('\\') != std::string::npos || image == "." || image == "..") {
    return InvalidArgument("'image' must be a plain file name of at most 200 bytes");
  }
  return Status::Ok();
}

Result<CommandData> DecodeUpsert(const json& d) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(
      d, {"product_id", "name", "price", "image", "is_refundable"}, "product.upsert data"));
  ProductUpsert c;
  VEND_READ(c.product_id, fields::Int(d, "product_id", 1, INT64_MAX));
  VEND_READ(c.name, fields::Text(d, "name", 200));
  VEND_READ(c.price, fields::Int(d, "price", 0, INT64_MAX));
  auto it = d.find("image");
  if (it == d.end() || !it->is_string()) return InvalidArgument("'image' must be a string");
  c.image = it->get<std::string>();
  VEND_RETURN_IF_ERROR(CheckImage(c.image));
  VEND_READ(c.is_refundable, fields::Bool(d, "is_refundable"));
  return CommandData(c);
}

Result<CommandData> DecodeRemove(const json& d) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(d, {"product_id"}, "product.remove data"));
  ProductRemove c;
  VEND_READ(c.product_id, fields::Int(d, "product_id", 1, INT64_MAX));
  return CommandData(c);
}

Result<CommandData> DecodeStockSet(const json& d) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(d, {"product_id", "count"}, "stock.set data"));
  StockSet c;
  VEND_READ(c.product_id, fields::Int(d, "product_id", 1, INT64_MAX));
  VEND_READ(c.count, fields::Int(d, "count", 0, INT64_MAX));
  return CommandData(c);
}

Result<CommandData> DecodeStockAdd(const json& d) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(d, {"product_id", "delta"}, "stock.add data"));
  StockAdd c;
  VEND_READ(c.product_id, fields::Int(d, "product_id", 1, INT64_MAX));
  VEND_READ(c.delta, fields::Int(d, "delta", -INT64_MAX, INT64_MAX));
  if (c.delta == 0) return InvalidArgument("'delta' must not be zero");
  return CommandData(c);
}

Result<CommandData> DecodeConfigSet(const json& d) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(d, {"key", "value"}, "config.set data"));
  ConfigSet c;
  VEND_READ(c.key, fields::Text(d, "key", 64));
  for (const auto& k : kConfigKeys) {
    if (k.name == c.key) {
      VEND_READ(c.value, fields::Int(d, "value", k.min, k.max));
      return CommandData(c);
    }
  }
  return InvalidArgument("unknown config key '" + c.key + "'");
}

}  // namespace

std::string_view CommandType(const CommandData& data) {
  return std::visit(Overloaded{
                        [](const ProductUpsert&) { return std::string_view("product.upsert"); },
                        [](const ProductRemove&) { return std::string_view("product.remove"); },
                        [](const StockSet&) { return std::string_view("stock.set"); },
                        [](const StockAdd&) { return std::string_view("stock.add"); },
                        [](const ConfigSet&) { return std::string_view("config.set"); },
                    },
                    data);
}

json EncodeCommandData(const CommandData& data) {
  return std::visit(Overloaded{
                        [](const ProductUpsert& c) {
                          return json{{"product_id", c.product_id},
                                      {"name", c.name},
                                      {"price", c.price},
                                      {"image", c.image},
                                      {"is_refundable", c.is_refundable}};
                        },
                        [](const ProductRemove& c) {
                          return json{{"product_id", c.product_id}};
                        },
                        [](const StockSet& c) {
                          return json{{"product_id", c.product_id}, {"count", c.count}};
                        },
                        [](const StockAdd& c) {
                          return json{{"product_id", c.product_id}, {"delta", c.delta}};
                        },
                        [](const ConfigSet& c) {
                          return json{{"key", c.key}, {"value", c.value}};
                        },
                    },
                    data);
}

Result<CommandData> DecodeCommandData(std::string_view type, const json& data) {
  if (type == "product.upsert") return DecodeUpsert(data);
  if (type == "product.remove") return DecodeRemove(data);
  if (type == "stock.set") return DecodeStockSet(data);
  if (type == "stock.add") return DecodeStockAdd(data);
  if (type == "config.set") return DecodeConfigSet(data);
  return Status(Code::kInvalidArgument, "unknown_type",
                "unknown command type '" + std::string(type) + "'");
}

json EncodeCommand(const Command& c) {
  return json{{"id", c.id},
              {"type", CommandType(c.data)},
              {"data", EncodeCommandData(c.data)},
              {"issued_at", c.issued_at}};
}

Result<Command> DecodeCommand(const json& j) {
  VEND_RETURN_IF_ERROR(fields::OnlyKeys(j, {"id", "type", "data", "issued_at"}, "command"));
  Command c;
  std::string type;
  VEND_READ(c.id, fields::Uuid(j, "id"));
  VEND_READ(type, fields::Text(j, "type", 64));
  VEND_READ(c.issued_at, fields::Timestamp(j, "issued_at"));
  auto it = j.find("data");
  if (it == j.end()) return InvalidArgument("missing field 'data'");
  VEND_READ(c.data, DecodeCommandData(type, *it));
  return c;
}

}  // namespace vend::schemas
