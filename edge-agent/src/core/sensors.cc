#include "core/sensors.h"

#include <algorithm>
#include <cmath>

namespace vend::edge::core {

SimulatedSensors::SimulatedSensors(uint64_t seed) : rng_(seed) {}

SensorReading SimulatedSensors::Read() {
  std::bernoulli_distribution opens(0.025);
  std::bernoulli_distribution closes(0.5);
  std::normal_distribution<double> noise(0.0, 0.15);
  door_open_ = door_open_ ? !closes(rng_) : opens(rng_);
  // The compressor pulls a fifth of the way back to the set point each step; an open
  // door lets warm air in faster than that.
  temperature_c_ += 0.2 * (kSetPointC - temperature_c_) + noise(rng_) + (door_open_ ? 0.8 : 0.0);
  temperature_c_ = std::clamp(temperature_c_, -2.0, 15.0);
  // Sensors report tenths of a degree.
  return SensorReading{std::round(temperature_c_ * 10.0) / 10.0, door_open_};
}

}  // namespace vend::edge::core
