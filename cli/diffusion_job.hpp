#pragma once
// `geosr sr --method diffusion`: InfScene-SR joint denoising of the scene held in memory, written
// through the same COG writer as the other methods. The streaming, out-of-core processor for
// scenes larger than RAM is a separate piece of work; until then the job refuses scenes whose
// canvas would not fit and says how much it needs.

#include <cstdint>
#include <string>

#include "geosr/io/raster_source.hpp"
#include "options.hpp"

namespace geosr::cli {

struct DiffusionJob {
  std::string model;       // safetensors model file
  int64_t scale = 0;       // 0: the model's own
  int steps = 50;          // re-spaced inference steps
  std::string sampler = "ddpm";
  double eta = 0.0;
  std::string fusion = "sdvc";
  std::string weights = "cone";
  int64_t window = 0;      // 0: the model's training patch rounded up to the network's multiple
  int64_t stride = 0;      // 0: three quarters of the window (the official 25 % overlap)
  int64_t batch = 8;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string precision = "fp32";
  bool dry_run = false;
};

// Where `geosr sr` looks for a model when --model is not given: $GEOSR_MODEL, then the bundled one.
std::string default_model_path();

// Opens SRC itself: without -b it selects the first bands the model takes (1,2,3 for an RGB model).
int run_diffusion_job(const DiffusionJob& job, IoOptions io);

}  // namespace geosr::cli
