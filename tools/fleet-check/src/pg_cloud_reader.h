// Reads one machine's rows from the vend-cloud PostgreSQL database into a CloudSnapshot.
//
// Read-only: one READ ONLY, REPEATABLE READ transaction per machine, so the projections,
// the watermark and the event log are from one instant (the cloud applies events and
// advances the watermark in one transaction), whatever vend-cloud is doing meanwhile.
//
// Thread safety: one PgCloudReader belongs to one thread (it holds one connection).
#pragma once

#include <memory>
#include <string>

#include "core/snapshot.h"
#include "vend/status.h"

namespace vend::fleet_check {

class PgCloudReader {
 public:
  // Connects; fails (kUnavailable) when PostgreSQL cannot be reached.
  static Result<std::unique_ptr<PgCloudReader>> Connect(const std::string& url);
  ~PgCloudReader();

  // A machine PostgreSQL does not know gives machine_exists = false, not an error.
  Result<CloudSnapshot> Read(const std::string& machine);

 private:
  struct Impl;  // the libpqxx connection, kept out of this header
  explicit PgCloudReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vend::fleet_check
