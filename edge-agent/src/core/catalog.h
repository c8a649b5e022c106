// The catalog file that seeds a standalone machine:
//   {"products":[{"id":1,"name":"Cola","price":150,"count":10,"image":"cola.svg",
//                 "is_refundable":true}]}
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "core/model.h"
#include "vend/status.h"

namespace vend::edge::core {

// Every entry is validated; duplicate ids are an error. Nothing is partially accepted.
Result<std::vector<Product>> ParseCatalog(const nlohmann::json& doc);

}  // namespace vend::edge::core
