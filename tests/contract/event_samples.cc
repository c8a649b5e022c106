// event_samples: prints labelled edge-event samples for check_event_schemas.py, one JSON
// object per line, so the JSON Schemas in schemas/mqtt and the C++ codec cannot drift.
//
// Each line (ASCII, non-ASCII escaped) is {"kind":"event", "label", "expect", "schema", "decoder",
// "error", "roundtrip", "sample"}:
//   expect   "valid"   encoded by schemas::EncodeEvent; schema and decoder must accept it
//            "invalid" one mutation of a valid sample; schema and decoder must reject it
//            "gap"     a documented place where JSON Schema cannot say what the decoder
//                      checks: the decoder rejects it, the schema accepts it
//   schema   the event type whose schema the sample is checked against
//   decoder  "accepted" or "rejected": the verdict of schemas::DecodeEvent
//   roundtrip  for an accepted sample: EncodeEvent(DecodeEvent(sample)) == sample
// and {"kind":"machine", "label", "machine", "decoder"} with vend::IsMachineId's verdict,
// for the machine pattern of events-batch.schema.json.
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "vend/events.h"
#include "vend/ids.h"

namespace {

using nlohmann::json;
using vend::schemas::Event;
using vend::schemas::EventData;

constexpr int64_t kMax = INT64_MAX;
const json kPastInt64 = static_cast<uint64_t>(INT64_MAX) + 1;

struct Sample {
  std::string label;
  std::string expect;
  std::string schema;
  json event;
};

// Fixed ids, so the output is the same on every run.
const char* kUuid[] = {
    "0190f3a8-5c1e-7a2b-9c3d-4e5f60718293",
    "0190f3a8-5c1e-7a2b-9c3d-4e5f60718294",
    "0190f3a8-5c1e-7a2b-9c3d-4e5f60718295",
    "0190F3A8-5C1E-7A2B-9C3D-4E5F60718296",
};
const char* kAt = "2026-11-26T17:30:00.123Z";

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

Event Make(int64_t seq, EventData data, std::string at = kAt, std::string id = kUuid[0]) {
  return Event{seq, std::move(id), std::move(at), std::move(data)};
}

// One typical event of each type: the bases the invalid samples mutate.
std::vector<Event> Bases() {
  using namespace vend::schemas;
  return {
      Make(1, OrderCreated{12, kUuid[1], 3, "kiosk-7f3a9c", 1, 150, 850}),
      Make(2, OrderRefunded{12, kUuid[1], 3, "kiosk-7f3a9c", 1, 150, 1000}),
      Make(3, BalanceDeposited{5, kUuid[2], 3, "kiosk-7f3a9c", 1000, 1000}),
      Make(4, StockChanged{1, 9, "sale"}),
      Make(5, CommandApplied{kUuid[2], "stock.set"}),
      Make(6, CommandRejected{kUuid[2], "product.remove", "unknown product 42"}),
  };
}

// Valid edge cases: bounds, every enum value, the timestamp and UUID forms the decoder
// takes. All are produced by EncodeEvent.
std::vector<std::pair<std::string, Event>> Edges() {
  using namespace vend::schemas;
  const std::string name128 = Repeat("k", 128);
  const std::string utf8_name = "Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80";  // "Zoë € 😀"
  std::vector<std::pair<std::string, Event>> v = {
      {"order.created free product, zero balance after",
       Make(1, OrderCreated{1, kUuid[1], 1, "u", 1, 0, 0})},
      {"order.created int64 maxima",
       Make(kMax, OrderCreated{kMax, kUuid[1], kMax, "u", kMax, kMax, kMax})},
      {"order.created user_name of 128 bytes",
       Make(1, OrderCreated{1, kUuid[1], 1, name128, 1, 1, 1})},
      {"order.created non-ASCII user_name",
       Make(1, OrderCreated{1, kUuid[1], 1, utf8_name, 1, 1, 1})},
      {"order.refunded amount 0", Make(1, OrderRefunded{1, kUuid[1], 1, "u", 1, 0, 0})},
      {"order.refunded int64 maxima",
       Make(kMax, OrderRefunded{kMax, kUuid[1], kMax, "u", kMax, kMax, kMax})},
      {"balance.deposited amount 1", Make(1, BalanceDeposited{1, kUuid[2], 1, "u", 1, 1})},
      {"balance.deposited int64 maxima",
       Make(kMax, BalanceDeposited{kMax, kUuid[2], kMax, name128, kMax, kMax})},
      {"stock.changed count 0", Make(1, StockChanged{1, 0, "sale"})},
      {"stock.changed count int64 max", Make(1, StockChanged{kMax, kMax, "command"})},
      {"command.applied command_type of 64 bytes",
       Make(1, CommandApplied{kUuid[2], Repeat("c", 64)})},
      {"command.rejected reason of 256 bytes",
       Make(1, CommandRejected{kUuid[2], "config.set", Repeat("r", 256)})},
      {"command.rejected unknown command type echoed",
       Make(1, CommandRejected{kUuid[2], "firmware.flash", "unknown command type"})},
      {"command.rejected non-ASCII reason",
       Make(1,
            CommandRejected{kUuid[2], "product.upsert", "name \xe2\x80\x9c\xe2\x80\x9d is empty"})},
      {"upper-case UUIDs", Make(1, OrderCreated{1, kUuid[3], 1, "u", 1, 1, 1}, kAt, kUuid[3])},
  };
  for (const char* cause : {"sale", "refund", "seed", "command"}) {
    v.push_back({std::string("stock.changed cause ") + cause, Make(1, StockChanged{2, 3, cause})});
  }
  for (const char* type :
       {"product.upsert", "product.remove", "stock.set", "stock.add", "config.set"}) {
    v.push_back({std::string("command.applied ") + type, Make(1, CommandApplied{kUuid[2], type})});
  }
  for (const char* at :
       {"2026-11-26T17:30:00Z", "2026-11-26T17:30:00.1Z", "2026-11-26T17:30:00.123456789Z",
        "2024-02-29T00:00:00Z", "2000-02-29T12:00:00.000Z", "2026-12-31T23:59:60Z",
        "0000-01-01T00:00:00Z", "2026-04-30T00:00:00Z"}) {
    v.push_back({std::string("at ") + at, Make(1, StockChanged{1, 1, "seed"}, at)});
  }
  return v;
}

json Erased(json j, const std::string& pointer) {
  json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j;
}

json Set(json j, const std::string& pointer, json value) {
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

// Every single-field breakage the decoder must refuse, applied to `base`.
void AddInvalid(const Event& base_event, std::vector<Sample>& out) {
  const json base = vend::schemas::EncodeEvent(base_event);
  const std::string type = base["type"];
  auto add = [&](const std::string& what, json j) {
    out.push_back({type + ": " + what, "invalid", type, std::move(j)});
  };

  // The envelope.
  for (const char* key : {"seq", "id", "type", "at", "data"}) {
    add(std::string("missing ") + key, Erased(base, std::string("/") + key));
    add(std::string(key) + " null", Set(base, std::string("/") + key, nullptr));
  }
  add("unknown envelope field", Set(base, "/machine", "m1"));
  for (const auto& [what, v] :
       std::vector<std::pair<std::string, json>>{{"seq 0", 0},
                                                 {"seq -1", -1},
                                                 {"seq as string", "7"},
                                                 {"seq 1.5", 1.5},
                                                 {"seq true", true},
                                                 {"seq past int64", kPastInt64},
                                                 {"seq 1e300", 1e300}}) {
    add(what, Set(base, "/seq", v));
  }
  for (const auto& [what, v] : std::vector<std::pair<std::string, json>>{
           {"id not a UUID", "not-a-uuid"},
           {"id without dashes", "0190f3a85c1e7a2b9c3d4e5f60718293"},
           {"id with a non-hex digit", "0190f3a8-5c1e-7a2b-9c3d-4e5f6071829g"},
           {"id with a trailing newline", std::string(kUuid[0]) + "\n"},
           {"id too long", std::string(kUuid[0]) + "0"},
           {"id empty", ""},
           {"id braced", "{0190f3a8-5c1e-7a2b-9c3d-4e5f6071829}"},
           {"id as number", 42}}) {
    add(what, Set(base, "/id", v));
  }
  const std::string other_type = type == "stock.changed" ? "order.created" : "stock.changed";
  for (const auto& [what, v] :
       std::vector<std::pair<std::string, json>>{{"type unknown", "order.exploded"},
                                                 {"type of another event", other_type},
                                                 {"type empty", ""},
                                                 {"type upper-case", "ORDER.CREATED"},
                                                 {"type as number", 5}}) {
    add(what, Set(base, "/type", v));
  }
  for (const auto& [what, v] : std::vector<std::pair<std::string, json>>{
           {"at free text", "yesterday"},
           {"at without Z", "2026-11-26T17:30:00.123"},
           {"at with an offset", "2026-11-26T17:30:00+00:00"},
           {"at with a space", "2026-11-26 17:30:00Z"},
           {"at lower-case z", "2026-11-26T17:30:00.123z"},
           {"at date only", "2026-11-26"},
           {"at 29 Feb of a common year", "2026-02-29T00:00:00Z"},
           {"at 29 Feb 1900", "1900-02-29T00:00:00Z"},
           {"at 31 April", "2026-04-31T00:00:00Z"},
           {"at month 13", "2026-13-01T00:00:00Z"},
           {"at day 0", "2026-11-00T00:00:00Z"},
           {"at hour 24", "2026-11-26T24:00:00Z"},
           {"at minute 60", "2026-11-26T17:60:00Z"},
           {"at second 61", "2026-11-26T17:30:61Z"},
           {"at empty fraction", "2026-11-26T17:30:00.Z"},
           {"at 10 fraction digits", "2026-11-26T17:30:00.1234567890Z"},
           {"at with a trailing newline", std::string(kAt) + "\n"},
           {"at as number", 1764178200}}) {
    add(what, Set(base, "/at", v));
  }
  for (const auto& [what, v] : std::vector<std::pair<std::string, json>>{
           {"data array", json::array()}, {"data string", "x"}}) {
    add(what, Set(base, "/data", v));
  }
  add("data unknown field", Set(base, "/data/surprise", 1));

  // Each data field, by kind.
  for (const auto& [key, value] : base["data"].items()) {
    const std::string p = "/data/" + key;
    add("missing data." + key, Erased(base, p));
    add("data." + key + " null", Set(base, p, nullptr));
    add("data." + key + " boolean", Set(base, p, true));
    add("data." + key + " object", Set(base, p, json::object()));
    if (value.is_number_integer()) {
      add("data." + key + " as string", Set(base, p, std::to_string(value.get<int64_t>())));
      add("data." + key + " fraction", Set(base, p, 1.5));
      add("data." + key + " past int64", Set(base, p, kPastInt64));
      add("data." + key + " -1", Set(base, p, -1));
      const bool positive = EndsWith(key, "_id");
      const bool deposit = type == "balance.deposited" && key == "amount";
      if (positive || deposit) add("data." + key + " 0", Set(base, p, 0));
    } else {
      add("data." + key + " as number", Set(base, p, 1));
      add("data." + key + " empty", Set(base, p, ""));
      add("data." + key + " with a control character", Set(base, p,
                                                           "a\x01"
                                                           "b"));
      add("data." + key + " with DEL", Set(base, p, "a\x7f"));
      add("data." + key + " with a C1 control", Set(base, p, "a\xc2\x85"));
      add("data." + key + " with a trailing newline",
          Set(base, p, value.get<std::string>() + "\n"));
      size_t max = 0;
      if (key == "user_name") max = 128;
      if (key == "command_type") max = 64;
      if (key == "reason") max = 256;
      if (max) add("data." + key + " too long", Set(base, p, Repeat("x", max + 1)));
      if (EndsWith(key, "_id") || EndsWith(key, "_uuid")) {
        add("data." + key + " not a UUID", Set(base, p, "0190f3a8-5c1e-7a2b-9c3d"));
      }
      if (key == "cause") {
        add("data.cause unknown", Set(base, p, "theft"));
        add("data.cause upper-case", Set(base, p, "Sale"));
      }
    }
  }
}

// Where JSON Schema is looser than the decoder, for reasons of the JSON data model.
void AddGaps(const Event& base_event, std::vector<Sample>& out) {
  const json base = vend::schemas::EncodeEvent(base_event);
  const std::string type = base["type"];
  auto add = [&](const std::string& what, json j) {
    out.push_back({type + ": " + what, "gap", type, std::move(j)});
  };
  // JSON Schema's "integer" is any number with a zero fraction; nlohmann keeps 1.0 a
  // float and the decoder refuses it.
  add("seq 1.0 (integral float)", Set(base, "/seq", 1.0));
  add("seq 1e2 (integral float)", Set(base, "/seq", 1e2));
  // maxLength counts characters; the decoder counts UTF-8 bytes: 65 x U+00E9 is 130 bytes.
  if (base["data"].contains("user_name")) {
    add("data.user_name 65 characters, 130 bytes",
        Set(base, "/data/user_name", Repeat("\xc3\xa9", 65)));
  }
}

}  // namespace

int main() {
  std::vector<Sample> samples;
  for (const Event& e : Bases()) {
    samples.push_back({std::string(vend::schemas::EventType(e.data)) + ": typical", "valid",
                       std::string(vend::schemas::EventType(e.data)),
                       vend::schemas::EncodeEvent(e)});
  }
  for (const auto& [label, e] : Edges()) {
    samples.push_back({label, "valid", std::string(vend::schemas::EventType(e.data)),
                       vend::schemas::EncodeEvent(e)});
  }
  for (const Event& e : Bases()) AddInvalid(e, samples);
  for (const Event& e : Bases()) AddGaps(e, samples);
  samples.push_back({"not an object", "invalid", "order.created", json::array()});

  for (const Sample& s : samples) {
    auto decoded = vend::schemas::DecodeEvent(s.event);
    json line{{"kind", "event"},
              {"label", s.label},
              {"expect", s.expect},
              {"schema", s.schema},
              {"decoder", decoded.ok() ? "accepted" : "rejected"},
              {"error", decoded.status().ToString()},
              {"roundtrip", decoded.ok() && vend::schemas::EncodeEvent(*decoded) == s.event},
              {"sample", s.event}};
    std::cout << line.dump(-1, ' ', /*ensure_ascii=*/true) << '\n';
  }

  const std::vector<std::string> machines = {
      "m1",  "vm-0001", "A_z-09", Repeat("m", 64), Repeat("m", 65), "",  "m 1", "m/1",
      "m+1", "m#1",     "m.1",    "m\n",           "\xc3\xa9",      "-", "_"};
  for (const std::string& m : machines) {
    json line{{"kind", "machine"},
              {"label", json(m).dump()},
              {"machine", m},
              {"decoder", vend::IsMachineId(m) ? "accepted" : "rejected"}};
    std::cout << line.dump(-1, ' ', /*ensure_ascii=*/true) << '\n';
  }
  return std::cout.good() ? 0 : 1;
}
