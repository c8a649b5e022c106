// SensorSource: what the machine's hardware reports for telemetry (DESIGN.md section 4:
// temperature and door). SimulatedSensors stands in for real hardware: a fridge that
// holds about 4 °C, drifts a little, and warms while its door is open.
//
// Thread safety: a SensorSource is read by one thread (the sync worker).
#pragma once

#include <cstdint>
#include <random>

namespace vend::edge::core {

struct SensorReading {
  double temperature_c = 0;
  bool door_open = false;
};

class SensorSource {
 public:
  virtual ~SensorSource() = default;
  virtual SensorReading Read() = 0;
};

// Each Read is one step of the simulation: the temperature is pulled back towards the
// set point with some noise, rises while the door is open, and stays in [-2, 15] °C;
// the door opens now and then (about one reading in 40) and closes again soon.
class SimulatedSensors final : public SensorSource {
 public:
  static constexpr double kSetPointC = 4.0;

  explicit SimulatedSensors(uint64_t seed);
  SensorReading Read() override;

 private:
  std::mt19937_64 rng_;
  double temperature_c_ = kSetPointC;
  bool door_open_ = false;
};

}  // namespace vend::edge::core
