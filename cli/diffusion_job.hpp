#pragma once
// `geosr sr --method diffusion`: InfScene-SR joint denoising of a raster of any size. The windows are
// visited in rows, the condition is computed band by band from the LR raster, windows without valid
// pixels are skipped, and the two canvas arrays live in RAM or, past --max-ram, in memory-mapped
// files under --tmpdir. Checkpoints beside the output (DST.geosr-checkpoint) every K steps and on
// SIGINT/SIGTERM let --resume finish the run with the bytes an uninterrupted run would have written.

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
  double max_ram = 0.0;       // bytes the canvas may use; 0: half of the available RAM
  std::string tmpdir;         // memory-mapped canvas files; empty: the output's directory
  int checkpoint_every = 10;  // steps between checkpoints; 0: only when interrupted
  bool resume = false;
};

// Where the checkpoint of a run writing `dst` lives.
std::string checkpoint_path(const std::string& dst);

// Where `geosr sr` looks for a model when --model is not given: $GEOSR_MODEL, then the bundled one.
std::string default_model_path();

// Opens SRC itself: without -b it selects the first bands the model takes (1,2,3 for an RGB model).
int run_diffusion_job(const DiffusionJob& job, IoOptions io);

}  // namespace geosr::cli
