// OpsApi: vend-cloud's operational HTTP endpoints, without a transport (the cpprestsdk
// adapter in common/ serves it).
//
//   GET /healthz  200 {"status":"ok","db":true,"mqtt":true,...} when PostgreSQL answers
//                 and the broker connection is up, else 503 with the same body
//   GET /metrics  Prometheus text; the fleet gauges (machines online, pending commands)
//                 are read from the database for each scrape
//
// Thread safety: Handle may be called concurrently.
#pragma once

#include <atomic>
#include <string>

#include "core/ports.h"
#include "vend/http/http_types.h"
#include "vend/metrics.h"

namespace vend::cloud::http {

class OpsApi {
 public:
  OpsApi(core::FleetProbe& probe, core::MessagePublisher& bus, metrics::Registry& registry,
         std::string version);

  vend::http::HttpResponse Handle(const vend::http::HttpRequest& request);

 private:
  vend::http::HttpResponse Health(const vend::http::HttpRequest& request);
  vend::http::HttpResponse Metrics();

  core::FleetProbe& probe_;
  core::MessagePublisher& bus_;
  metrics::Registry& registry_;
  std::string version_;
  std::atomic<int64_t> machines_{0};
  std::atomic<int64_t> online_{0};
  std::atomic<int64_t> pending_{0};
};

}  // namespace vend::cloud::http
