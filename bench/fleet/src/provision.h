// Provisioning a simulated fleet: each machine gets what `vend-cloud machine add` gives
// it — a row in vend-cloud's `machines` table and its own dynamic-security client
// (username = machine id, a random password) with role machine-ID limited to its own
// topics — but for thousands of machines at once.
//
// Why not `vend-cloud machine add` per machine: Mosquitto 2.0's dynamic-security
// plugin rewrites its whole JSON file after every modifying command, so creating N
// clients costs O(N^2) (measured here: 50 machines per message take 0.4 s at the
// start and 2 s once 1,000 exist). Two paths are offered:
//   - WriteDynsecConfig: writes the roles and clients straight into the plugin's
//     file while the broker is stopped (PBKDF2-SHA512, 101 iterations, 12-byte salt:
//     the plugin's own format), O(N); the broker loads them when it starts.
//   - ProvisionDynsecOnline: the admin API on $CONTROL/dynamic-security/v1, many
//     machines per message, as `machine add` would do it one by one.
// Both create the same ACLs as cloud-service's DynsecProvisioner.
//
// Thread safety: free functions; each opens its own connections.
#pragma once

#include <string>
#include <vector>

#include "fleet.h"
#include "vend/status.h"

namespace vend::bench {

// `count` machines PREFIX-00001 ... with fresh random passwords (32 URL-safe characters).
std::vector<Credential> NewCredentials(const std::string& prefix, size_t count);

// "ID PASSWORD" lines, mode 0600.
Status SaveCredentials(const std::string& path, const std::vector<Credential>& creds);
Result<std::vector<Credential>> LoadCredentials(const std::string& path);

// Adds (or replaces) every machine's role and client in the dynamic-security file at
// `path`, keeping its owner and mode. The broker must be stopped.
Status WriteDynsecConfig(const std::string& path, const std::vector<Credential>& creds);

// Creates the roles and clients through the running broker, `per_message` machines per
// control message, as `admin_user` (a client allowed $CONTROL/dynamic-security/#).
Status ProvisionDynsecOnline(const std::string& host, uint16_t port, const std::string& admin_user,
                             const std::string& admin_password,
                             const std::vector<Credential>& creds, size_t per_message);

// Inserts the machines into vend-cloud's `machines` table (already migrated) in one
// transaction. `vend-cloud machine add` also queues the catalog's product.upsert
// commands for a new machine; with an empty catalog it queues none, which is what this
// checks (under a lock that keeps the catalog from changing meanwhile) and requires.
Status InsertMachines(const std::string& pg_url, const std::vector<Credential>& creds);

}  // namespace vend::bench
