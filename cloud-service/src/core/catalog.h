// The cloud's catalog rules and command planning: which commands a catalog or stock
// change sends to which machine. Pure functions; the store commits a change together
// with the commands planned here in one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vend/commands.h"
#include "vend/status.h"
#include "vend/sync_messages.h"

namespace vend::cloud::core {

struct CatalogProduct {
  int64_t id = 0;
  std::string name;
  int64_t price = 0;  // cents
  std::string image;  // plain file name, may be empty
  bool is_refundable = false;
};

// The fields `product set` may change; unset fields keep their value.
struct ProductPatch {
  std::optional<std::string> name;
  std::optional<int64_t> price;
  std::optional<std::string> image;
  std::optional<bool> is_refundable;
  // Cloud-only (alerts): changing only this sends no command.
  std::optional<int64_t> low_stock_threshold;
  bool empty() const { return !name && !price && !image && !is_refundable && !low_stock_threshold; }
  // True when the patch changes what machines know of the product.
  bool touches_edge() const { return name || price || image || is_refundable; }
};

inline constexpr int64_t kDefaultLowStockThreshold = 3;
inline constexpr int64_t kMaxLowStockThreshold = 1000000;
inline constexpr size_t kMaxImageBytes = 1024 * 1024;

// Errors are kInvalidArgument naming the field; the same limits the edge enforces on
// product.upsert (name 1..200 bytes of printable UTF-8, price >= 0, image a plain file
// name), so the cloud never queues a command the edge must reject as malformed.
Status ValidateProduct(const CatalogProduct& p);
Status ValidateMachineId(const std::string& id);
Status ValidateProductId(int64_t id);
Status ValidateStockCount(int64_t count);
Status ValidateStockDelta(int64_t delta);
Status ValidatePrice(int64_t cents);
Status ValidateLowStockThreshold(int64_t threshold);  // 0..kMaxLowStockThreshold
Result<CatalogProduct> ApplyPatch(CatalogProduct p, const ProductPatch& patch);

// Checks an uploaded product image: `content_type` (parameters after ';' ignored) must be
// image/png, image/jpeg, image/webp or image/gif (else UnsupportedMedia
// "unsupported_image"), the bytes non-empty (InvalidArgument "bad_image"), at most
// kMaxImageBytes (TooLarge "payload_too_large") and starting with that format's magic
// bytes (InvalidArgument "bad_image"). Returns the file extension ("png", "jpg", ...)
// and sets `normalized_type` to the bare media type.
Result<std::string> ValidateImage(std::string_view content_type, std::string_view bytes,
                                  std::string* normalized_type);
// The catalog image name of an uploaded image, "p<id>-<first 8 hex of sha256>.<ext>":
// it changes with the content, so kiosks notice a new image.
std::string ImageFileName(int64_t product_id, const std::string& sha256_hex,
                          const std::string& ext);

// A command addressed to one machine.
struct PlannedCommand {
  std::string machine_id;
  schemas::Command command;
};

// `new_id` makes command ids and `issued_at` is the timestamp they carry; both are
// arguments so planning stays deterministic under test.
struct CommandStamp {
  std::function<std::string()> new_id;
  std::string issued_at;
};

// product.upsert of `p` to every machine, at the machine's own price where it has one.
std::vector<PlannedCommand> PlanUpsertEverywhere(const CatalogProduct& p,
                                                 const std::vector<std::string>& machines,
                                                 const std::map<std::string, int64_t>& overrides,
                                                 const CommandStamp& stamp);
// product.remove to every machine.
std::vector<PlannedCommand> PlanRemoveEverywhere(int64_t product_id,
                                                 const std::vector<std::string>& machines,
                                                 const CommandStamp& stamp);
// The whole current catalog to one (new) machine, in product id order.
std::vector<PlannedCommand> PlanCatalogFor(const std::string& machine,
                                           const std::vector<CatalogProduct>& catalog,
                                           const std::map<int64_t, int64_t>& overrides,
                                           const CommandStamp& stamp);
PlannedCommand PlanCommand(const std::string& machine, schemas::CommandData data,
                           const CommandStamp& stamp);

// Splits one machine's pending commands, in issue order, into messages of at most
// schemas::kMaxBatchCommands commands.
std::vector<schemas::CommandBatch> BatchCommands(std::vector<schemas::Command> commands);

}  // namespace vend::cloud::core
