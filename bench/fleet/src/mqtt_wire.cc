#include "mqtt_wire.h"

namespace vend::bench::mqtt {
namespace {

Status Malformed(const std::string& what) {
  return Status(Code::kInvalidArgument, "mqtt_malformed", what);
}

void PutVarint(std::string& out, size_t v) {
  do {
    uint8_t b = v % 128;
    v /= 128;
    if (v > 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v > 0);
}

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void PutString(std::string& out, std::string_view s) {
  PutU16(out, static_cast<uint16_t>(s.size()));
  out.append(s);
}

std::string WithFixedHeader(uint8_t first, const std::string& rest) {
  std::string out(1, static_cast<char>(first));
  PutVarint(out, rest.size());
  out += rest;
  return out;
}

// A cursor over a packet body; every read checks the bounds.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool U8(uint8_t* v) {
    if (pos_ + 1 > s_.size()) return false;
    *v = static_cast<uint8_t>(s_[pos_++]);
    return true;
  }
  bool U16(uint16_t* v) {
    if (pos_ + 2 > s_.size()) return false;
    *v = static_cast<uint16_t>((static_cast<uint8_t>(s_[pos_]) << 8) |
                               static_cast<uint8_t>(s_[pos_ + 1]));
    pos_ += 2;
    return true;
  }
  bool Skip(size_t n) {
    if (pos_ + n > s_.size()) return false;
    pos_ += n;
    return true;
  }
  bool Varint(size_t* v) {
    size_t value = 0, mult = 1;
    for (int i = 0; i < 4; ++i) {
      uint8_t b;
      if (!U8(&b)) return false;
      value += (b & 0x7f) * mult;
      if ((b & 0x80) == 0) {
        *v = value;
        return true;
      }
      mult *= 128;
    }
    return false;
  }
  bool String(std::string_view* v) {
    uint16_t n;
    if (!U16(&n) || pos_ + n > s_.size()) return false;
    *v = s_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view Rest() const { return s_.substr(pos_); }
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

struct KnownProperties {
  std::optional<uint16_t> receive_maximum;
};

// Walks a property list (its length first), keeping the few values the client uses.
bool ReadProperties(Reader& r, KnownProperties* known) {
  size_t len;
  if (!r.Varint(&len)) return false;
  const size_t end = r.pos() + len;
  while (r.pos() < end) {
    size_t id;
    if (!r.Varint(&id)) return false;
    bool ok = true;
    switch (id) {
      case 0x01:
      case 0x17:
      case 0x19:
      case 0x24:
      case 0x25:
      case 0x28:
      case 0x29:
      case 0x2A:
        ok = r.Skip(1);
        break;
      case 0x21: {
        uint16_t v;
        ok = r.U16(&v);
        if (ok && known != nullptr) known->receive_maximum = v;
        break;
      }
      case 0x13:
      case 0x22:
      case 0x23:
        ok = r.Skip(2);
        break;
      case 0x02:
      case 0x11:
      case 0x18:
      case 0x27:
        ok = r.Skip(4);
        break;
      case 0x0B: {
        size_t ignored;
        ok = r.Varint(&ignored);
        break;
      }
      case 0x03:
      case 0x08:
      case 0x09:
      case 0x12:
      case 0x15:
      case 0x16:
      case 0x1A:
      case 0x1C:
      case 0x1F: {
        std::string_view ignored;
        ok = r.String(&ignored);
        break;
      }
      case 0x26: {
        std::string_view k, v;
        ok = r.String(&k) && r.String(&v);
        break;
      }
      default:
        return false;  // unknown property: the packet cannot be read further
    }
    if (!ok) return false;
  }
  return r.pos() == end;
}

}  // namespace

std::string EncodeConnect(const ConnectOptions& o) {
  std::string v;
  PutString(v, "MQTT");
  v.push_back(5);
  uint8_t flags = 0;
  if (!o.username.empty()) flags |= 0x80;
  if (!o.password.empty()) flags |= 0x40;
  if (o.will) {
    flags |= 0x04 | static_cast<uint8_t>((o.will->qos & 3) << 3);
    if (o.will->retain) flags |= 0x20;
  }
  if (o.clean_start) flags |= 0x02;
  v.push_back(static_cast<char>(flags));
  PutU16(v, o.keep_alive_s);
  std::string props;
  if (o.session_expiry_s > 0) {
    props.push_back(0x11);
    PutU32(props, o.session_expiry_s);
  }
  PutVarint(v, props.size());
  v += props;
  PutString(v, o.client_id);
  if (o.will) {
    PutVarint(v, 0);  // will properties
    PutString(v, o.will->topic);
    PutString(v, o.will->payload);
  }
  if (!o.username.empty()) PutString(v, o.username);
  if (!o.password.empty()) PutString(v, o.password);
  return WithFixedHeader(kConnect << 4, v);
}

std::string EncodePublishHeader(std::string_view topic, size_t payload_size, int qos, bool retain,
                                uint16_t packet_id) {
  std::string v;
  PutString(v, topic);
  if (qos > 0) PutU16(v, packet_id);
  PutVarint(v, 0);  // no properties
  std::string out(1, static_cast<char>((kPublish << 4) | ((qos & 3) << 1) | (retain ? 1 : 0)));
  PutVarint(out, v.size() + payload_size);
  out += v;
  return out;
}

std::string EncodePuback(uint16_t packet_id) {
  std::string v;
  PutU16(v, packet_id);  // reason 0 and no properties may be omitted
  return WithFixedHeader(kPuback << 4, v);
}

std::string EncodeSubscribe(uint16_t packet_id, const std::vector<std::string>& filters, int qos) {
  std::string v;
  PutU16(v, packet_id);
  PutVarint(v, 0);
  for (const auto& f : filters) {
    PutString(v, f);
    v.push_back(static_cast<char>(qos & 3));
  }
  return WithFixedHeader((kSubscribe << 4) | 0x02, v);
}

std::string EncodePingreq() { return std::string{static_cast<char>(kPingreq << 4), 0}; }

std::string EncodeDisconnect() { return std::string{static_cast<char>(kDisconnect << 4), 0}; }

Framing NextPacket(std::string_view buf, Packet* out, size_t* consumed) {
  if (buf.size() < 2) return Framing::kNeedMore;
  size_t len = 0, mult = 1, i = 1;
  for (;; ++i) {
    if (i >= buf.size()) return Framing::kNeedMore;
    if (i > 4) return Framing::kMalformed;
    const auto b = static_cast<uint8_t>(buf[i]);
    len += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) == 0) break;
  }
  const size_t header = i + 1;
  if (buf.size() < header + len) return Framing::kNeedMore;
  out->type = static_cast<uint8_t>(buf[0]) >> 4;
  out->flags = static_cast<uint8_t>(buf[0]) & 0x0f;
  out->body = buf.substr(header, len);
  *consumed = header + len;
  return Framing::kPacket;
}

Result<Connack> DecodeConnack(std::string_view body) {
  Reader r(body);
  uint8_t ack_flags, reason;
  if (!r.U8(&ack_flags) || !r.U8(&reason)) return Malformed("short CONNACK");
  Connack c;
  c.session_present = (ack_flags & 1) != 0;
  c.reason = reason;
  KnownProperties known;
  if (!r.AtEnd() && !ReadProperties(r, &known)) return Malformed("bad CONNACK properties");
  if (known.receive_maximum && *known.receive_maximum > 0) {
    c.receive_maximum = *known.receive_maximum;
  }
  return c;
}

Result<InboundPublish> DecodePublish(uint8_t flags, std::string_view body) {
  Reader r(body);
  InboundPublish p;
  p.qos = (flags >> 1) & 3;
  if (p.qos > 2) return Malformed("PUBLISH with QoS 3");
  if (!r.String(&p.topic)) return Malformed("PUBLISH without a topic");
  if (p.qos > 0 && !r.U16(&p.packet_id)) return Malformed("PUBLISH without a packet id");
  if (!ReadProperties(r, nullptr)) return Malformed("bad PUBLISH properties");
  p.payload = r.Rest();
  return p;
}

Result<Ack> DecodePuback(std::string_view body) {
  Reader r(body);
  Ack a;
  if (!r.U16(&a.packet_id)) return Malformed("short PUBACK");
  if (!r.AtEnd() && !r.U8(&a.reason)) return Malformed("bad PUBACK");
  return a;
}

Result<Suback> DecodeSuback(std::string_view body) {
  Reader r(body);
  Suback s;
  if (!r.U16(&s.packet_id) || !ReadProperties(r, nullptr)) return Malformed("bad SUBACK");
  for (char c : r.Rest()) s.reasons.push_back(static_cast<uint8_t>(c));
  return s;
}

uint8_t DecodeDisconnectReason(std::string_view body) {
  return body.empty() ? 0 : static_cast<uint8_t>(body[0]);
}

}  // namespace vend::bench::mqtt
