#include "core/catalog.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/rules.h"
#include "vend/json_fields.h"

namespace vend::edge::core {

Result<std::vector<Product>> ParseCatalog(const nlohmann::json& doc) {
  if (auto s = vend::json::OnlyKeys(doc, {"products"}, "catalog"); !s.ok()) return s;
  auto it = doc.find("products");
  if (it == doc.end() || !it->is_array())
    return InvalidArgument("catalog needs a 'products' array");
  std::vector<Product> out;
  std::set<int64_t> ids;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& e = (*it)[i];
    auto where = "catalog product #" + std::to_string(i + 1);
    auto fail = [&](const Status& s) { return InvalidArgument(where + ": " + s.message()); };
    if (auto s = vend::json::OnlyKeys(e, {"id", "name", "price", "count", "image", "is_refundable"},
                                      where);
        !s.ok())
      return s;
    Product p;
    auto id = vend::json::Int(e, "id", 1, INT64_MAX);
    if (!id.ok()) return fail(id.status());
    auto name = vend::json::Text(e, "name", 200);
    if (!name.ok()) return fail(name.status());
    auto price = vend::json::Int(e, "price", 0, INT64_MAX);
    if (!price.ok()) return fail(price.status());
    auto count = vend::json::Int(e, "count", 0, INT64_MAX);
    if (!count.ok()) return fail(count.status());
    p.id = *id;
    p.name = *name;
    p.price = Money::FromCents(*price);
    p.count = *count;
    if (e.contains("image")) {
      if (!e["image"].is_string()) return fail(InvalidArgument("'image' must be a string"));
      p.image = e["image"].get<std::string>();
    }
    if (e.contains("is_refundable")) {
      auto r = vend::json::Bool(e, "is_refundable");
      if (!r.ok()) return fail(r.status());
      p.is_refundable = *r;
    }
    if (auto s = ValidateProduct(p); !s.ok()) return fail(s);
    if (!ids.insert(p.id).second) return fail(InvalidArgument("duplicate product id"));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vend::edge::core
