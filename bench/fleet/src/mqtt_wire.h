// The MQTT v5 packets the fleet simulator speaks, encoded and decoded on plain bytes
// (no I/O). Only what a vending machine's sync needs: CONNECT with credentials, a will
// and a session expiry; PUBLISH at QoS 0/1 both ways; PUBACK; SUBSCRIBE/SUBACK;
// PINGREQ/PINGRESP; DISCONNECT. Properties the broker sends are skipped except the
// few the client must honour (Receive Maximum in CONNACK, reason codes).
//
// Why not Paho: Paho C serves every client of a process from one receive thread that
// polls with a 1 s timeout and walks per-client lists; a simulator holding thousands
// of connections in one thread over epoll costs far less CPU on a machine whose two
// cores also run the broker, PostgreSQL and vend-cloud under test.
//
// Thread safety: free functions on values; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vend/status.h"

namespace vend::bench::mqtt {

enum PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kSubscribe = 8,
  kSuback = 9,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = true;
};

struct ConnectOptions {
  std::string client_id;
  std::string username;
  std::string password;
  uint16_t keep_alive_s = 20;
  bool clean_start = false;
  uint32_t session_expiry_s = 0;  // 0: the session ends with the connection
  std::optional<Will> will;
};

std::string EncodeConnect(const ConnectOptions& o);
// The fixed header, topic, packet id (QoS 1) and empty properties of a PUBLISH; the
// payload follows these bytes on the wire (kept apart so large payloads are not copied
// twice).
std::string EncodePublishHeader(std::string_view topic, size_t payload_size, int qos, bool retain,
                                uint16_t packet_id);
std::string EncodePuback(uint16_t packet_id);
std::string EncodeSubscribe(uint16_t packet_id, const std::vector<std::string>& filters, int qos);
std::string EncodePingreq();
std::string EncodeDisconnect();

struct Packet {
  uint8_t type = 0;
  uint8_t flags = 0;      // low nibble of the first byte
  std::string_view body;  // variable header + payload
};

enum class Framing { kNeedMore, kPacket, kMalformed };
// The first complete packet of `buf`: sets *out and *consumed (header + body bytes).
Framing NextPacket(std::string_view buf, Packet* out, size_t* consumed);

struct Connack {
  bool session_present = false;
  uint8_t reason = 0;                // 0 = success; >= 0x80 refused (0x86 bad credentials ...)
  uint16_t receive_maximum = 65535;  // QoS 1 publishes the broker accepts in flight
};
Result<Connack> DecodeConnack(std::string_view body);

struct InboundPublish {
  std::string_view topic;
  std::string_view payload;
  int qos = 0;
  uint16_t packet_id = 0;
};
Result<InboundPublish> DecodePublish(uint8_t flags, std::string_view body);

struct Ack {
  uint16_t packet_id = 0;
  uint8_t reason = 0;  // PUBACK reason (0 when omitted); >= 0x80 refused
};
Result<Ack> DecodePuback(std::string_view body);

struct Suback {
  uint16_t packet_id = 0;
  std::vector<uint8_t> reasons;  // one per filter; >= 0x80 refused
};
Result<Suback> DecodeSuback(std::string_view body);

// DISCONNECT from the broker: its reason code (0 when omitted).
uint8_t DecodeDisconnectReason(std::string_view body);

}  // namespace vend::bench::mqtt
