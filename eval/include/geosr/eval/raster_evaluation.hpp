#pragma once
// Whole-scene evaluation of candidate rasters against a reference raster, streamed from disk:
// pixel metrics in row strips with the halo they need, distribution metrics over windows read a
// window row at a time, LR consistency in strips of LR rows. Rasters must share the reference's
// grid (size, geotransform, CRS, band count); NoData of either side is excluded.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/eval/windows.hpp"

namespace geosr::eval {

// Metric names, in table order.
const std::vector<std::string>& metric_names();  // rmse psnr ssim swd spectrum fid kid seam lr

struct RasterEvalOptions {
  std::vector<std::string> metrics;      // empty: every metric whose inputs are given
  std::optional<WindowLayout> grid;      // the window grid that made the candidates (seam score)
  std::string lr_path;                   // the LR input (LR consistency)
  std::string inception_path;            // FID/KID feature network; "" = $GEOSR_INCEPTION if set
  torch::Device device = torch::kCPU;    // where the feature network runs
  int64_t batch_size = 16;
  int64_t block_rows = 512;              // rows per streamed strip
  std::optional<double> max_value;       // PSNR/SSIM MAX; default from the reference's data type
  uint64_t seed = 0;                     // SWD places and directions, KID subsets
  WindowLayout swd_windows{128, 128};
  WindowLayout fid_windows{299, 75};
};

struct CandidateReport {
  std::string path;
  std::map<std::string, double> values;                  // rmse, psnr, ssim, swd, spectrum_db, fid, kid, kid_std, seam, lr_mae
  std::map<std::string, std::vector<double>> per_band;   // rmse, psnr, ssim, lr_mae
};

struct EvaluationReport {
  std::string reference;
  std::vector<std::string> metrics;  // those computed
  double max_value = 0;
  std::optional<double> reference_seam;
  int64_t scale = 0;                 // LR scale, 0 without --lr
  int64_t swd_windows = 0, fid_windows = 0;  // windows used (of the first candidate)
  std::vector<CandidateReport> candidates;
  std::vector<std::string> notes;    // default metrics left out, and why
};

// Why the metrics asked for cannot be computed from `options` (an unknown name, the seam score
// without a grid, LR consistency without an LR raster), or "" when they can. evaluate_rasters
// throws it; `geosr eval` reports it as a usage error before opening anything.
std::string metrics_problem(const RasterEvalOptions& options);

EvaluationReport evaluate_rasters(const std::string& reference, const std::vector<std::string>& candidates,
                                  RasterEvalOptions options);

}  // namespace geosr::eval
