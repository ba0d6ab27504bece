#pragma once
// `geosr sr`'s command line, parsed and checked, and what a run with it writes. `geosr batch`
// validates the sr options it is given with the same parser and recognises a finished output by
// comparing it with what `geosr sr` would write now.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diffusion_job.hpp"
#include "resample_job.hpp"

namespace geosr::cli {

struct SrRequest {
  IoOptions io;
  std::string method;             // "diffusion" | "bicubic"
  DiffusionJob diffusion;         // method diffusion
  double scale = 0.0;             // method bicubic: --scale, 0 when --tr is given
  double xres = 0.0, yres = 0.0;  // method bicubic: --tr
  bool dry_run = false;           // --dry-run, either method
};

// `geosr sr` arguments (options, SRC, DST), checked as `geosr sr` checks them (UsageError);
// nullopt after printing --help.
std::optional<SrRequest> parse_sr_request(const std::vector<std::string>& args);

// The bicubic job of `request` for `source`: output size and GEOSR_SCALE from --scale or --tr.
ResampleJob bicubic_job(const SrRequest& request, const RasterSource& source);

struct SrOutput {
  int64_t width = 0;
  int64_t height = 0;
  std::map<std::string, std::string> metadata;  // the GEOSR_* items
};

// What `geosr sr` with the options of `request` writes for one input or another. The model, if
// any, is read once and on the CPU: the device changes no GEOSR_* item, and a process that only
// checks outputs should take no GPU memory from the runs it starts.
class SrOutputForecast {
 public:
  explicit SrOutputForecast(const SrRequest& request);
  SrOutput operator()(const std::string& src) const;

 private:
  SrRequest request_;
  int64_t diffusion_scale_ = 0;
  int64_t diffusion_channels_ = 0;
  std::map<std::string, std::string> diffusion_metadata_;
};

}  // namespace geosr::cli
