#pragma once
// Shared pieces of the core's scene tests: a real LR scene, a short DDPM, and the small windows
// (32 px, stride 24) that give a 115 x 95 scene partial windows in both directions.

#include <memory>

#include "geosr/core/canvas/scene_sampler.hpp"
#include "geosr/core/diffusion/sampler.hpp"
#include "geosr/core/diffusion/schedule.hpp"
#include "geosr/core/train/chip_dataset.hpp"
#include "test_support.hpp"

namespace geosr::test {

// Real pixels as the LR scene: a bundled 48 x 48 NAIP chip (RGB, model range), cropped to an
// awkward size.
inline torch::Tensor naip_lr(int64_t h, int64_t w, int64_t chip = 1) {
  const ChipDataset chips({(samples() / "chips" / "val.chips").string()});
  return chips.normalized(chip).slice(1, 0, h).slice(2, 0, w).contiguous();
}

inline std::unique_ptr<Sampler> ddpm(int steps) {
  return make_sampler(SamplerKind::Ddpm, NoiseSchedule::make(ScheduleKind::Linear).respaced(steps));
}

inline SceneSamplerOptions small_windows(FusionMode mode, uint64_t seed, int64_t batch = 4) {
  SceneSamplerOptions o;
  o.fusion = mode;
  o.window = 32;
  o.stride = 24;
  o.seed = seed;
  o.batch = batch;
  return o;
}

}  // namespace geosr::test
