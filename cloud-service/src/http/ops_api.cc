#include "http/ops_api.h"

#include <nlohmann/json.hpp>

namespace vend::cloud::http {

using vend::http::HttpRequest;
using vend::http::HttpResponse;

OpsApi::OpsApi(core::FleetProbe& probe, core::MessagePublisher& bus, metrics::Registry& registry,
               std::string version)
    : probe_(probe), bus_(bus), registry_(registry), version_(std::move(version)) {
  registry_.AddGauge("vend_cloud_machines", "Provisioned machines",
                     [this] { return static_cast<double>(machines_.load()); });
  registry_.AddGauge("vend_cloud_machines_online", "Machines whose presence is online",
                     [this] { return static_cast<double>(online_.load()); });
  registry_.AddGauge("vend_cloud_pending_commands", "Commands not yet applied or rejected",
                     [this] { return static_cast<double>(pending_.load()); });
  registry_.AddGauge("vend_cloud_mqtt_connected", "1 while connected to the broker",
                     [this] { return bus_.Connected() ? 1.0 : 0.0; });
}

HttpResponse OpsApi::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = vend::http::ErrorResponse(
        Status(Code::kNotFound, "method_not_allowed", "only GET is served here"),
        request.request_id);
    r.status = 405;
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  if (request.path == "/healthz") return Health(request);
  if (request.path == "/metrics") return Metrics();
  return vend::http::ErrorResponse(NotFound("no route " + request.path), request.request_id);
}

HttpResponse OpsApi::Health(const HttpRequest& request) {
  auto db = probe_.Ping();
  const bool mqtt = bus_.Connected();
  nlohmann::json body{{"status", db.ok() && mqtt ? "ok" : "unavailable"},
                      {"db", db.ok()},
                      {"mqtt", mqtt},
                      {"version", version_},
                      {"request_id", request.request_id}};
  if (!db.ok()) body["db_error"] = db.message();
  HttpResponse r;
  r.status = db.ok() && mqtt ? 200 : 503;
  r.body = body.dump();
  return r;
}

HttpResponse OpsApi::Metrics() {
  // A failed read keeps the last values; /healthz reports the database state.
  if (auto counts = probe_.Counts(); counts.ok()) {
    machines_ = counts->machines;
    online_ = counts->online;
    pending_ = counts->pending_commands;
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = registry_.Render();
  return r;
}

}  // namespace vend::cloud::http
