#include "http/fleet_api.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/alerts.h"
#include "core/catalog.h"
#include "core/order_query.h"
#include "db/pg_portal.h"
#include "db/pg_store.h"
#include "vend/ids.h"

namespace vend::cloud::http {
namespace {

using nlohmann::json;
using vend::http::HttpResponse;

constexpr size_t kMaxJsonBody = 64 * 1024;
constexpr size_t kMaxCsvRows = 100000;
constexpr int64_t kMaxApiPrice = 100000000;
constexpr int64_t kMaxStockSet = 1000000;
constexpr int64_t kMaxStockAdd = 1000000;
constexpr int64_t kMaxJsonInt = int64_t{1} << 53;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse Error(const Status& s, const AdminRequest& req) {
  return vend::http::ErrorResponse(s, req.http.request_id);
}

HttpResponse NotFoundRoute(const AdminRequest& req) {
  return Error(NotFound("no such resource: " + req.http.path), req);
}

HttpResponse MethodNotAllowed(const AdminRequest& req, const std::string& allow) {
  auto r = Error(Status(Code::kInvalidArgument, "method_not_allowed",
                        req.http.method + " is not allowed here; allowed: " + allow),
                 req);
  r.status = 405;
  r.headers.emplace_back("Allow", allow);
  return r;
}

Status BadField(const std::string& field, const std::string& what) {
  return InvalidArgument(field + ": " + what);
}

// A JSON object body: Content-Type application/json (415), at most 64 KiB (413), one
// object (400), only the `allowed` members (400 naming the first unknown one).
Result<json> ParseObject(const vend::http::HttpRequest& http,
                         const std::set<std::string>& allowed) {
  std::string type = http.content_type.substr(0, http.content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "application/json") {
    return Status(Code::kUnsupportedMedia, "unsupported_media_type",
                  "Content-Type must be application/json");
  }
  if (http.body.size() > kMaxJsonBody) {
    return Status(Code::kTooLarge, "payload_too_large", "JSON body is larger than 64 KiB");
  }
  json body;
  // Rejects a repeated member (the parser would silently keep the last one).
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto strict = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() &&
        !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    body = json::parse(http.body, strict);
  } catch (const std::exception&) {
    return InvalidArgument("body: not valid JSON");
  }
  if (!duplicate.empty()) return BadField(duplicate, "given more than once");
  if (!body.is_object()) return InvalidArgument("body: must be a JSON object");
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (allowed.count(it.key()) == 0) return BadField(it.key(), "unknown field");
  }
  return body;
}

// An integer member in [min, max]; nullopt when absent. Floats, strings and booleans
// are type errors.
Result<std::optional<int64_t>> IntField(const json& body, const std::string& name, int64_t min,
                                        int64_t max) {
  auto it = body.find(name);
  if (it == body.end()) return std::optional<int64_t>();
  const std::string range =
      "must be an integer " + std::to_string(min) + ".." + std::to_string(max);
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(max)) return BadField(name, range);
    if (static_cast<int64_t>(v) < min) return BadField(name, range);
    return std::optional<int64_t>(static_cast<int64_t>(v));
  }
  if (!it->is_number_integer()) return BadField(name, range);
  const auto v = it->get<int64_t>();
  if (v < min || v > max) return BadField(name, range);
  return std::optional<int64_t>(v);
}

Result<std::optional<bool>> BoolField(const json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end()) return std::optional<bool>();
  if (!it->is_boolean()) return BadField(name, "must be true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::string>> NameField(const json& body) {
  auto it = body.find("name");
  if (it == body.end()) return std::optional<std::string>();
  if (!it->is_string()) return BadField("name", "must be a string");
  auto s = it->get<std::string>();
  if (s.empty() || s.size() > 200 || !IsPrintableUtf8(s)) {
    return BadField("name", "must be 1..200 bytes of printable UTF-8");
  }
  return std::optional<std::string>(s);
}

// A product id in a path: anything else is an unknown resource (404).
std::optional<int64_t> PathProductId(const std::string& seg) {
  return core::ParseInt(seg, 1, kMaxJsonInt);
}

std::string StampForFile() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

json AlertJson(const core::Alert& a) {
  return {{"kind", a.kind},
          {"severity", a.severity},
          {"machine", a.machine},
          {"product_id", a.product_id ? json(*a.product_id) : json()},
          {"message", a.message},
          {"since", a.since ? json(FormatIso8601(*a.since)) : json()},
          {"value", a.value ? json(*a.value) : json()}};
}

void LogChange(const AdminRequest& req, const std::string& action, const std::string& target,
               const db::AdminChange& change) {
  spdlog::info("admin change action={} target={} actor={} actor_id={} request_id={} commands={}",
               action, target, req.principal.username, req.principal.account_id,
               req.http.request_id, change.command_ids.size());
}

bool IsRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

}  // namespace

FleetApi::FleetApi(db::PgPool& pool, FleetApiOptions options) : pool_(pool), options_(options) {}

HttpResponse FleetApi::Handle(const AdminRequest& req) {
  const auto& seg = req.segments;
  const std::string& method = req.http.method;
  db::PgPortal portal(pool_);
  db::PgStore store(pool_);
  const core::Actor actor = req.actor();
  core::AlertOptions alert_options{options_.offline_after, options_.temp_min_c,
                                   options_.temp_max_c};
  auto alerts_for = [&](const std::string& machine) -> Result<std::vector<core::Alert>> {
    auto in = portal.AlertData(machine);
    if (!in.ok()) return in.status();
    return core::EvaluateAlerts(in->machines, in->stock, in->telemetry, alert_options,
                                core::Clock::now());
  };
  auto no_query = [&]() -> Status {
    auto q = core::ParseQueryString(req.http.query, {"_"});
    return q.ok() ? Status::Ok() : q.status();
  };
  if (seg.empty()) return NotFoundRoute(req);
  const std::string& root = seg[0];

  // ---- machines -------------------------------------------------------------------
  if (root == "machines") {
    if (seg.size() == 1) {
      if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
      auto machines = portal.Machines();
      if (!machines.ok()) return Error(machines.status(), req);
      auto alerts = alerts_for("");
      if (!alerts.ok()) return Error(alerts.status(), req);
      std::map<std::string, int64_t> per_machine;
      for (const auto& a : *alerts) ++per_machine[a.machine];
      for (auto& m : *machines) m["alerts"] = per_machine[m["id"].get<std::string>()];
      return Json(200, {{"machines", *machines}});
    }
    const std::string& id = seg[1];
    if (!IsMachineId(id)) return NotFoundRoute(req);
    if (seg.size() == 2) {
      if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
      auto detail = portal.MachineDetail(id);
      if (!detail.ok()) return Error(detail.status(), req);
      auto alerts = alerts_for(id);
      if (!alerts.ok()) return Error(alerts.status(), req);
      (*detail)["machine"]["alerts"] = alerts->size();
      return Json(200, *detail);
    }
    const std::string& sub = seg[2];
    if (seg.size() == 3 && sub == "telemetry") {
      if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
      auto q = core::ParseQueryString(req.http.query, {"from", "to"});
      if (!q.ok()) return Error(q.status(), req);
      const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                           core::Clock::now().time_since_epoch())
                           .count();
      core::EpochMicros to = now, from = now - int64_t{24} * 3600 * 1000000;
      for (const char* name : {"from", "to"}) {
        auto it = q->find(name);
        if (it == q->end()) continue;
        auto us = core::ParseIsoMicros(it->second);
        if (!us) return Error(BadField(name, "must be an ISO 8601 UTC time"), req);
        (std::string(name) == "from" ? from : to) = *us;
      }
      if (from > to) return Error(BadField("from", "must not be after to"), req);
      auto points = portal.Telemetry(id, from, to);
      if (!points.ok()) return Error(points.status(), req);
      // The alert limits travel with the points so a chart can draw the allowed band.
      return Json(200, {{"points", *points},
                        {"temp_min_c", options_.temp_min_c},
                        {"temp_max_c", options_.temp_max_c}});
    }
    if (seg.size() == 3 && sub == "sales") {
      if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
      auto q = core::ParseQueryString(req.http.query, {"days"});
      if (!q.ok()) return Error(q.status(), req);
      int days = 14;
      if (auto it = q->find("days"); it != q->end()) {
        auto d = core::ParseInt(it->second, 1, 90);
        if (!d) return Error(BadField("days", "must be an integer 1..90"), req);
        days = static_cast<int>(*d);
      }
      auto sales = portal.Sales(id, days);
      if (!sales.ok()) return Error(sales.status(), req);
      return Json(200, {{"days", *sales}});
    }
    if (seg.size() == 3 && sub == "balances") {
      if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
      if (auto s = no_query(); !s.ok()) return Error(s, req);
      auto b = portal.Balances(id);
      if (!b.ok()) return Error(b.status(), req);
      return Json(200, *b);
    }
    if (seg.size() == 3 && sub == "stock") {
      if (method != "POST") return MethodNotAllowed(req, "POST");
      auto body = ParseObject(req.http, {"product_id", "set", "add"});
      if (!body.ok()) return Error(body.status(), req);
      auto product = IntField(*body, "product_id", 1, kMaxJsonInt);
      if (!product.ok()) return Error(product.status(), req);
      if (!*product) return Error(BadField("product_id", "is required"), req);
      auto set = IntField(*body, "set", 0, kMaxStockSet);
      if (!set.ok()) return Error(set.status(), req);
      auto add = IntField(*body, "add", -kMaxStockAdd, kMaxStockAdd);
      if (!add.ok()) return Error(add.status(), req);
      if (set->has_value() == add->has_value()) {
        return Error(BadField("set", "give exactly one of set or add"), req);
      }
      if (add->has_value() && **add == 0) return Error(BadField("add", "must not be 0"), req);
      db::StockChange change{set->has_value(), set->has_value() ? **set : **add};
      auto r = store.ChangeStock(id, **product, change, &actor);
      if (!r.ok()) return Error(r.status(), req);
      LogChange(req, change.set ? "stock.set" : "stock.add",
                "machine:" + id + "/product:" + std::to_string(**product), *r);
      return Json(202, {{"command_id", r->command_ids.at(0)}});
    }
    if (seg.size() == 4 && sub == "prices") {
      auto product = PathProductId(seg[3]);
      if (!product) return NotFoundRoute(req);
      const std::string target = "machine:" + id + "/product:" + std::to_string(*product);
      if (method == "PUT") {
        auto body = ParseObject(req.http, {"price"});
        if (!body.ok()) return Error(body.status(), req);
        auto price = IntField(*body, "price", 0, kMaxApiPrice);
        if (!price.ok()) return Error(price.status(), req);
        if (!*price) return Error(BadField("price", "is required"), req);
        auto r = store.ChangePrice(id, *product, **price, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "price.set", target, *r);
        return Json(202, {{"command_id", r->command_ids.at(0)}});
      }
      if (method == "DELETE") {
        auto r = store.ClearPrice(id, *product, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "price.clear", target, *r);
        return Json(202, {{"command_id", r->command_ids.at(0)}});
      }
      return MethodNotAllowed(req, "PUT, DELETE");
    }
    return NotFoundRoute(req);
  }

  // ---- products -------------------------------------------------------------------
  if (root == "products") {
    if (seg.size() == 1) {
      if (IsRead(method)) {
        auto q = core::ParseQueryString(req.http.query, {"include_removed"});
        if (!q.ok()) return Error(q.status(), req);
        bool include_removed = false;
        if (auto it = q->find("include_removed"); it != q->end()) {
          if (it->second != "true" && it->second != "false") {
            return Error(BadField("include_removed", "must be true or false"), req);
          }
          include_removed = it->second == "true";
        }
        auto products = portal.Products(include_removed);
        if (!products.ok()) return Error(products.status(), req);
        json out = json::array();
        for (const auto& p : *products) out.push_back(db::ProductJson(p));
        return Json(200, {{"products", out}});
      }
      if (method == "POST") {
        auto body =
            ParseObject(req.http, {"id", "name", "price", "is_refundable", "low_stock_threshold"});
        if (!body.ok()) return Error(body.status(), req);
        auto id = IntField(*body, "id", 1, kMaxJsonInt);
        if (!id.ok()) return Error(id.status(), req);
        auto name = NameField(*body);
        if (!name.ok()) return Error(name.status(), req);
        if (!*name) return Error(BadField("name", "is required"), req);
        auto price = IntField(*body, "price", 0, kMaxApiPrice);
        if (!price.ok()) return Error(price.status(), req);
        if (!*price) return Error(BadField("price", "is required"), req);
        auto refundable = BoolField(*body, "is_refundable");
        if (!refundable.ok()) return Error(refundable.status(), req);
        auto threshold = IntField(*body, "low_stock_threshold", 0, core::kMaxLowStockThreshold);
        if (!threshold.ok()) return Error(threshold.status(), req);
        core::CatalogProduct p{id->value_or(0), **name, **price, "", refundable->value_or(false)};
        auto r = store.CreateProduct(p, *threshold, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "product.create", "product:" + std::to_string(r->product->product.id), *r);
        return Json(201, {{"product", db::ProductJson(*r->product)}});
      }
      return MethodNotAllowed(req, "GET, HEAD, POST");
    }
    auto id = PathProductId(seg[1]);
    if (!id) return NotFoundRoute(req);
    const std::string target = "product:" + std::to_string(*id);
    if (seg.size() == 2) {
      if (IsRead(method)) {
        if (auto s = no_query(); !s.ok()) return Error(s, req);
        auto p = portal.Product(*id);
        if (!p.ok()) return Error(p.status(), req);
        return Json(200, {{"product", db::ProductJson(*p)}});
      }
      if (method == "PATCH") {
        auto body =
            ParseObject(req.http, {"name", "price", "is_refundable", "low_stock_threshold"});
        if (!body.ok()) return Error(body.status(), req);
        core::ProductPatch patch;
        auto name = NameField(*body);
        if (!name.ok()) return Error(name.status(), req);
        patch.name = *name;
        auto price = IntField(*body, "price", 0, kMaxApiPrice);
        if (!price.ok()) return Error(price.status(), req);
        patch.price = *price;
        auto refundable = BoolField(*body, "is_refundable");
        if (!refundable.ok()) return Error(refundable.status(), req);
        patch.is_refundable = *refundable;
        auto threshold = IntField(*body, "low_stock_threshold", 0, core::kMaxLowStockThreshold);
        if (!threshold.ok()) return Error(threshold.status(), req);
        patch.low_stock_threshold = *threshold;
        if (patch.empty()) {
          return Error(InvalidArgument("body: give at least one of name, price, is_refundable, "
                                       "low_stock_threshold"),
                       req);
        }
        auto r = store.ChangeProduct(*id, patch, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "product.update", target, *r);
        return Json(200, {{"product", db::ProductJson(*r->product)}});
      }
      if (method == "DELETE") {
        auto r = store.DeleteProduct(*id, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "product.delete", target, *r);
        HttpResponse resp;
        resp.status = 204;
        resp.content_type.clear();
        return resp;
      }
      return MethodNotAllowed(req, "GET, HEAD, PATCH, DELETE");
    }
    if (seg.size() == 3 && seg[2] == "image") {
      if (IsRead(method)) {
        auto q = core::ParseQueryString(req.http.query, {"v"});
        if (!q.ok()) return Error(q.status(), req);
        auto image = portal.Image(*id);
        if (!image.ok()) return Error(image.status(), req);
        const std::string etag = "\"" + image->sha256 + "\"";
        HttpResponse resp;
        resp.headers.emplace_back("ETag", etag);
        resp.headers.emplace_back("Cache-Control", "private, max-age=60");
        const std::string inm = req.http.Header("if-none-match");
        if (!inm.empty() && (inm == etag || inm == "*" || inm.find(etag) != std::string::npos)) {
          resp.status = 304;
          resp.content_type.clear();
          return resp;
        }
        resp.status = 200;
        resp.content_type = image->content_type;
        resp.body = std::move(image->bytes);
        return resp;
      }
      if (method == "PUT") {
        std::string type;
        auto ext = core::ValidateImage(req.http.content_type, req.http.body, &type);
        if (!ext.ok()) return Error(ext.status(), req);
        auto r = store.SetProductImage(*id, type, *ext, req.http.body, &actor);
        if (!r.ok()) return Error(r.status(), req);
        LogChange(req, "product.image", target, *r);
        return Json(200, {{"product", db::ProductJson(*r->product)}});
      }
      return MethodNotAllowed(req, "GET, HEAD, PUT");
    }
    return NotFoundRoute(req);
  }

  // ---- orders ---------------------------------------------------------------------
  if (root == "orders" && seg.size() == 1) {
    if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
    auto f = core::ParseOrderQuery(req.http.query, /*for_csv=*/false);
    if (!f.ok()) return Error(f.status(), req);
    auto page = portal.Orders(*f);
    if (!page.ok()) return Error(page.status(), req);
    json orders = json::array();
    for (const auto& o : page->orders) orders.push_back(db::OrderJson(o));
    return Json(
        200, {{"orders", orders},
              {"next_cursor", page->next ? json(core::EncodeOrderCursor(*page->next)) : json()}});
  }
  if (root == "orders.csv" && seg.size() == 1) {
    if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
    auto f = core::ParseOrderQuery(req.http.query, /*for_csv=*/true);
    if (!f.ok()) return Error(f.status(), req);
    auto rows = portal.OrdersForExport(*f, kMaxCsvRows);
    if (!rows.ok()) return Error(rows.status(), req);
    HttpResponse resp;
    resp.content_type = "text/csv; charset=utf-8";
    resp.headers.emplace_back("Content-Disposition",
                              "attachment; filename=\"orders-" + StampForFile() + ".csv\"");
    resp.body = core::CsvRow({"uuid", "machine", "order_id", "created_at", "customer_id",
                              "user_name", "product_id", "product_name", "price_cents", "status",
                              "refunded_at", "refund_cents"});
    for (const auto& o : *rows) {
      resp.body += core::CsvRow({o.uuid, o.machine, std::to_string(o.order_id), o.created_at,
                                 std::to_string(o.customer_id), o.user_name,
                                 std::to_string(o.product_id), o.product_name,
                                 std::to_string(o.price), o.status, o.refunded_at.value_or(""),
                                 o.refund_amount ? std::to_string(*o.refund_amount) : ""});
    }
    return resp;
  }
  if (root == "orders" && seg.size() == 2) {
    if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
    if (!IsUuid(seg[1])) return NotFoundRoute(req);
    auto o = portal.Order(seg[1]);
    if (!o.ok()) return Error(o.status(), req);
    return Json(200, {{"order", db::OrderJson(*o)}});
  }

  // ---- alerts and overview --------------------------------------------------------
  if (root == "alerts" && seg.size() == 1) {
    if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
    auto q = core::ParseQueryString(req.http.query, {"machine"});
    if (!q.ok()) return Error(q.status(), req);
    std::string machine;
    if (auto it = q->find("machine"); it != q->end()) {
      if (!IsMachineId(it->second)) {
        return Error(BadField("machine", "must match [A-Za-z0-9_-]{1,64}"), req);
      }
      machine = it->second;
    }
    auto alerts = alerts_for(machine);
    if (!alerts.ok()) return Error(alerts.status(), req);
    json out = json::array();
    for (const auto& a : *alerts) out.push_back(AlertJson(a));
    return Json(200, {{"alerts", out}});
  }
  if (root == "overview" && seg.size() == 1) {
    if (!IsRead(method)) return MethodNotAllowed(req, "GET, HEAD");
    auto counts = portal.Overview();
    if (!counts.ok()) return Error(counts.status(), req);
    auto alerts = alerts_for("");
    if (!alerts.ok()) return Error(alerts.status(), req);
    (*counts)["alerts"] = alerts->size();
    return Json(200, *counts);
  }
  return NotFoundRoute(req);
}

}  // namespace vend::cloud::http
