#include "edge_sim.h"

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>

namespace vend::cloud::testing {

bool EdgeState::operator==(const EdgeState& o) const {
  return events == o.events && orders == o.orders && refunded == o.refunded &&
         deposits == o.deposits && paid_cents == o.paid_cents && deposit_cents == o.deposit_cents &&
         balances == o.balances && stock == o.stock;
}

std::ostream& operator<<(std::ostream& os, const EdgeState& s) {
  os << "{events=" << s.events << " orders=" << s.orders << " refunded=" << s.refunded
     << " deposits=" << s.deposits << " paid_cents=" << s.paid_cents
     << " deposit_cents=" << s.deposit_cents << " balances={";
  for (const auto& [k, v] : s.balances) os << k << ":" << v << " ";
  os << "} stock={";
  for (const auto& [k, v] : s.stock) os << k << ":" << v << " ";
  return os << "}}";
}

EdgeSim::EdgeSim(std::string machine, uint32_t seed)
    : machine_(std::move(machine)),
      rng_(seed ^ static_cast<uint32_t>(std::hash<std::string>()(machine_))) {}

std::string EdgeSim::Uuid() {
  // Version-7 shaped; random per machine (the seed mixes in the machine id), so orders
  // of different machines never share a uuid.
  char buf[40];
  const uint32_t a = rng_(), b = rng_(), c = rng_(), d = rng_();
  std::snprintf(buf, sizeof buf, "%08x-%04x-7%03x-8%03x-%04x%08x", a, b & 0xffff, (b >> 16) & 0xfff,
                c & 0xfff, (c >> 16) & 0xffff, d);
  return buf;
}

void EdgeSim::Append(schemas::EventData data) {
  schemas::Event e;
  e.seq = last_seq() + 1;
  e.id = Uuid();
  char at[32];
  std::snprintf(at, sizeof at, "2026-01-01T%02d:%02d:%02d.%03dZ",
                static_cast<int>(e.seq / 3600000 % 24), static_cast<int>(e.seq / 60000 % 60),
                static_cast<int>(e.seq / 1000 % 60), static_cast<int>(e.seq % 1000));
  e.at = at;
  e.data = std::move(data);
  events_.push_back(std::move(e));
  state_.events = last_seq();
}

void EdgeSim::Stock(int64_t product, int64_t count, const char* cause) {
  state_.stock[product] = count;
  Append(schemas::StockChanged{product, count, cause});
}

void EdgeSim::Deposit(int64_t customer, int64_t amount) {
  auto& name = names_[customer];
  if (name.empty()) name = machine_ + "-kiosk-" + std::to_string(customer);
  state_.balances[customer] += amount;
  ++state_.deposits;
  state_.deposit_cents += amount;
  Append(schemas::BalanceDeposited{++deposit_ids_, Uuid(), customer, name, amount,
                                   state_.balances[customer]});
}

void EdgeSim::Buy(int64_t customer, int64_t product) {
  const int64_t price = prices_.at(product);
  state_.balances[customer] -= price;
  Order o{static_cast<int64_t>(orders_.size()) + 1, Uuid(), customer, product, price, false};
  orders_.push_back(o);
  ++state_.orders;
  state_.paid_cents += price;
  Append(schemas::OrderCreated{o.id, o.uuid, customer, names_[customer], product, price,
                               state_.balances[customer]});
  Stock(product, state_.stock[product] - 1, "sale");
}

void EdgeSim::RefundLatest(int64_t customer) {
  for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {
    if (it->customer != customer || it->refunded) continue;
    it->refunded = true;
    state_.balances[customer] += it->price;
    ++state_.refunded;
    state_.paid_cents -= it->price;
    Append(schemas::OrderRefunded{it->id, it->uuid, customer, names_[customer], it->product,
                                  it->price, state_.balances[customer]});
    Stock(it->product, state_.stock[it->product] + 1, "refund");
    return;
  }
}

void EdgeSim::Restocked(int64_t product, int64_t count) { Stock(product, count, "command"); }

void EdgeSim::CommandOutcome(const std::string& command_id, const std::string& type, bool applied) {
  if (applied) {
    Append(schemas::CommandApplied{command_id, type});
  } else {
    Append(schemas::CommandRejected{command_id, type, "rejected_by_test"});
  }
}

void EdgeSim::Generate(size_t n) {
  const size_t target = events_.size() + n;
  while (events_.size() < target) {
    const size_t left = target - events_.size();
    const int64_t customer = 1 + static_cast<int64_t>(rng_() % 5);
    const int64_t product = 1 + static_cast<int64_t>(rng_() % 3);
    const unsigned roll = rng_() % 10;
    if (left == 1 || state_.balances[customer] < 300) {
      Deposit(customer, 500 + 100 * static_cast<int64_t>(rng_() % 5));
    } else if (state_.stock[product] == 0) {
      Restocked(product, 20);
    } else if (roll == 0) {
      bool any = false;
      for (const auto& o : orders_) any = any || (o.customer == customer && !o.refunded);
      if (any) {
        RefundLatest(customer);
      } else {
        Deposit(customer, 200);
      }
    } else {
      Buy(customer, product);
    }
  }
}

schemas::EventBatch EdgeSim::Batch(int64_t first, int64_t last) const {
  schemas::EventBatch b;
  b.machine = machine_;
  for (int64_t s = first; s <= last; ++s)
    b.events.push_back(events_.at(static_cast<size_t>(s - 1)));
  return b;
}

std::string EdgeSim::BatchJson(int64_t first, int64_t last) const {
  return schemas::EncodeEventBatch(Batch(first, last)).dump();
}

}  // namespace vend::cloud::testing
