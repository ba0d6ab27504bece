#pragma once
// What a trained model records about how it was trained that inference needs: the noise schedule
// ("geosr.schedule", JSON), the scale ("geosr.scale") and the value rule ("geosr.value_scale",
// "geosr.value_offset"). Other "geosr.train.*" keys are provenance only.

#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/network/model_file.hpp"

namespace geosr {

struct ScheduleSpec {
  ScheduleKind kind = ScheduleKind::Linear;
  int steps = 2000;
  double beta_start = 1e-6;
  double beta_end = 1e-2;

  NoiseSchedule make() const { return NoiseSchedule::make(kind, steps, beta_start, beta_end); }
  std::string to_json() const;
  // Throws std::runtime_error on malformed text.
  static ScheduleSpec from_json(const std::string& json);
};

// The training schedule of a model; the paper's (linear 1e-6..1e-2, T = 2000) when not recorded.
ScheduleSpec schedule_of(const Metadata& metadata);

}  // namespace geosr
