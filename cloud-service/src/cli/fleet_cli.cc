#include "cli/fleet_cli.h"

#include <nlohmann/json.hpp>

namespace vend::cloud::cli {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kConflict:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int Fail(const Status& s, std::ostream& err) {
  err << "error: " << s.message() << " (" << s.reason() << ")\n";
  return ExitCodeFor(s);
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

int MachineAdd(core::FleetAdmin& admin, core::CredentialProvisioner& creds,
               const MachineAddArgs& args, std::ostream& out, std::ostream& err) {
  if (auto s = core::ValidateMachineId(args.id); !s.ok()) return Fail(s, err);
  if (args.format != "text" && args.format != "env") {
    return Fail(InvalidArgument("--format must be text or env"), err);
  }
  auto exists = admin.MachineExists(args.id);
  if (!exists.ok()) return Fail(exists.status(), err);
  if (*exists) {
    return Fail(
        Status(Code::kConflict, "machine_exists", "machine '" + args.id + "' already exists"), err);
  }
  // The credential first: if the row were first, a broker failure would leave a
  // machine that can never connect; this way a retry replaces the credential.
  auto cred = creds.CreateMachineCredential(args.id);
  if (!cred.ok()) return Fail(cred.status(), err);
  auto queued = admin.AddMachine(args.id, cred->username);
  if (!queued.ok()) return Fail(queued.status(), err);
  if (args.format == "env") {
    out << "VEND_MACHINE_ID=" << ShellQuote(args.id) << "\n"
        << "VEND_MQTT_URL=" << ShellQuote(args.edge_mqtt_url) << "\n"
        << "VEND_MQTT_USER=" << ShellQuote(cred->username) << "\n"
        << "VEND_MQTT_PASSWORD=" << ShellQuote(cred->password) << "\n";
  } else {
    out << "machine_id:     " << args.id << "\n"
        << "mqtt_url:       " << args.edge_mqtt_url << "\n"
        << "mqtt_username:  " << cred->username << "\n"
        << "mqtt_password:  " << cred->password << "\n"
        << "catalog queued: " << *queued << " product.upsert command(s)\n";
  }
  return kExitOk;
}

int MachineList(core::FleetAdmin& admin, const std::string& format, std::ostream& out,
                std::ostream& err) {
  if (format != "text" && format != "json") {
    return Fail(InvalidArgument("--format must be text or json"), err);
  }
  auto machines = admin.ListMachines();
  if (!machines.ok()) return Fail(machines.status(), err);
  if (format == "json") {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& m : *machines) {
      a.push_back(
          {{"id", m.id},
           {"online", m.online},
           {"last_seen", m.last_seen.empty() ? nlohmann::json() : nlohmann::json(m.last_seen)},
           {"agent_version", m.agent_version},
           {"watermark", m.watermark},
           {"pending_commands", m.pending_commands}});
    }
    out << a.dump(2) << "\n";
    return kExitOk;
  }
  char line[256];
  std::snprintf(line, sizeof line, "%-24s %-7s %-24s %-10s %10s %8s\n", "MACHINE", "ONLINE",
                "LAST SEEN", "VERSION", "WATERMARK", "PENDING");
  out << line;
  for (const auto& m : *machines) {
    std::snprintf(line, sizeof line, "%-24s %-7s %-24s %-10s %10lld %8lld\n", m.id.c_str(),
                  m.online ? "yes" : "no", m.last_seen.empty() ? "-" : m.last_seen.c_str(),
                  m.agent_version.empty() ? "-" : m.agent_version.c_str(),
                  static_cast<long long>(m.watermark), static_cast<long long>(m.pending_commands));
    out << line;
  }
  return kExitOk;
}

int ProductAdd(core::FleetAdmin& admin, const core::CatalogProduct& p, std::ostream& out,
               std::ostream& err) {
  auto n = admin.AddProduct(p);
  if (!n.ok()) return Fail(n.status(), err);
  out << "product " << p.id << " added; product.upsert queued for " << *n << " machine(s)\n";
  return kExitOk;
}

int ProductSet(core::FleetAdmin& admin, int64_t id, core::ProductPatch patch,
               const std::optional<std::string>& refundable, std::ostream& out, std::ostream& err) {
  if (refundable) {
    const std::string& v = *refundable;
    if (v == "true" || v == "yes" || v == "1") {
      patch.is_refundable = true;
    } else if (v == "false" || v == "no" || v == "0") {
      patch.is_refundable = false;
    } else {
      return Fail(InvalidArgument("--refundable must be true or false"), err);
    }
  }
  auto n = admin.UpdateProduct(id, patch);
  if (!n.ok()) return Fail(n.status(), err);
  out << "product " << id << " updated; product.upsert queued for " << *n << " machine(s)\n";
  return kExitOk;
}

int ProductRemove(core::FleetAdmin& admin, int64_t id, std::ostream& out, std::ostream& err) {
  auto n = admin.RemoveProduct(id);
  if (!n.ok()) return Fail(n.status(), err);
  out << "product " << id << " removed; product.remove queued for " << *n << " machine(s)\n";
  return kExitOk;
}

int StockSet(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t count,
             std::ostream& out, std::ostream& err) {
  if (auto s = admin.SetStock(machine, product, count); !s.ok()) return Fail(s, err);
  out << "stock.set " << machine << " product " << product << " count " << count << " queued\n";
  return kExitOk;
}

int StockAdd(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t delta,
             std::ostream& out, std::ostream& err) {
  if (auto s = admin.AddStock(machine, product, delta); !s.ok()) return Fail(s, err);
  out << "stock.add " << machine << " product " << product << " delta " << delta << " queued\n";
  return kExitOk;
}

int PriceSet(core::FleetAdmin& admin, const std::string& machine, int64_t product, int64_t cents,
             std::ostream& out, std::ostream& err) {
  if (auto s = admin.SetPrice(machine, product, cents); !s.ok()) return Fail(s, err);
  out << "price of product " << product << " on " << machine << " set to " << cents
      << " cents; product.upsert queued\n";
  return kExitOk;
}

}  // namespace vend::cloud::cli
