#include "http/kiosk_api.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "http/params.h"
#include "vend/http/static_files.h"
#include "vend/url.h"

namespace vend::edge::http {
namespace {

using nlohmann::json;

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse Error(const Status& s) { return ErrorResponse(s, ""); }

json ProductJson(const core::Product& p) {
  return json{{"id", p.id},       {"name", p.name},   {"price", p.price.cents()},
              {"count", p.count}, {"image", p.image}, {"is_refundable", p.is_refundable}};
}

json CustomerJson(const core::Customer& c) {
  return json{{"id", c.id}, {"user_name", c.user_name}, {"balance", c.balance.cents()}};
}

json OrderJson(const core::Order& o) {
  return json{{"id", o.id},
              {"uuid", o.uuid},
              {"product_id", o.product_id},
              {"price", o.price.cents()},
              {"status", core::ToString(o.status)},
              {"created_at", o.created_at},
              {"refunded_at", o.refunded_at ? json(*o.refunded_at) : json(nullptr)}};
}

// A path id: 1..18 decimal digits, no sign, no leading zero. Anything else is not a
// route, so the caller answers 404.
std::optional<int64_t> PathId(const std::string& s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Clients may send any method name; metrics keep a bounded set of series.
const char* MethodLabel(const std::string& method) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == m) return m;
  }
  return "other";
}

// user_name is the kiosk customer's credential: missing → 401, ill-typed → 400.
Result<std::string> UserName(const Params& p) {
  auto name = p.String("user_name");
  if (!name.ok()) return name.status();
  if (!name->has_value() || (*name)->empty()) {
    return Status(Code::kUnauthenticated, "unauthorized", "user_name is required");
  }
  return std::move(**name);
}

// `product_id` in the parameters, when given, must be the product in the path.
Status CheckProductId(const Params& p, int64_t path_id) {
  auto pid = p.Int("product_id");
  if (!pid.ok()) return pid.status();
  if (pid->has_value() && **pid != path_id) {
    return InvalidArgument("product_id " + std::to_string(**pid) +
                           " does not match the product in the path");
  }
  return Status::Ok();
}

}  // namespace

KioskApi::KioskApi(core::KioskStore& store, metrics::Registry& metrics, KioskApiOptions options)
    : store_(store),
      metrics_(metrics),
      options_(std::move(options)),
      started_(std::chrono::steady_clock::now()),
      max_deposit_(options_.max_deposit),
      sales_(metrics.GetCounter("vend_edge_sales_total", "Completed buys")),
      sales_cents_(metrics.GetCounter("vend_edge_sales_cents_total", "Cents charged by buys")),
      refunds_(metrics.GetCounter("vend_edge_refunds_total", "Completed refunds")),
      refunds_cents_(metrics.GetCounter("vend_edge_refunds_cents_total", "Cents refunded")),
      deposits_(metrics.GetCounter("vend_edge_deposits_total", "Completed add_balance calls")),
      deposits_cents_(metrics.GetCounter("vend_edge_deposits_cents_total", "Cents deposited")) {
  metrics.AddGauge("vend_edge_outbox_depth", "Events not yet acknowledged by the cloud", [&store] {
    auto s = store.Outbox();
    return s.ok() ? static_cast<double>(s->depth) : -1.0;
  });
  metrics.AddGauge("vend_edge_uptime_seconds", "Seconds since start", [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  });
}

void KioskApi::SetHealthExtra(std::function<void(json&)> extra) {
  std::lock_guard<std::mutex> lock(health_mu_);
  health_extra_ = std::move(extra);
}

HttpResponse KioskApi::Handle(const HttpRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  HttpResponse resp;
  if (req.body.size() > options_.max_body_bytes) {
    resp =
        Error(Status(Code::kTooLarge, "payload_too_large",
                     "request body is over " + std::to_string(options_.max_body_bytes) + " bytes"));
  } else {
    resp = Dispatch(req, route);
  }
  if (resp.status >= 500) {
    // The details go to the log only; the client sees a generic message and the id.
    spdlog::error("server error request_id={} route={} status={} detail={}", req.request_id, route,
                  resp.status, resp.body);
    resp = ErrorResponse(resp.status == 503 ? Status(Code::kUnavailable, "busy",
                                                     "the machine is busy, please try again")
                                            : Status(Code::kInternal, "internal", ""),
                         req.request_id);
  }
  if (req.method == "HEAD") resp.body.clear();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_
      .GetCounter("vend_edge_http_requests_total", "HTTP requests by route, method and status",
                  {{"route", route},
                   {"method", MethodLabel(req.method)},
                   {"status", std::to_string(resp.status)}})
      .Inc();
  metrics_
      .GetHistogram("vend_edge_http_request_duration_seconds", "HTTP request latency by route",
                    metrics::LatencyBuckets(), {{"route", route}})
      .Observe(secs);
  return resp;
}

HttpResponse KioskApi::Dispatch(const HttpRequest& req, std::string& route) {
  const auto seg = PathSegments(req.path);
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  auto method_not_allowed = [&](const char* allow) {
    HttpResponse r = Error(Status(Code::kInvalidArgument, "method_not_allowed",
                                  "method " + req.method + " is not allowed here"));
    r.status = 405;
    r.headers.emplace_back("Allow", allow);
    return r;
  };

  if (seg.size() == 1 && seg[0] == "healthz") {
    route = "/healthz";
    return get ? Health() : method_not_allowed("GET, HEAD");
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    route = "/metrics";
    if (!get) return method_not_allowed("GET, HEAD");
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.Render();
    return r;
  }
  if (seg.empty() || seg[0] != "api") {
    route = "static";
    return get ? ServeStatic(req) : method_not_allowed("GET, HEAD");
  }
  if (seg.size() < 3 || seg[1] != "v1") return Error(NotFound("no such API route"));

  auto params = Params::FromRequest(req);
  const std::string& collection = seg[2];
  const std::optional<int64_t> path_id = seg.size() >= 4 ? PathId(seg[3]) : std::nullopt;
  if (seg.size() >= 4 && !path_id) {
    return Error(NotFound(collection == "users" ? "user not found" : "product not found"));
  }
  const int64_t id = path_id.value_or(0);
  const std::string action = seg.size() == 5 ? seg[4] : "";
  if (seg.size() > 5) return Error(NotFound("no such API route"));

  if (collection == "products") {
    if (seg.size() == 3) {
      route = "/api/v1/products";
      return get ? Products() : method_not_allowed("GET, HEAD");
    }
    if (seg.size() == 4) {
      route = "/api/v1/products/{id}";
      if (!get) return method_not_allowed("GET, HEAD");
      auto p = store_.GetProduct(id);
      return p.ok() ? JsonResponse(200, ProductJson(*p)) : Error(p.status());
    }
    if (action != "buy" && action != "refund") return Error(NotFound("no such API route"));
    route = "/api/v1/products/{id}/" + action;
    if (!post) return method_not_allowed("POST");
    if (!params.ok()) return Error(params.status());
    if (auto s = CheckProductId(*params, id); !s.ok()) return Error(s);
    auto user = UserName(*params);
    if (!user.ok()) return Error(user.status());

    if (action == "buy") {
      auto key = params->String("idempotency_key");
      if (!key.ok()) return Error(key.status());
      auto r = store_.Buy(core::BuyRequest{id, *user, *key});
      if (!r.ok()) return Error(r.status());
      if (!r->replayed) {
        sales_.Inc();
        sales_cents_.Inc(static_cast<uint64_t>(r->order.price.cents()));
        spdlog::info("sale request_id={} order_id={} order_uuid={} product_id={} price={}",
                     req.request_id, r->order.id, r->order.uuid, r->order.product_id,
                     r->order.price.cents());
      }
      HttpResponse resp =
          JsonResponse(201, json{{"order", OrderJson(r->order)}, {"balance", r->balance.cents()}});
      if (r->replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
      return resp;
    }
    auto order_id = params->Int("order_id");
    if (!order_id.ok()) return Error(order_id.status());
    if (order_id->has_value() && **order_id <= 0) return Error(NotFound("order not found"));
    auto r = store_.Refund(core::RefundRequest{id, *user, *order_id});
    if (!r.ok()) return Error(r.status());
    refunds_.Inc();
    refunds_cents_.Inc(static_cast<uint64_t>(r->order.price.cents()));
    spdlog::info("refund request_id={} order_id={} order_uuid={} product_id={} amount={}",
                 req.request_id, r->order.id, r->order.uuid, r->order.product_id,
                 r->order.price.cents());
    return JsonResponse(200, json{{"order", OrderJson(r->order)}, {"balance", r->balance.cents()}});
  }

  if (collection == "users") {
    if (seg.size() == 3) {
      route = "/api/v1/users";
      if (!post) return method_not_allowed("POST");
      if (!params.ok()) return Error(params.status());
      auto user = UserName(*params);
      if (!user.ok()) return Error(user.status());
      auto r = store_.CreateCustomer(*user);
      if (!r.ok()) return Error(r.status());
      return JsonResponse(r->created ? 201 : 200, CustomerJson(r->customer));
    }
    if (seg.size() == 4) {
      route = "/api/v1/users/{id}";
      if (!get) return method_not_allowed("GET, HEAD");
    } else if (action == "add_balance") {
      route = "/api/v1/users/{id}/add_balance";
      if (!post) return method_not_allowed("POST");
    } else if (action == "orders") {
      route = "/api/v1/users/{id}/orders";
      if (!get) return method_not_allowed("GET, HEAD");
    } else {
      return Error(NotFound("no such API route"));
    }
    if (!params.ok()) return Error(params.status());
    auto user = UserName(*params);
    if (!user.ok()) return Error(user.status());

    if (seg.size() == 4) {
      auto c = store_.GetCustomer(id, *user);
      return c.ok() ? JsonResponse(200, CustomerJson(*c)) : Error(c.status());
    }
    if (action == "orders") {
      auto orders = store_.Orders(id, *user);
      if (!orders.ok()) return Error(orders.status());
      json arr = json::array();
      for (const auto& o : *orders) arr.push_back(OrderJson(o));
      return JsonResponse(200, arr);
    }
    auto amount = params->Int("amount");
    if (!amount.ok()) return Error(amount.status());
    if (!amount->has_value()) return Error(InvalidArgument("'amount' is required"));
    auto c = store_.Deposit(id, *user, Money::FromCents(**amount), Money::FromCents(max_deposit()));
    if (!c.ok()) return Error(c.status());
    deposits_.Inc();
    deposits_cents_.Inc(static_cast<uint64_t>(**amount));
    spdlog::info("deposit request_id={} customer_id={} amount={}", req.request_id, c->id, **amount);
    return JsonResponse(200, CustomerJson(*c));
  }
  return Error(NotFound("no such API route"));
}

HttpResponse KioskApi::Products() {
  auto snapshot = store_.Products();
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (snapshot != cached_products_) {
    json arr = json::array();
    for (const auto& p : *snapshot) arr.push_back(ProductJson(p));
    cached_products_body_ = arr.dump();
    cached_products_ = snapshot;
  }
  HttpResponse r;
  r.body = cached_products_body_;
  return r;
}

HttpResponse KioskApi::Health() {
  json body{{"status", "ok"},
            {"machine_id", options_.machine_id},
            {"version", options_.version},
            {"uptime_s", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::steady_clock::now() - started_)
                                                  .count())}};
  auto outbox = store_.Outbox();
  if (!outbox.ok()) {
    spdlog::error("healthz: outbox unreadable: {}", outbox.status().ToString());
    return Error(outbox.status());
  }
  body["outbox"] = {
      {"depth", outbox->depth}, {"last_seq", outbox->last_seq}, {"acked_seq", outbox->acked_seq}};
  body["sync"] = {{"state", "standalone"}};
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    if (health_extra_) health_extra_(body);
  }
  return JsonResponse(200, body);
}

HttpResponse KioskApi::ServeStatic(const HttpRequest& req) {
  return vend::http::ServeStatic(req, {options_.static_dir, /*spa_fallback=*/false});
}

}  // namespace vend::edge::http
