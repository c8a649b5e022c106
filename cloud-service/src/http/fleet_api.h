// FleetApi: the admin API's fleet routes (machines, products, orders, alerts, overview)
// behind AdminApi, which has already authenticated the caller, checked the role for the
// method and the CSRF token. FleetApi routes (404, 405 with Allow), validates the path,
// query and body (400/413/415 naming the field or parameter) and answers with the
// shapes of the admin contract; every change is one transaction with its commands and
// audit row (db::PgPortal) and one log line with the request id and the actor.
//
// Thread safety: Handle may be called concurrently (each call leases its own connection).
#pragma once

#include <chrono>

#include "db/pg_pool.h"
#include "http/admin_request.h"
#include "vend/http/http_types.h"

namespace vend::cloud::http {

struct FleetApiOptions {
  std::chrono::seconds offline_after{300};
  double temp_min_c = 0.0;
  double temp_max_c = 8.0;
};

class FleetApi {
 public:
  FleetApi(db::PgPool& pool, FleetApiOptions options);

  vend::http::HttpResponse Handle(const AdminRequest& request);

 private:
  db::PgPool& pool_;
  FleetApiOptions options_;
};

}  // namespace vend::cloud::http
