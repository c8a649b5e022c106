#include "core/catalog.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "vend/ids.h"

namespace vend::cloud::core {
namespace {

// Max amount the edge accepts in a product price or count: JSON numbers beyond 2^53
// lose precision in JavaScript clients (kiosk UI, portal).
constexpr int64_t kMaxJsonInt = int64_t{1} << 53;

schemas::ProductUpsert Upsert(const CatalogProduct& p, int64_t price) {
  return {p.id, p.name, price, p.image, p.is_refundable};
}

}  // namespace

Status ValidateProduct(const CatalogProduct& p) {
  if (auto s = ValidateProductId(p.id); !s.ok()) return s;
  if (auto s = ValidatePrice(p.price); !s.ok()) return s;
  if (p.name.empty() || p.name.size() > 200 || !IsPrintableUtf8(p.name)) {
    return InvalidArgument("product name must be 1..200 bytes of printable UTF-8");
  }
  // The command codec is the edge's validator: a product that does not round-trip
  // through it would be rejected by every machine.
  schemas::CommandData data = Upsert(p, p.price);
  auto decoded =
      schemas::DecodeCommandData(schemas::CommandType(data), schemas::EncodeCommandData(data));
  if (!decoded.ok()) return InvalidArgument("product: " + decoded.status().message());
  return Status::Ok();
}

Status ValidateMachineId(const std::string& id) {
  if (!IsMachineId(id)) {
    return InvalidArgument("machine id '" + id + "' must match [A-Za-z0-9_-]{1,64}");
  }
  return Status::Ok();
}

Status ValidateProductId(int64_t id) {
  if (id < 1 || id > kMaxJsonInt) return InvalidArgument("product id must be 1..2^53");
  return Status::Ok();
}

Status ValidateStockCount(int64_t count) {
  if (count < 0 || count > kMaxJsonInt) return InvalidArgument("stock count must be 0..2^53");
  return Status::Ok();
}

Status ValidateStockDelta(int64_t delta) {
  if (delta == 0 || delta < -kMaxJsonInt || delta > kMaxJsonInt) {
    return InvalidArgument("stock delta must be non-zero, within +-2^53");
  }
  return Status::Ok();
}

Status ValidatePrice(int64_t cents) {
  if (cents < 0 || cents > kMaxJsonInt) return InvalidArgument("price must be 0..2^53 cents");
  return Status::Ok();
}

Status ValidateLowStockThreshold(int64_t threshold) {
  if (threshold < 0 || threshold > kMaxLowStockThreshold) {
    return InvalidArgument("low_stock_threshold must be 0.." +
                           std::to_string(kMaxLowStockThreshold));
  }
  return Status::Ok();
}

Result<std::string> ValidateImage(std::string_view content_type, std::string_view bytes,
                                  std::string* normalized_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Format {
    const char* type;
    const char* ext;
  };
  static const Format kFormats[] = {
      {"image/png", "png"}, {"image/jpeg", "jpg"}, {"image/webp", "webp"}, {"image/gif", "gif"}};
  const Format* format = nullptr;
  for (const auto& f : kFormats) {
    if (type == f.type) format = &f;
  }
  if (format == nullptr) {
    return Status(Code::kUnsupportedMedia, "unsupported_image",
                  "image content type must be image/png, image/jpeg, image/webp or image/gif");
  }
  if (bytes.empty()) return Status(Code::kInvalidArgument, "bad_image", "image is empty");
  if (bytes.size() > kMaxImageBytes) {
    return Status(Code::kTooLarge, "payload_too_large", "image is larger than 1 MiB");
  }
  auto starts = [&](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
  };
  bool ok = false;
  if (type == "image/png") ok = starts("\x89PNG\r\n\x1a\n");
  if (type == "image/jpeg") ok = starts("\xff\xd8\xff");
  if (type == "image/gif") ok = starts("GIF87a") || starts("GIF89a");
  if (type == "image/webp") ok = starts("RIFF") && starts("WEBP", 8);
  if (!ok) {
    return Status(Code::kInvalidArgument, "bad_image",
                  "image content does not match its content type " + type);
  }
  if (normalized_type != nullptr) *normalized_type = type;
  return std::string(format->ext);
}

std::string ImageFileName(int64_t product_id, const std::string& sha256_hex,
                          const std::string& ext) {
  return "p" + std::to_string(product_id) + "-" + sha256_hex.substr(0, 8) + "." + ext;
}

Result<CatalogProduct> ApplyPatch(CatalogProduct p, const ProductPatch& patch) {
  if (patch.empty())
    return InvalidArgument("nothing to change: give --name, --price, --image or --refundable");
  if (patch.name) p.name = *patch.name;
  if (patch.price) p.price = *patch.price;
  if (patch.image) p.image = *patch.image;
  if (patch.is_refundable) p.is_refundable = *patch.is_refundable;
  if (auto s = ValidateProduct(p); !s.ok()) return s;
  return p;
}

PlannedCommand PlanCommand(const std::string& machine, schemas::CommandData data,
                           const CommandStamp& stamp) {
  return {machine, schemas::Command{stamp.new_id(), stamp.issued_at, std::move(data)}};
}

std::vector<PlannedCommand> PlanUpsertEverywhere(const CatalogProduct& p,
                                                 const std::vector<std::string>& machines,
                                                 const std::map<std::string, int64_t>& overrides,
                                                 const CommandStamp& stamp) {
  std::vector<PlannedCommand> out;
  out.reserve(machines.size());
  for (const auto& m : machines) {
    auto o = overrides.find(m);
    out.push_back(PlanCommand(m, Upsert(p, o == overrides.end() ? p.price : o->second), stamp));
  }
  return out;
}

std::vector<PlannedCommand> PlanRemoveEverywhere(int64_t product_id,
                                                 const std::vector<std::string>& machines,
                                                 const CommandStamp& stamp) {
  std::vector<PlannedCommand> out;
  out.reserve(machines.size());
  for (const auto& m : machines)
    out.push_back(PlanCommand(m, schemas::ProductRemove{product_id}, stamp));
  return out;
}

std::vector<PlannedCommand> PlanCatalogFor(const std::string& machine,
                                           const std::vector<CatalogProduct>& catalog,
                                           const std::map<int64_t, int64_t>& overrides,
                                           const CommandStamp& stamp) {
  std::vector<const CatalogProduct*> sorted;
  for (const auto& p : catalog) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](const CatalogProduct* a, const CatalogProduct* b) { return a->id < b->id; });
  std::vector<PlannedCommand> out;
  for (const auto* p : sorted) {
    auto o = overrides.find(p->id);
    out.push_back(
        PlanCommand(machine, Upsert(*p, o == overrides.end() ? p->price : o->second), stamp));
  }
  return out;
}

std::vector<schemas::CommandBatch> BatchCommands(std::vector<schemas::Command> commands) {
  std::vector<schemas::CommandBatch> out;
  for (auto& c : commands) {
    if (out.empty() || out.back().commands.size() == schemas::kMaxBatchCommands) out.emplace_back();
    out.back().commands.push_back(std::move(c));
  }
  return out;
}

}  // namespace vend::cloud::core
