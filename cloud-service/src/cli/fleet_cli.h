// The provisioning and fleet subcommands of vend-cloud, on top of the store and
// credential roles. Each prints its result to `out`, its error to `err`, and returns the
// process exit code:
//   0  done
//   1  the database or the broker failed (nothing was changed, or for `machine add` the
//      broker credential exists without its machine row: running it again repairs that)
//   2  an argument is invalid or names something that does not exist / already exists;
//      nothing was changed
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "core/catalog.h"
#include "core/ports.h"

namespace vend::cloud::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int ExitCodeFor(const Status& s);
// Prints "error: ..." and returns ExitCodeFor(s).
int Fail(const Status& s, std::ostream& err);

struct MachineAddArgs {
  std::string id;
  std::string edge_mqtt_url;    // printed for the edge
  std::string format = "text";  // text | env
};
int MachineAdd(core::FleetAdmin& admin, core::CredentialProvisioner& creds,
               const MachineAddArgs& args, std::ostream& out, std::ostream& err);
int MachineList(core::FleetAdmin& admin, const std::string& format, std::ostream& out,
                std::ostream& err);

int ProductAdd(core::FleetAdmin& admin, const core::CatalogProduct& p, std::ostream& out,
               std::ostream& err);
// `refundable` is the raw flag value ("true"/"false"/"yes"/"no"/"1"/"0") when given.
int ProductSet(core::FleetAdmin& admin, int64_t id, core::ProductPatch patch,
               const std::optional<std::string>& refundable, std::ostream& out, std::ostream& err);
int ProductRemove(core::FleetAdmin& admin, int64_t id, std::ostream& out, std::ostream& err);

int StockSet(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t count,
             std::ostream& out, std::ostream& err);
int StockAdd(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t delta,
             std::ostream& out, std::ostream& err);
int PriceSet(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t cents,
             std::ostream& out, std::ostream& err);

// Quotes a value for a POSIX shell: 'it'\''s'.
std::string ShellQuote(const std::string& s);

}  // namespace vend::cloud::cli
