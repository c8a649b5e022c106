// KioskApi: the kiosk REST API of DESIGN.md section 2, the static kiosk UI, /healthz and
// /metrics, as a function from HttpRequest to HttpResponse.
//
// Thread safety: Handle may be called concurrently from any number of threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/kiosk_store.h"
#include "vend/http/http_types.h"
#include "vend/metrics.h"

namespace vend::edge::http {

using vend::http::ErrorResponse;
using vend::http::HttpRequest;
using vend::http::HttpResponse;
using vend::http::HttpStatusFor;

struct KioskApiOptions {
  std::string machine_id;
  std::string version;
  std::string static_dir;             // root of the kiosk UI files
  int64_t max_deposit = 100000;       // cents per add_balance call
  size_t max_body_bytes = 64 * 1024;  // larger bodies get 413
};

class KioskApi {
 public:
  // `store` and `metrics` must outlive the KioskApi.
  KioskApi(core::KioskStore& store, metrics::Registry& metrics, KioskApiOptions options);

  HttpResponse Handle(const HttpRequest& req);
  size_t max_body_bytes() const { return options_.max_body_bytes; }

  // Extra facts for /healthz (e.g. the sync state, added by the sync adapter later).
  void SetHealthExtra(std::function<void(nlohmann::json&)> extra);

  // Changes the add_balance cap at run time (the cloud's config.set max_deposit).
  void SetMaxDeposit(int64_t cents) { max_deposit_.store(cents, std::memory_order_relaxed); }
  int64_t max_deposit() const { return max_deposit_.load(std::memory_order_relaxed); }

 private:
  HttpResponse Dispatch(const HttpRequest& req, std::string& route_label);
  HttpResponse ServeStatic(const HttpRequest& req);
  HttpResponse Products();
  HttpResponse Health();

  core::KioskStore& store_;
  metrics::Registry& metrics_;
  const KioskApiOptions options_;
  const std::chrono::steady_clock::time_point started_;
  std::atomic<int64_t> max_deposit_;  // starts as options_.max_deposit

  metrics::Counter& sales_;
  metrics::Counter& sales_cents_;
  metrics::Counter& refunds_;
  metrics::Counter& refunds_cents_;
  metrics::Counter& deposits_;
  metrics::Counter& deposits_cents_;

  std::mutex cache_mu_;  // guards the two fields below
  std::shared_ptr<const std::vector<core::Product>> cached_products_;
  std::string cached_products_body_;

  std::mutex health_mu_;
  std::function<void(nlohmann::json&)> health_extra_;
};

}  // namespace vend::edge::http
