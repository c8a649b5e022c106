#include "core/catalog.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace vend::edge::core {
namespace {

using nlohmann::json;

TEST(Catalog, ParsesTheDocumentedFormat) {
  auto doc = json::parse(R"({"products":[
    {"id":1,"name":"Cola","price":150,"count":10,"image":"cola.svg","is_refundable":true},
    {"id":2,"name":"Water","price":100,"count":0}]})");
  auto r = ParseCatalog(doc);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].price.cents(), 150);
  EXPECT_TRUE((*r)[0].is_refundable);
  EXPECT_FALSE((*r)[1].is_refundable);
  EXPECT_EQ((*r)[1].image, "");
}

TEST(Catalog, RejectsBadEntriesNamingThem) {
  for (
      const char* bad : {
          R"({"products":[{"id":0,"name":"X","price":1,"count":1}]})",
          R"({"products":[{"id":1,"name":"","price":1,"count":1}]})",
          R"({"products":[{"id":1,"name":"X","price":-1,"count":1}]})",
          R"({"products":[{"id":1,"name":"X","price":1.5,"count":1}]})",
          R"({"products":[{"id":1,"name":"X","price":1,"count":-1}]})",
          R"({"products":[{"id":1,"name":"X","price":1,"count":1,"image":"../x"}]})",
          R"({"products":[{"id":1,"name":"X","price":1,"count":1,"is_refundable":"yes"}]})",
          R"({"products":[{"id":1,"name":"X","price":1,"count":1,"colour":"red"}]})",
          R"({"products":[{"id":1,"name":"X","price":1,"count":1},{"id":1,"name":"Y","price":1,"count":1}]})",
          R"({"items":[]})",
          R"([])",
      }) {
    EXPECT_FALSE(ParseCatalog(json::parse(bad)).ok()) << bad;
  }
}

}  // namespace
}  // namespace vend::edge::core
