#include "virtual_machine.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "vend/ids.h"

namespace vend::bench {
namespace {

int64_t UnixMs(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string Iso(int64_t unix_ms) {
  return FormatIso8601(SysTime(std::chrono::milliseconds(unix_ms)));
}

constexpr int64_t kDepositAmounts[] = {500, 1000, 2000};

}  // namespace

VirtualMachine::VirtualMachine(uint32_t index, std::string id, uint64_t seed)
    : index_(index),
      id_(std::move(id)),
      rng_(seed ^ (0x9e3779b97f4a7c15ULL * (index + 1))),
      products_({{1, 150}, {2, 120}, {3, 275}, {4, 90}}) {}

std::string VirtualMachine::Uuid(int64_t at_ms, int64_t seq, int role) const {
  // UUIDv7 layout: 48 bits of Unix milliseconds, version 7, then bits that spell
  // (role, machine index, seq), so every event, order and deposit id of the fleet is
  // distinct without any coordination.
  char buf[40];
  const auto ms = static_cast<uint64_t>(at_ms);
  const uint64_t tail =
      (static_cast<uint64_t>(index_ & 0xfff) << 36) | (static_cast<uint64_t>(seq) & 0xfffffffffULL);
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>((ms >> 16) & 0xffffffffULL),
                static_cast<unsigned>(ms & 0xffff), 0x7000u | static_cast<unsigned>(role & 0xfff),
                0x8000u | static_cast<unsigned>((index_ >> 12) & 0xfff),
                static_cast<unsigned long long>(tail));
  return buf;
}

std::string VirtualMachine::UserName(int64_t customer) const {
  return id_ + "-kiosk-" + std::to_string(customer);
}

void VirtualMachine::Append(Rec r) {
  r.seq = ++expected_.last_seq;
  outbox_.push_back(r);
}

void VirtualMachine::Seed(int64_t count_per_product, SysTime at) {
  const int64_t ms = UnixMs(at);
  for (const auto& p : products_) {
    expected_.stock[p.id] = count_per_product;
    Append({0, ms, Kind::kSeedStock, 0, static_cast<int32_t>(p.id), count_per_product, 0, 0});
  }
}

void VirtualMachine::Deposit(int64_t customer, int64_t at_ms) {
  const int64_t amount = kDepositAmounts[rng_() % 3];
  const int64_t balance = expected_.balances[customer] += amount;
  ++expected_.deposits;
  expected_.deposit_cents += amount;
  Append({0, at_ms, Kind::kDeposit, static_cast<int32_t>(customer), 0, ++deposit_ids_, amount,
          balance});
}

int64_t VirtualMachine::PickCustomer() {
  // About one customer in four is new (the kiosk makes a fresh user name for them);
  // the others come back.
  if (customers_ == 0 || rng_() % 4 == 0) return ++customers_;
  return 1 + static_cast<int64_t>(rng_() % static_cast<uint64_t>(customers_));
}

const VirtualMachine::Product* VirtualMachine::PickInStock() {
  const size_t start = rng_() % products_.size();
  for (size_t i = 0; i < products_.size(); ++i) {
    const Product& p = products_[(start + i) % products_.size()];
    if (expected_.stock[p.id] > 0) return &p;
  }
  return nullptr;
}

int64_t VirtualMachine::Sell(SysTime at) {
  const Product* p = PickInStock();
  if (p == nullptr) return 0;
  const int64_t ms = UnixMs(at);
  const int64_t customer = PickCustomer();
  if (expected_.balances[customer] < p->price) Deposit(customer, ms);
  const int64_t balance = expected_.balances[customer] -= p->price;
  const int64_t order_id = ++expected_.orders;
  expected_.order_cents += p->price;
  const int64_t count = --expected_.stock[p->id];
  Append({0, ms, Kind::kOrder, static_cast<int32_t>(customer), static_cast<int32_t>(p->id),
          order_id, p->price, balance});
  Append({0, ms, Kind::kSaleStock, 0, static_cast<int32_t>(p->id), count, 0, 0});
  return expected_.last_seq;
}

void VirtualMachine::Backlog(size_t n, SysTime start, std::chrono::milliseconds step) {
  const int64_t target = expected_.last_seq + static_cast<int64_t>(n);
  int64_t i = 0;
  while (expected_.last_seq < target) {
    const SysTime at = start + step * i++;
    const int64_t left = target - expected_.last_seq;
    // A sale takes two events, three with the deposit before it; when fewer are left,
    // or the machine is sold out, the customer only tops up.
    if (PickInStock() == nullptr || left < 3) {
      Deposit(PickCustomer(), UnixMs(at));
      continue;
    }
    Sell(at);
  }
}

bool VirtualMachine::RejectCommand(const std::string& command_id, const std::string& type,
                                   SysTime at) {
  if (!answered_.insert(command_id).second) return false;
  Append({0, UnixMs(at), Kind::kRejected, 0, 0, 0, 0, 0});
  rejected_[expected_.last_seq] = {command_id, type};
  return true;
}

schemas::Event VirtualMachine::ToEvent(const Rec& r) const {
  schemas::Event e;
  e.seq = r.seq;
  e.id = Uuid(r.at_ms, r.seq, 0);
  e.at = Iso(r.at_ms);
  switch (r.kind) {
    case Kind::kOrder:
      e.data = schemas::OrderCreated{
          r.a, Uuid(r.at_ms, r.seq, 1), r.customer, UserName(r.customer), r.product, r.b, r.c};
      break;
    case Kind::kSaleStock:
      e.data = schemas::StockChanged{r.product, r.a, "sale"};
      break;
    case Kind::kSeedStock:
      e.data = schemas::StockChanged{r.product, r.a, "seed"};
      break;
    case Kind::kDeposit:
      e.data = schemas::BalanceDeposited{
          r.a, Uuid(r.at_ms, r.seq, 2), r.customer, UserName(r.customer), r.b, r.c};
      break;
    case Kind::kRejected: {
      const auto& [id, type] = rejected_.at(r.seq);
      e.data = schemas::CommandRejected{id, type, "fleet-sim applies no commands"};
      break;
    }
  }
  return e;
}

std::string_view VirtualMachine::BatchPayload(int64_t first, int64_t last) {
  if (auto it = cache_.find(first); it != cache_.end() && it->second.first == last) {
    return it->second.second;
  }
  schemas::EventBatch batch{id_, {}};
  batch.events.reserve(static_cast<size_t>(last - first + 1));
  const int64_t front = outbox_.front().seq;
  for (int64_t s = first; s <= last; ++s) {
    batch.events.push_back(ToEvent(outbox_[static_cast<size_t>(s - front)]));
  }
  scratch_ = schemas::EncodeEventBatch(batch).dump();
  return scratch_;
}

void VirtualMachine::PreEncode(size_t batch_size) {
  for (int64_t first = acked_seq_ + 1; first <= expected_.last_seq;
       first += static_cast<int64_t>(batch_size)) {
    const int64_t last =
        std::min<int64_t>(first + static_cast<int64_t>(batch_size) - 1, expected_.last_seq);
    std::string payload(BatchPayload(first, last));
    cache_[first] = {last, std::move(payload)};
  }
}

void VirtualMachine::Acknowledge(int64_t upto) {
  if (upto <= acked_seq_) return;
  acked_seq_ = std::min(upto, expected_.last_seq);
  while (!outbox_.empty() && outbox_.front().seq <= acked_seq_) {
    if (outbox_.front().kind == Kind::kRejected) rejected_.erase(outbox_.front().seq);
    outbox_.pop_front();
  }
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.first <= acked_seq_ ? cache_.erase(it) : std::next(it);
  }
}

}  // namespace vend::bench
