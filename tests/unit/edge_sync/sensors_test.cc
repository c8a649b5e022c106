// SimulatedSensors: a plausible fridge around 4 °C whose door opens now and then.
#include "core/sensors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vend::edge::core {
namespace {

TEST(SimulatedSensors, TemperatureStaysPlausibleAndAveragesNearTheSetPoint) {
  SimulatedSensors s(42);
  double sum = 0;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    auto r = s.Read();
    ASSERT_GE(r.temperature_c, -2.0);
    ASSERT_LE(r.temperature_c, 15.0);
    sum += r.temperature_c;
  }
  EXPECT_NEAR(sum / n, SimulatedSensors::kSetPointC, 1.5);
}

TEST(SimulatedSensors, TheDoorOpensSometimesButIsMostlyClosed) {
  SimulatedSensors s(7);
  int open = 0;
  const int n = 5000;
  for (int i = 0; i < n; ++i) open += s.Read().door_open ? 1 : 0;
  EXPECT_GT(open, 0);
  EXPECT_LT(open, n / 10);
}

TEST(SimulatedSensors, ReadingsHaveTenthOfADegreeResolution) {
  SimulatedSensors s(1);
  for (int i = 0; i < 100; ++i) {
    double t = s.Read().temperature_c * 10.0;
    EXPECT_NEAR(t, std::round(t), 1e-9);
  }
}

TEST(SimulatedSensors, TheSameSeedGivesTheSameReadings) {
  SimulatedSensors a(99), b(99);
  for (int i = 0; i < 100; ++i) {
    auto ra = a.Read(), rb = b.Read();
    EXPECT_EQ(ra.temperature_c, rb.temperature_c);
    EXPECT_EQ(ra.door_open, rb.door_open);
  }
}

}  // namespace
}  // namespace vend::edge::core
