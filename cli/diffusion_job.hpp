#pragma once
// `geosr sr --method diffusion`: InfScene-SR joint denoising of a raster of any size. The windows are
// visited in rows, the condition is computed band by band from the LR raster, windows without valid
// pixels are skipped, and the two canvas arrays live in RAM or, past --max-ram, in memory-mapped
// files under --tmpdir. Checkpoints beside the output (DST.geosr-checkpoint) every K steps and on
// SIGINT/SIGTERM/SIGHUP let --resume finish the run with the bytes an uninterrupted run would have written.

#include <cstdint>
#include <map>
#include <string>

#include "geosr/core/inference/diffusion_setup.hpp"
#include "geosr/io/raster_source.hpp"
#include "geosr/io/value_survey.hpp"
#include "options.hpp"

namespace geosr::cli {

struct DiffusionJob : DiffusionSettings {
  bool dry_run = false;
  double max_ram = 0.0;       // bytes the whole run may use; 0: the program and a batch plus half the available RAM
  double max_device = -1.0;   // accelerator bytes the canvas may use; < 0: half of the free device memory
  std::string tmpdir;         // memory-mapped canvas files; empty: the output's directory
  int checkpoint_every = 10;  // steps between checkpoints; 0: only when interrupted
  bool resume = false;
  bool mpi = false;           // one rank of an MPI job (distributed_job.hpp)
  int split_rows = 0;         // independent row bands (split_job.hpp); 0: one joint run
  int split_part = 0;         // 1..K: compute only that band
  int64_t split_halo = 1;     // rows of windows each band denoises beyond its own
};

// Where the checkpoint of a run writing `dst` lives.
std::string checkpoint_path(const std::string& dst);

// Where `geosr sr` looks for a model when --model is not given: $GEOSR_MODEL, then the bundled one.
std::string default_model_path();

// --model, --steps, --sampler, --eta, --fusion, --weights, --window, --stride, --batch, --seed,
// --device, --precision: the settings of a diffusion run, as `geosr sr` and `geosr vrt` take them.
po::options_description diffusion_options(const std::string& caption);
// Those settings from parsed options, plus --scale (an integer; 0 when not given).
DiffusionSettings read_diffusion_settings(const po::variables_map& values);

// prepare_diffusion with the settings' mistakes reported as usage errors.
DiffusionSetup prepare_settings(const DiffusionSettings& settings);

// The input bands the model reads (-b, else the first ones), a wrong count reported as a usage error.
RasterSource open_model_source(const IoOptions& io, const DiffusionSetup& setup);

// Warns, as `command`, when the value rule would show the model a white scene (values far beyond
// the range) or a flat one (values in a sliver of it), from a decimated read (value_survey.hpp).
void warn_about_value_rule(const std::string& command, const RasterSource& source, const ValueSurvey& survey);

// Opens SRC itself: without -b it selects the first bands the model takes (1,2,3 for an RGB model).
int run_diffusion_job(const DiffusionJob& job, IoOptions io);

}  // namespace geosr::cli
