// The fleet alert rules as a pure function: boundaries, stale telemetry, offline by
// presence or by last_seen age, removed products.
#include "core/alerts.h"

#include <gtest/gtest.h>

namespace vend::cloud::core {
namespace {

using std::chrono::seconds;

const Clock::time_point kNow = Clock::time_point(seconds(1793491200));

MachineSnapshot Online(const std::string& id, seconds age = seconds(10)) {
  return {id, true, kNow - age};
}

StockSnapshot Stock(const std::string& m, int64_t product, int64_t count, int64_t threshold,
                    bool removed = false) {
  return {m, product, "Cola", count, threshold, removed, kNow - seconds(60)};
}

std::vector<Alert> Eval(const std::vector<MachineSnapshot>& m,
                        const std::vector<StockSnapshot>& s = {},
                        const std::vector<TelemetrySnapshot>& t = {}) {
  return EvaluateAlerts(m, s, t, AlertOptions{}, kNow);
}

TEST(Alerts, HealthyFleetHasNone) {
  EXPECT_TRUE(Eval({Online("M-1")}, {Stock("M-1", 1, 10, 3)}, {{"M-1", kNow, 4.0}}).empty());
}

TEST(Alerts, OfflineByPresence) {
  auto a = Eval({{"M-1", false, kNow - seconds(1)}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "offline");
  EXPECT_EQ(a[0].severity, "critical");
  EXPECT_EQ(a[0].machine, "M-1");
  EXPECT_EQ(*a[0].since, kNow - seconds(1));
  EXPECT_FALSE(a[0].product_id);
}

TEST(Alerts, OfflineByLastSeenAgeButNotExactlyAtTheLimit) {
  EXPECT_TRUE(Eval({Online("M-1", seconds(300))}).empty());
  auto a = Eval({Online("M-1", seconds(301))});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "offline");
  EXPECT_EQ(*a[0].value, 301.0);
}

TEST(Alerts, NeverSeenIsOffline) {
  auto a = Eval({{"M-1", false, std::nullopt}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].since);
  EXPECT_FALSE(a[0].value);
}

TEST(Alerts, LowStockBelowThresholdOnly) {
  EXPECT_TRUE(Eval({Online("M-1")}, {Stock("M-1", 1, 3, 3)}).empty());
  auto a = Eval({Online("M-1")}, {Stock("M-1", 1, 2, 3)});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "low_stock");
  EXPECT_EQ(a[0].severity, "warning");
  EXPECT_EQ(*a[0].product_id, 1);
  EXPECT_EQ(*a[0].value, 2.0);
}

TEST(Alerts, EmptySlotIsCritical) {
  auto a = Eval({Online("M-1")}, {Stock("M-1", 1, 0, 3)});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, "critical");
}

TEST(Alerts, ZeroThresholdNeverAlerts) {
  EXPECT_TRUE(Eval({Online("M-1")}, {Stock("M-1", 1, 0, 0)}).empty());
}

TEST(Alerts, RemovedProductsAreIgnored) {
  EXPECT_TRUE(Eval({Online("M-1")}, {Stock("M-1", 1, 0, 3, /*removed=*/true)}).empty());
}

TEST(Alerts, TemperatureOutsideRangeButNotAtTheLimits) {
  EXPECT_TRUE(Eval({Online("M-1")}, {}, {{"M-1", kNow, 8.0}}).empty());
  EXPECT_TRUE(Eval({Online("M-1")}, {}, {{"M-1", kNow, 0.0}}).empty());
  auto hot = Eval({Online("M-1")}, {}, {{"M-1", kNow - seconds(5), 8.5}});
  ASSERT_EQ(hot.size(), 1u);
  EXPECT_EQ(hot[0].kind, "temperature");
  EXPECT_EQ(hot[0].severity, "critical");
  EXPECT_EQ(*hot[0].value, 8.5);
  EXPECT_EQ(*hot[0].since, kNow - seconds(5));
  EXPECT_EQ(Eval({Online("M-1")}, {}, {{"M-1", kNow, -0.5}}).size(), 1u);
}

TEST(Alerts, StaleTelemetryIsIgnored) {
  EXPECT_EQ(Eval({Online("M-1")}, {}, {{"M-1", kNow - seconds(300), 20.0}}).size(), 1u);
  EXPECT_TRUE(Eval({Online("M-1")}, {}, {{"M-1", kNow - seconds(301), 20.0}}).empty());
}

TEST(Alerts, OptionsChangeTheLimits) {
  AlertOptions o;
  o.offline_after = seconds(10);
  o.temp_min_c = -5;
  o.temp_max_c = 20;
  auto a = EvaluateAlerts({Online("M-1", seconds(11))}, {}, {{"M-1", kNow, 15.0}}, o, kNow);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "offline");
}

TEST(Alerts, UnknownMachinesIgnoredAndCriticalFirst) {
  auto a = Eval({Online("M-1"), Online("M-2")},
                {Stock("M-1", 2, 1, 3), Stock("M-2", 1, 0, 3), Stock("M-9", 1, 0, 3)},
                {{"M-9", kNow, 30.0}});
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].machine, "M-2");
  EXPECT_EQ(a[0].severity, "critical");
  EXPECT_EQ(a[1].machine, "M-1");
  EXPECT_EQ(a[1].severity, "warning");
}

}  // namespace
}  // namespace vend::cloud::core
