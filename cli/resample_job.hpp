#pragma once
// The part `geosr degrade` and `geosr sr --method bicubic` share: resample SRC to a new grid
// through the block pipeline and write DST as a COG.

#include <cstdint>
#include <map>
#include <string>

#include "geosr/core/resample/resample.hpp"
#include "geosr/io/output_spec.hpp"
#include "geosr/io/raster_source.hpp"
#include "options.hpp"

namespace geosr::cli {

struct ResampleJob {
  std::string command;                          // for messages: "sr", "degrade"
  ResampleKernel kernel = ResampleKernel::Cubic;
  int64_t width = 0;                            // output size
  int64_t height = 0;
  std::string method;                           // GEOSR_METHOD
  std::string scale;                            // GEOSR_SCALE
};

// Refuses outputs that GDAL cannot address (more than 2^31 - 1 pixels per side).
void check_output_size(int64_t width, int64_t height);

// The GEOSR_* metadata items the job writes into its output.
std::map<std::string, std::string> resample_metadata(const ResampleJob& job);

// What the job writes: the source's type, bands and NoData on the job's grid, with its metadata
// and the -co and --overwrite of `io`.
OutputSpec resample_output_spec(const ResampleJob& job, const RasterSource& source, const IoOptions& io);

int run_resample_job(const ResampleJob& job, const RasterSource& source, const IoOptions& io);

}  // namespace geosr::cli
