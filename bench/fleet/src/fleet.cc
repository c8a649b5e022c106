#include "fleet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_set>

#include "core/backoff.h"
#include "mqtt_wire.h"
#include "vend/ids.h"
#include "vend/topics.h"

namespace vend::bench {
namespace {

using edge::core::OutboxDrainer;
using schemas::TopicKind;

// How often per-machine timers (reconnects, ack timeouts, keep-alive, telemetry) are
// checked: a full scan of the fleet, cheap next to the network work.
constexpr auto kTick = std::chrono::milliseconds(25);

// At most this many log lines per kind of trouble, so a fleet-wide failure stays readable.
constexpr int kLogLimit = 5;

}  // namespace

struct Node {
  Node(uint32_t index, const Credential& c, const FleetOptions& o)
      : vm(index, c.id, o.seed),
        cred(c),
        events_topic(schemas::Topic(c.id, TopicKind::kEvents)),
        ack_topic(schemas::Topic(c.id, TopicKind::kAck)),
        commands_topic(schemas::Topic(c.id, TopicKind::kCommands)),
        telemetry_topic(schemas::Topic(c.id, TopicKind::kTelemetry)),
        status_topic(schemas::Topic(c.id, TopicKind::kStatus)),
        drainer(o.drainer, 0),
        backoff(o.reconnect_initial, o.reconnect_max) {}

  enum class State { kDown, kTcp, kMqtt, kUp };

  VirtualMachine vm;
  Credential cred;
  const std::string events_topic, ack_topic, commands_topic, telemetry_topic, status_topic;
  OutboxDrainer drainer;
  edge::core::Backoff backoff;

  State state = State::kDown;
  bool reconnect = false;  // retry after a failure (false after DropAll/DisconnectAll)
  bool dead = false;       // queued for ReapDead
  bool caught_up = true;
  int fd = -1;
  uint32_t ep_mask = 0;
  std::string in;
  std::string out;
  size_t out_off = 0;
  uint16_t next_id = 0;
  uint16_t receive_maximum = 65535;
  std::unordered_set<uint16_t> inflight;  // QoS 1 publishes awaiting PUBACK
  struct Held {
    const std::string* topic;
    std::string payload;
    bool retain;
  };
  std::deque<Held> held;  // QoS 1 publishes waiting for an in-flight slot
  Clock::time_point next_connect{}, connect_deadline{}, last_out{}, last_in{}, next_telemetry{};
  Clock::time_point connected_at{};
  std::deque<std::pair<int64_t, Clock::time_point>> sales;  // recorded sale: last seq, when
};

struct Fleet::Impl {
  FleetOptions options;
  std::vector<std::unique_ptr<Node>> nodes;
  int ep = -1;
  sockaddr_in addr{};
  FleetStats stats;
  size_t up = 0;
  size_t connecting = 0;
  size_t caught_up = 0;
  std::vector<Node*> dead;
  std::mt19937_64 rng;
  bool sales_on = false;
  double sales_rate = 0;
  Clock::time_point next_sale{}, record_from{}, next_tick{};
  std::vector<double> latencies;
  size_t sales_waiting = 0;
  std::map<std::string, int> logged;

  bool ShouldLog(const std::string& kind) { return logged[kind]++ < kLogLimit; }

  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

  // ---------------------------------------------------------------- socket plumbing

  void SetMask(Node& n, uint32_t mask) {
    if (n.fd < 0 || n.ep_mask == mask) return;
    epoll_event ev{};
    ev.events = mask;
    ev.data.ptr = &n;
    epoll_ctl(ep, EPOLL_CTL_MOD, n.fd, &ev);
    n.ep_mask = mask;
  }

  // Queues the link for ReapDead, which closes it; `quiet` for links closed on purpose.
  void MarkDead(Node& n, const std::string& why, bool quiet = false) {
    if (n.dead) return;
    n.dead = true;
    dead.push_back(&n);
    const bool was_up = n.state == Node::State::kUp;
    if (!quiet && ShouldLog(was_up ? "lost" : "connect")) {
      spdlog::warn("machine={} {}: {}", n.cred.id, was_up ? "link lost" : "connect failed", why);
    }
  }

  void Flush(Node& n) {
    while (n.out_off < n.out.size()) {
      const ssize_t w = ::send(n.fd, n.out.data() + n.out_off, n.out.size() - n.out_off,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        n.out_off += static_cast<size_t>(w);
        stats.bytes_out += w;
        continue;
      }
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (w < 0 && errno == EINTR) continue;
      MarkDead(n, std::string("send: ") + std::strerror(errno));
      return;
    }
    if (n.out_off == n.out.size()) {
      n.out.clear();
      n.out_off = 0;
      if (n.state != Node::State::kTcp) SetMask(n, EPOLLIN);
    } else {
      SetMask(n, EPOLLIN | EPOLLOUT);
    }
  }

  void Send(Node& n, std::string_view bytes) {
    if (n.dead || n.fd < 0) return;
    if (n.out_off > 0 && n.out_off == n.out.size()) {
      n.out.clear();
      n.out_off = 0;
    }
    n.out.append(bytes);
    n.last_out = Clock::now();
  }

  void Publish(Node& n, const std::string& topic, std::string_view payload, int qos, bool retain) {
    if (n.dead || n.state != Node::State::kUp) return;
    if (qos == 1 && n.inflight.size() >= n.receive_maximum) {
      n.held.push_back({&topic, std::string(payload), retain});
      return;
    }
    uint16_t id = 0;
    if (qos == 1) {
      do {
        id = ++n.next_id;
      } while (id == 0 || n.inflight.count(id) > 0);
      n.inflight.insert(id);
    }
    Send(n, mqtt::EncodePublishHeader(topic, payload.size(), qos, retain, id));
    Send(n, payload);
    Flush(n);
  }

  // ---------------------------------------------------------------- link lifecycle

  void StartConnect(Node& n, Clock::time_point now) {
    n.dead = false;
    n.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (n.fd < 0) {
      spdlog::error("socket: {} (raise ulimit -n)", std::strerror(errno));
      n.state = Node::State::kTcp;
      ++connecting;
      MarkDead(n, "no socket");
      return;
    }
    int one = 1;
    setsockopt(n.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.ptr = &n;
    epoll_ctl(ep, EPOLL_CTL_ADD, n.fd, &ev);
    n.ep_mask = EPOLLOUT;
    n.state = Node::State::kTcp;
    n.connect_deadline = now + options.connect_timeout;
    ++connecting;
    const int rc = ::connect(n.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    if (rc == 0) {
      SendConnect(n);
    } else if (errno != EINPROGRESS) {
      MarkDead(n, std::string("connect: ") + std::strerror(errno));
    }
  }

  void SendConnect(Node& n) {
    mqtt::ConnectOptions c;
    c.client_id = n.cred.id;
    c.username = n.cred.id;
    c.password = n.cred.password;
    c.keep_alive_s = static_cast<uint16_t>(options.keep_alive.count());
    c.clean_start = false;
    c.session_expiry_s = static_cast<uint32_t>(options.session_expiry.count());
    c.will = mqtt::Will{n.status_topic, schemas::EncodePresence({false, {}, {}}).dump(), 1, true};
    n.state = Node::State::kMqtt;
    n.last_in = Clock::now();
    Send(n, mqtt::EncodeConnect(c));
    Flush(n);
  }

  void OnUp(Node& n, const mqtt::Connack& ack, Clock::time_point now) {
    n.state = Node::State::kUp;
    --connecting;
    ++up;
    ++stats.connects;
    n.connected_at = now;
    n.receive_maximum = ack.receive_maximum;
    n.backoff.Reset();
    spdlog::debug("machine={} connected session_present={} receive_maximum={}", n.cred.id,
                  ack.session_present, ack.receive_maximum);
    uint16_t subscribe_id = ++n.next_id;
    if (subscribe_id == 0) subscribe_id = ++n.next_id;
    Send(n, mqtt::EncodeSubscribe(subscribe_id, {n.ack_topic, n.commands_topic}, 1));
    Publish(n, n.status_topic,
            schemas::EncodePresence({true, NowIso8601(), options.version}).dump(), 1, true);
    ++stats.status_published;
    if (options.telemetry_interval.count() > 0) {
      PublishTelemetry(n, now);
      n.next_telemetry =
          now + std::chrono::duration_cast<Clock::duration>(options.telemetry_interval * Uniform());
    }
    n.drainer.OnConnected();
    Drain(n, now);
  }

  void OnDown(Node& n, Clock::time_point now) {
    if (n.fd >= 0) ::close(n.fd);
    n.fd = -1;
    n.ep_mask = 0;
    if (n.state == Node::State::kUp) {
      --up;
      ++stats.links_lost;
    } else if (n.state != Node::State::kDown) {
      --connecting;
      ++stats.connect_failures;
    }
    n.state = Node::State::kDown;
    n.dead = false;
    n.in.clear();
    n.out.clear();
    n.out_off = 0;
    n.inflight.clear();
    n.held.clear();
    n.drainer.OnDisconnected();
    if (n.reconnect) n.next_connect = now + n.backoff.NextDelay(Uniform());
  }

  void ReapDead() {
    if (dead.empty()) return;
    const auto now = Clock::now();
    std::vector<Node*> batch;
    batch.swap(dead);
    for (Node* n : batch) OnDown(*n, now);
  }

  // ---------------------------------------------------------------- protocol

  void Drain(Node& n, Clock::time_point now) {
    while (!n.dead && n.state == Node::State::kUp) {
      auto next = n.drainer.NextSend();
      if (!next || n.vm.last_seq() <= next->after_seq) return;
      const int64_t first = next->after_seq + 1;
      const int64_t last =
          std::min<int64_t>(next->after_seq + static_cast<int64_t>(next->limit), n.vm.last_seq());
      Publish(n, n.events_topic, n.vm.BatchPayload(first, last), 1, false);
      n.drainer.OnPublished(first, last, now);
      ++stats.batches_published;
      stats.events_published += last - first + 1;
    }
  }

  void PublishTelemetry(Node& n, Clock::time_point now) {
    schemas::Telemetry t;
    t.at = NowIso8601();
    t.temperature_c = 4.0 + 0.5 * Uniform();
    t.door_open = false;
    t.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(now - n.connected_at).count();
    t.outbox_depth = static_cast<int64_t>(n.vm.depth());
    t.stock = n.vm.stock();
    t.version = options.version;
    Publish(n, n.telemetry_topic, schemas::EncodeTelemetry(t).dump(), 0, false);
    ++stats.telemetry_published;
  }

  void UpdateCaughtUp(Node& n) {
    const bool now_caught_up = n.vm.acked_seq() == n.vm.last_seq();
    if (now_caught_up != n.caught_up) {
      n.caught_up = now_caught_up;
      if (now_caught_up) {
        ++caught_up;
      } else {
        --caught_up;
      }
    }
  }

  void HandleAck(Node& n, std::string_view payload, Clock::time_point now) {
    auto doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    auto ack = doc.is_discarded() ? Result<schemas::Ack>(InvalidArgument("ack is not JSON"))
                                  : schemas::DecodeAck(doc);
    if (!ack.ok()) {
      ++stats.bad_messages;
      if (ShouldLog("bad_ack"))
        spdlog::warn("machine={} bad ack: {}", n.cred.id, ack.status().message());
      return;
    }
    auto decision = n.drainer.OnAck(ack->upto, n.vm.last_seq(), now);
    switch (decision.kind) {
      case OutboxDrainer::AckKind::kAdvance:
        ++stats.acks_advance;
        n.vm.Acknowledge(decision.acknowledge_upto);
        while (!n.sales.empty() && n.sales.front().first <= decision.acknowledge_upto) {
          latencies.push_back(
              std::chrono::duration<double, std::milli>(now - n.sales.front().second).count());
          n.sales.pop_front();
          --sales_waiting;
        }
        UpdateCaughtUp(n);
        Drain(n, now);
        break;
      case OutboxDrainer::AckKind::kDuplicate:
        ++stats.acks_duplicate;
        break;
      case OutboxDrainer::AckKind::kStale:
        ++stats.acks_stale;
        break;
      case OutboxDrainer::AckKind::kInvalid:
        ++stats.acks_invalid;
        if (ShouldLog("invalid_ack")) {
          spdlog::error("machine={} ack upto={} beyond last_seq={}", n.cred.id, ack->upto,
                        n.vm.last_seq());
        }
        break;
    }
  }

  void HandleCommands(Node& n, std::string_view payload, Clock::time_point now) {
    auto doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    auto batch = doc.is_discarded()
                     ? Result<schemas::CommandBatch>(InvalidArgument("commands are not JSON"))
                     : schemas::DecodeCommandBatch(doc);
    if (!batch.ok()) {
      ++stats.bad_messages;
      return;
    }
    for (const auto& c : batch->commands) {
      if (n.vm.RejectCommand(c.id, std::string(schemas::CommandType(c.data)),
                             std::chrono::system_clock::now())) {
        ++stats.commands_rejected;
      }
    }
    UpdateCaughtUp(n);
    Drain(n, now);
  }

  void HandlePacket(Node& n, const mqtt::Packet& p, Clock::time_point now) {
    switch (p.type) {
      case mqtt::kConnack: {
        auto ack = mqtt::DecodeConnack(p.body);
        if (!ack.ok() || n.state != Node::State::kMqtt) {
          return MarkDead(n, "unexpected CONNACK");
        }
        if (ack->reason != 0) {
          char why[64];
          std::snprintf(why, sizeof why, "CONNACK reason 0x%02x%s", ack->reason,
                        ack->reason == 0x86   ? " (bad user name or password)"
                        : ack->reason == 0x87 ? " (not authorized)"
                                              : "");
          return MarkDead(n, why);
        }
        return OnUp(n, *ack, now);
      }
      case mqtt::kPublish: {
        auto pub = mqtt::DecodePublish(p.flags, p.body);
        if (!pub.ok()) return MarkDead(n, pub.status().message());
        if (pub->qos == 1) {
          Send(n, mqtt::EncodePuback(pub->packet_id));
          Flush(n);
        }
        if (pub->topic == n.ack_topic) return HandleAck(n, pub->payload, now);
        if (pub->topic == n.commands_topic) return HandleCommands(n, pub->payload, now);
        ++stats.bad_messages;
        return;
      }
      case mqtt::kPuback: {
        auto ack = mqtt::DecodePuback(p.body);
        if (!ack.ok()) return MarkDead(n, ack.status().message());
        n.inflight.erase(ack->packet_id);
        if (ack->reason >= 0x80) {
          ++stats.puback_refused;
          if (ShouldLog("puback")) {
            spdlog::warn("machine={} PUBACK reason 0x{:02x}", n.cred.id, ack->reason);
          }
        }
        while (!n.held.empty() && n.inflight.size() < n.receive_maximum && !n.dead) {
          auto h = std::move(n.held.front());
          n.held.pop_front();
          Publish(n, *h.topic, h.payload, 1, h.retain);
        }
        return;
      }
      case mqtt::kSuback: {
        auto ack = mqtt::DecodeSuback(p.body);
        if (!ack.ok()) return MarkDead(n, ack.status().message());
        for (uint8_t r : ack->reasons) {
          if (r >= 0x80) {
            ++stats.subscribe_refused;
            if (ShouldLog("suback"))
              spdlog::error("machine={} SUBACK reason 0x{:02x}", n.cred.id, r);
          }
        }
        return;
      }
      case mqtt::kPingresp:
        return;
      case mqtt::kDisconnect: {
        char why[48];
        std::snprintf(why, sizeof why, "DISCONNECT from the broker, reason 0x%02x",
                      mqtt::DecodeDisconnectReason(p.body));
        return MarkDead(n, why);
      }
      default:
        return MarkDead(n, "unexpected packet type " + std::to_string(p.type));
    }
  }

  void OnReadable(Node& n, Clock::time_point now) {
    char buf[65536];
    for (;;) {
      const ssize_t r = ::recv(n.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) {
        n.in.append(buf, static_cast<size_t>(r));
        stats.bytes_in += r;
        if (static_cast<size_t>(r) < sizeof buf) break;
        continue;
      }
      if (r == 0) return MarkDead(n, "broker closed the connection");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return MarkDead(n, std::string("recv: ") + std::strerror(errno));
    }
    n.last_in = now;
    size_t pos = 0;
    while (!n.dead) {
      mqtt::Packet p;
      size_t used = 0;
      auto f = mqtt::NextPacket(std::string_view(n.in).substr(pos), &p, &used);
      if (f == mqtt::Framing::kNeedMore) break;
      if (f == mqtt::Framing::kMalformed) return MarkDead(n, "malformed packet from the broker");
      HandlePacket(n, p, now);
      pos += used;
    }
    if (!n.dead) n.in.erase(0, pos);
  }

  void OnEvent(Node& n, uint32_t events, Clock::time_point now) {
    if (n.dead || n.fd < 0) return;
    if (n.state == Node::State::kTcp) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(n.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) return MarkDead(n, std::string("connect: ") + std::strerror(err));
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) SendConnect(n);
      return;
    }
    if ((events & EPOLLIN) != 0) OnReadable(n, now);
    if (!n.dead && (events & (EPOLLERR | EPOLLHUP)) != 0 && (events & EPOLLIN) == 0) {
      return MarkDead(n, "socket error");
    }
    if (!n.dead && (events & EPOLLOUT) != 0) Flush(n);
  }

  // ---------------------------------------------------------------- timers and sales

  void StartDueConnects(Clock::time_point now) {
    for (auto& np : nodes) {
      Node& n = *np;
      if (options.max_connecting > 0 && connecting >= options.max_connecting) return;
      if (n.state == Node::State::kDown && n.reconnect && !n.dead && now >= n.next_connect) {
        StartConnect(n, now);
      }
    }
  }

  void Tick(Clock::time_point now) {
    StartDueConnects(now);
    for (auto& np : nodes) {
      Node& n = *np;
      if (n.dead) continue;
      if (n.state == Node::State::kTcp || n.state == Node::State::kMqtt) {
        if (now >= n.connect_deadline) MarkDead(n, "no CONNACK within the connect timeout");
        continue;
      }
      if (n.state != Node::State::kUp) continue;
      if (n.drainer.CheckAckTimeout(now)) {
        ++stats.ack_timeouts;
        if (ShouldLog("ack_timeout")) {
          spdlog::warn("machine={} ack timeout acked_seq={}: re-sending from the last ack",
                       n.cred.id, n.drainer.acked_seq());
        }
        Drain(n, now);
      }
      if (now - n.last_out >= options.keep_alive) {
        Send(n, mqtt::EncodePingreq());
        Flush(n);
      }
      if (now - n.last_in >= 2 * options.keep_alive) MarkDead(n, "keep-alive timeout");
      if (options.telemetry_interval.count() > 0 && now >= n.next_telemetry) {
        PublishTelemetry(n, now);
        n.next_telemetry = now + options.telemetry_interval;
      }
    }
  }

  void RunSales(Clock::time_point now) {
    std::exponential_distribution<double> gap(sales_rate);
    while (sales_on && next_sale <= now) {
      Node& n = *nodes[rng() % nodes.size()];
      const int64_t seq = n.vm.Sell(std::chrono::system_clock::now());
      if (seq == 0) {
        ++stats.sold_out;
      } else {
        ++stats.sales;
        if (now >= record_from) {
          n.sales.emplace_back(seq, now);
          ++sales_waiting;
        }
        UpdateCaughtUp(n);
        Drain(n, now);
      }
      next_sale +=
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
    }
  }
};

Fleet::Fleet(FleetOptions options, const std::vector<Credential>& credentials)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.options = std::move(options);
  s.rng.seed(s.options.seed);
  s.ep = epoll_create1(EPOLL_CLOEXEC);
  s.addr.sin_family = AF_INET;
  s.addr.sin_port = htons(s.options.port);
  inet_pton(AF_INET, s.options.host.c_str(), &s.addr.sin_addr);
  for (size_t i = 0; i < credentials.size(); ++i) {
    s.nodes.push_back(std::make_unique<Node>(static_cast<uint32_t>(i), credentials[i], s.options));
  }
  s.caught_up = s.nodes.size();
  s.next_tick = Clock::now();
}

Fleet::~Fleet() {
  for (auto& n : impl_->nodes) {
    if (n->fd >= 0) ::close(n->fd);
  }
  if (impl_->ep >= 0) ::close(impl_->ep);
}

size_t Fleet::size() const { return impl_->nodes.size(); }

VirtualMachine& Fleet::machine(size_t i) {
  Node& n = *impl_->nodes.at(i);
  return n.vm;
}

void Fleet::ConnectAll() {
  const auto now = Clock::now();
  for (auto& n : impl_->nodes) {
    n->reconnect = true;
    n->next_connect = now;
    n->backoff.Reset();
    impl_->UpdateCaughtUp(*n);
  }
  impl_->StartDueConnects(now);
  impl_->ReapDead();
}

void Fleet::DropAll() {
  for (auto& n : impl_->nodes) {
    n->reconnect = false;
    if (n->state != Node::State::kDown) impl_->MarkDead(*n, "simulated outage", /*quiet=*/true);
  }
  impl_->ReapDead();
}

void Fleet::DisconnectAll(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  for (auto& np : s.nodes) {
    Node& n = *np;
    n.reconnect = false;
    if (n.state != Node::State::kUp || n.dead) continue;
    s.Publish(n, n.status_topic,
              schemas::EncodePresence({false, NowIso8601(), s.options.version}).dump(), 1, true);
    s.Send(n, mqtt::EncodeDisconnect());
    s.Flush(n);
  }
  RunUntil(
      [&s] {
        for (auto& n : s.nodes) {
          if (n->fd >= 0 && !n->dead && n->out_off < n->out.size()) return false;
        }
        return true;
      },
      Clock::now() + timeout);
  for (auto& n : s.nodes) {
    if (n->state != Node::State::kDown) s.MarkDead(*n, "disconnected", /*quiet=*/true);
  }
  s.ReapDead();
}

void Fleet::StartSales(double per_second, Clock::time_point record_from) {
  auto& s = *impl_;
  s.sales_on = per_second > 0;
  s.sales_rate = per_second;
  s.record_from = record_from;
  s.next_sale = Clock::now();
}

void Fleet::StopSales() { impl_->sales_on = false; }

bool Fleet::RunUntil(const std::function<bool()>& done, Clock::time_point deadline) {
  auto& s = *impl_;
  epoll_event events[1024];
  for (;;) {
    if (done()) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    auto wake = std::min(deadline, s.next_tick);
    if (s.sales_on) wake = std::min(wake, s.next_sale);
    // Rounded up: a wait truncated to 0 ms would spin until a sub-millisecond deadline.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    const int n =
        epoll_wait(s.ep, events, 1024, static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)));
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      s.OnEvent(*static_cast<Node*>(events[i].data.ptr), events[i].events, now);
    }
    s.ReapDead();
    s.RunSales(now);
    s.ReapDead();
    if (now >= s.next_tick) {
      s.Tick(now);
      s.next_tick = now + kTick;
      s.ReapDead();
    }
  }
}

size_t Fleet::connected() const { return impl_->up; }
size_t Fleet::caught_up() const { return impl_->caught_up; }
const FleetStats& Fleet::stats() const { return impl_->stats; }
const std::vector<double>& Fleet::latencies_ms() const { return impl_->latencies; }
size_t Fleet::sales_waiting() const { return impl_->sales_waiting; }

}  // namespace vend::bench
