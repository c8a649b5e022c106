// Concurrent kiosk requests through the real listener: races for the last item and for
// the same idempotency key, and a mixed load after which money and stock still add up.
// Every test gets its own fresh server so the catalog counts are exactly as seeded.
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "kiosk_harness.h"
#include "support/latch.h"

namespace vend::edge::http_test {
namespace {

using nlohmann::json;

// Runs body(0) .. body(n-1) on n threads released together, and joins them.
void RunTogether(int n, const std::function<void(int)>& body) {
  test_support::Latch start(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&start, &body, i] {
      start.ArriveAndWait();
      body(i);
    });
  }
  for (auto& t : threads) t.join();
}

// Counts the outbox events appended after `after_seq`, by type.
std::map<std::string, int> EventCounts(store::SqliteKioskStore& store, int64_t after_seq) {
  std::map<std::string, int> counts;
  auto events = store.PendingEvents(after_seq, 100000);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  if (!events.ok()) return counts;
  for (const auto& e : *events) ++counts[std::string(schemas::EventType(e.data))];
  return counts;
}

class KioskHttpRace : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = KioskServer::Start();
    ASSERT_TRUE(server.ok()) << "the kiosk server did not start: " << server.status().ToString();
    server_ = std::move(server).value();
    kiosk_ = std::make_unique<KioskClient>(server_->port());
  }

  int64_t LastSeq() {
    auto outbox = server_->store().Outbox();
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? outbox->last_seq : 0;
  }

  std::unique_ptr<KioskServer> server_;
  std::unique_ptr<KioskClient> kiosk_;
};

TEST_F(KioskHttpRace, ExactlyOneOfTwentyConcurrentBuyersGetsTheLastItem) {
  constexpr int kBuyers = 20;
  constexpr int64_t kFunds = 100;
  ASSERT_EQ(kiosk_->Stock(kGum), 1);
  std::vector<Customer> buyers;
  for (int i = 0; i < kBuyers; ++i) buyers.push_back(kiosk_->NewCustomer(kFunds));
  const int64_t seq_before = LastSeq();

  std::vector<HttpReply> replies(kBuyers);
  RunTogether(kBuyers, [&](int i) { replies[i] = kiosk_->Buy(buyers[i], kGum); });

  int won = -1;
  int sold_out = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (replies[i].status == 201) {
      EXPECT_EQ(won, -1) << "a second buyer got the last item: " << replies[i];
      won = i;
    } else {
      EXPECT_TRUE(IsError(replies[i], 409, "out_of_stock"));
      ++sold_out;
    }
  }
  ASSERT_NE(won, -1) << "nobody got the last item";
  EXPECT_EQ(sold_out, kBuyers - 1);
  EXPECT_EQ(kiosk_->Stock(kGum), 0);

  int64_t total = 0;
  for (int i = 0; i < kBuyers; ++i) {
    const int64_t balance = kiosk_->Balance(buyers[i]);
    EXPECT_EQ(balance, i == won ? kFunds - kGumPrice : kFunds) << buyers[i].user_name;
    total += balance;
  }
  EXPECT_EQ(total, kBuyers * kFunds - kGumPrice);

  auto events = server_->store().PendingEvents(seq_before, 1000);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  int created = 0;
  for (const auto& e : *events) {
    if (const auto* o = std::get_if<schemas::OrderCreated>(&e.data)) {
      ++created;
      EXPECT_EQ(o->product_id, kGum);
      EXPECT_EQ(o->customer_id, buyers[won].id);
      EXPECT_EQ(o->order_id, JsonOf(replies[won])["order"]["id"]);
    }
  }
  EXPECT_EQ(created, 1);
}

TEST_F(KioskHttpRace, ConcurrentBuysWithOneIdempotencyKeyMakeOneOrder) {
  constexpr int kTries = 10;
  const Customer c = kiosk_->NewCustomer(1000);
  const json key = {{"idempotency_key", "retry-storm"}};
  const int64_t seq_before = LastSeq();

  std::vector<HttpReply> replies(kTries);
  RunTogether(kTries, [&](int i) { replies[i] = kiosk_->Buy(c, kCola, key); });

  for (const auto& r : replies) {
    ASSERT_EQ(r.status, 201) << r;
    EXPECT_EQ(JsonOf(r)["order"], JsonOf(replies[0])["order"]);
  }
  EXPECT_EQ(kiosk_->Balance(c), 1000 - kColaPrice);
  EXPECT_EQ(kiosk_->Stock(kCola), 9);
  EXPECT_EQ(kiosk_->Orders(c).size(), 1u);
  EXPECT_EQ(EventCounts(server_->store(), seq_before)["order.created"], 1);
}

TEST_F(KioskHttpRace, ConcurrentCreationOfOneNameMakesOneCustomer) {
  constexpr int kTries = 10;
  std::vector<HttpReply> replies(kTries);
  RunTogether(kTries, [&](int i) { replies[i] = kiosk_->CreateUser("same-name"); });

  int created = 0;
  for (const auto& r : replies) {
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r;
    created += r.status == 201 ? 1 : 0;
    EXPECT_EQ(JsonOf(r)["id"], JsonOf(replies[0])["id"]);
  }
  EXPECT_EQ(created, 1);
}

TEST_F(KioskHttpRace, ConcurrentRefundsOfOneOrderCreditItOnce) {
  constexpr int kTries = 10;
  const Customer c = kiosk_->NewCustomer(kColaPrice);
  const HttpReply bought = kiosk_->Buy(c, kCola);
  ASSERT_EQ(bought.status, 201) << bought;
  const json order_id = {{"order_id", JsonOf(bought)["order"]["id"]}};

  std::vector<HttpReply> replies(kTries);
  RunTogether(kTries, [&](int i) { replies[i] = kiosk_->Refund(c, kCola, order_id); });

  int refunded = 0;
  for (const auto& r : replies) {
    if (r.status == 200) {
      ++refunded;
    } else {
      EXPECT_TRUE(IsError(r, 409, "already_refunded"));
    }
  }
  EXPECT_EQ(refunded, 1);
  EXPECT_EQ(kiosk_->Balance(c), kColaPrice);
  EXPECT_EQ(kiosk_->Stock(kCola), 10);
}

// Each thread is one customer depositing, buying its way through the catalog (running
// into 402 and 409 on the way) and refunding some Colas. Afterwards every cent deposited
// is either on a balance or paid for an order that still stands, every item sold is
// gone from stock, and the outbox holds exactly one event per committed change.
TEST_F(KioskHttpRace, MixedConcurrentLoadConservesMoneyAndStock) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 12;
  const std::map<int64_t, int64_t> initial_stock = {
      {kCola, 10}, {kWater, 3}, {kGum, 1}, {kSoldOut, 0}};
  std::vector<Customer> customers;
  for (int i = 0; i < kThreads; ++i) customers.push_back(kiosk_->NewCustomer());
  const int64_t seq_before = LastSeq();

  std::vector<int64_t> deposited(kThreads, 0);
  std::vector<int> deposits(kThreads, 0);
  RunTogether(kThreads, [&](int t) {
    const Customer& c = customers[t];
    for (int round = 0; round < kRounds; ++round) {
      const int64_t amount = 40 + 10 * ((t + round) % 5);
      const HttpReply d = kiosk_->Deposit(c, amount);
      if (d.status == 200) {
        deposited[t] += amount;
        ++deposits[t];
      } else {
        ADD_FAILURE() << "deposit: " << d;
      }
      const int64_t product = 1 + (t + round) % 4;
      const HttpReply b = kiosk_->Buy(c, product);
      EXPECT_TRUE(b.status == 201 || b.status == 402 || b.status == 409) << b;
      if (b.status == 201 && product == kCola && round % 3 == 0) {
        const HttpReply r = kiosk_->Refund(c, kCola, {{"order_id", JsonOf(b)["order"]["id"]}});
        EXPECT_EQ(r.status, 200) << r;
      }
    }
  });

  int64_t total_deposited = 0;
  int64_t total_balances = 0;
  int64_t total_paid = 0;
  int total_deposits = 0;
  int total_orders = 0;
  int total_refunds = 0;
  std::map<int64_t, int64_t> sold;
  for (int t = 0; t < kThreads; ++t) {
    total_deposited += deposited[t];
    total_deposits += deposits[t];
    total_balances += kiosk_->Balance(customers[t]);
    for (const json& order : kiosk_->Orders(customers[t])) {
      ++total_orders;
      if (order["status"] == "paid") {
        total_paid += order["price"].get<int64_t>();
        ++sold[order["product_id"].get<int64_t>()];
      } else {
        ++total_refunds;
      }
    }
  }
  EXPECT_EQ(total_deposited, total_balances + total_paid);
  for (const auto& [product, count] : initial_stock) {
    EXPECT_EQ(kiosk_->Stock(product), count - sold[product]) << "product " << product;
  }
  EXPECT_GT(total_orders, 0);

  auto events = EventCounts(server_->store(), seq_before);
  EXPECT_EQ(events["balance.deposited"], total_deposits);
  EXPECT_EQ(events["order.created"], total_orders);
  EXPECT_EQ(events["order.refunded"], total_refunds);
  EXPECT_EQ(events["stock.changed"], total_orders + total_refunds);
}

}  // namespace
}  // namespace vend::edge::http_test
