// VirtualMachine: one simulated vending machine's business and outbox, without I/O.
//
// It sells the way a kiosk does (a customer who cannot afford the product deposits
// first; a sale is order.created + stock.changed), numbering its events 1, 2, 3 ...
// gapless like the edge's SQLite outbox, and keeps the state its database would hold
// afterwards, so the cloud's projections can be compared with it (DESIGN.md section 4
// invariants). Events are kept compactly (a few dozen bytes each) until the cloud's ack
// covers them, and turned into schemas::Event / EventBatch JSON only when published,
// so a fleet of thousands with a million buffered events fits in memory.
//
// Invariant: the outbox holds exactly the events with seq in (acked_seq, last_seq],
// ascending and contiguous; Acknowledge is the only thing that removes events.
//
// Thread safety: none; the fleet's single loop thread owns every machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "vend/sync_messages.h"

namespace vend::bench {

using SysTime = std::chrono::system_clock::time_point;

// What PostgreSQL must hold for this machine once every event is applied.
struct ExpectedState {
  int64_t last_seq = 0;
  int64_t orders = 0;
  int64_t order_cents = 0;
  int64_t deposits = 0;
  int64_t deposit_cents = 0;
  std::map<int64_t, int64_t> stock;     // product id -> count
  std::map<int64_t, int64_t> balances;  // customer id -> balance
};

class VirtualMachine {
 public:
  // `index` makes this machine's UUIDs unique in the fleet (below 2^24).
  VirtualMachine(uint32_t index, std::string id, uint64_t seed);

  const std::string& id() const { return id_; }
  uint32_t index() const { return index_; }

  // The first events of a machine: stock.changed (cause "seed") for every product.
  void Seed(int64_t count_per_product, SysTime at);
  // One customer at the kiosk at `at`: a deposit when the balance is short, then the
  // sale. Returns the seq of the sale's last event, or 0 (nothing recorded) when every
  // product is sold out.
  int64_t Sell(SysTime at);
  // Exactly `n` more events (sales and deposits), the i-th stamped start + i * step.
  void Backlog(size_t n, SysTime start, std::chrono::milliseconds step);
  // A command the simulator does not apply: command.rejected, once per command id.
  // Returns false (and appends nothing) for an id seen before.
  bool RejectCommand(const std::string& command_id, const std::string& type, SysTime at);

  int64_t last_seq() const { return expected_.last_seq; }
  int64_t acked_seq() const { return acked_seq_; }
  size_t depth() const { return outbox_.size(); }
  const std::map<int64_t, int64_t>& stock() const { return expected_.stock; }
  const ExpectedState& expected() const { return expected_; }

  // The vend/v1/m/{m}/events payload of seqs first..last, all still in the outbox
  // (acked_seq < first <= last <= last_seq). Served from the cache when PreEncode made
  // exactly that batch. The view is valid until the next call on this machine.
  std::string_view BatchPayload(int64_t first, int64_t last);
  // Encodes the batches a drainer with `batch_size` will ask for from the current ack
  // onwards, so publishing them later costs no JSON work on the loop thread.
  void PreEncode(size_t batch_size);
  // The cloud has durably applied every event up to `upto` (<= last_seq).
  void Acknowledge(int64_t upto);

 private:
  enum class Kind : uint8_t { kOrder, kSaleStock, kSeedStock, kDeposit, kRejected };
  // One event, compact: the meaning of a, b, c depends on kind (see ToEvent).
  struct Rec {
    int64_t seq;
    int64_t at_ms;
    Kind kind;
    int32_t customer;
    int32_t product;
    int64_t a, b, c;
  };

  struct Product {
    int64_t id;
    int64_t price;
  };

  void Append(Rec r);
  void Deposit(int64_t customer, int64_t at_ms);
  int64_t PickCustomer();
  const Product* PickInStock();
  schemas::Event ToEvent(const Rec& r) const;
  std::string Uuid(int64_t at_ms, int64_t seq, int role) const;
  std::string UserName(int64_t customer) const;

  const uint32_t index_;
  const std::string id_;
  std::mt19937_64 rng_;
  std::vector<Product> products_;
  ExpectedState expected_;
  int64_t customers_ = 0;
  int64_t deposit_ids_ = 0;
  int64_t acked_seq_ = 0;
  std::deque<Rec> outbox_;
  // command.rejected events: seq -> (command id, type), and every id answered.
  std::unordered_map<int64_t, std::pair<std::string, std::string>> rejected_;
  std::unordered_set<std::string> answered_;
  // first seq -> (last seq, payload), batches PreEncode made.
  std::unordered_map<int64_t, std::pair<int64_t, std::string>> cache_;
  std::string scratch_;  // the last payload encoded on demand
};

}  // namespace vend::bench
