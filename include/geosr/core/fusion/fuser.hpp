#pragma once
// How the per-window samples of one reverse step are merged into the scene's y_{t-1}.
//
// Per window i: mean mu_i, noise sigma * eps_i, sample y_i = mu_i + sigma * eps_i, weight w_i;
// per pixel W = sum_i w_i, S = sqrt(sum_i w_i^2).
//   none: non-overlapping tiles, y = y_i of the one tile holding the pixel (SR3 baseline, seams)
//   avg:  y = sum_i w_i y_i / W (MultiDiffusion; the noise variance shrinks to sigma^2 S^2/W^2)
//   vcf:  y = sum_i w_i y_i / S + (1 - W/S) sum_i w_i mu_i / W  (InfScene-SR Eq. 7, whole canvas)
//   sdvc: each window adds C_i = (w_i/S) y_i + ((S - W)/(S W)) w_i mu_i (Eq. 10; sum_i C_i = vcf)
// All of them work window by window: a window's contribution needs only its own data and W, S over
// its own footprint (from the grid), and contributions are summed in fixed point (fixed_point.hpp).

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/grid/window_grid.hpp"
#include "geosr/core/grid/window_weights.hpp"

namespace geosr {

enum class FusionMode { None, Avg, Vcf, Sdvc };

FusionMode parse_fusion_mode(const std::string& name);  // "none" | "avg" | "vcf" | "sdvc"
std::string to_string(FusionMode mode);

// The grid a fusion mode runs on: `none` uses non-overlapping tiles (stride ignored).
WindowGrid make_grid(FusionMode mode, int64_t height, int64_t width, int64_t window, int64_t stride);

// The noise of one reverse step: sigma and the key of window_noise (seed, step); sigma 0 draws none.
struct StepNoise {
  double sigma = 0.0;
  uint64_t seed = 0;
  int64_t step = 0;
};

class Fuser {
 public:
  Fuser(FusionMode mode, WindowGrid grid, WeightKind weights);
  // The same fusion over the windows of the grid touching `region` (WindowGrid::crop): pixels
  // at the crop's edge are normalised over the windows the crop has.
  Fuser crop(const Region& region) const;

  FusionMode mode() const { return mode_; }
  const WindowGrid& grid() const { return grid_; }
  const torch::Tensor& weights() const { return weights_; }

  // Accumulator planes: vcf sums (w/W) y and (w/W) mu separately (2) and applies W/S in finish();
  // the others sum finished values (1). Dividing by W keeps every accumulated value in the range
  // of the data whatever the weights' scale (Gaussian corner weights are ~1e-10, below the
  // fixed-point resolution, so raw sums of w y would lose them).
  int planes() const { return mode_ == FusionMode::Vcf ? 2 : 1; }

  // What n windows add at one reverse step, on the device of `sums`, the accumulator planes
  // (planes, C, rows, W) int64, contiguous, whose row 0 is grid row `first_row`: each window's
  // noise (window_noise's values for `noise`), sample, coefficients and fixed-point value, in one
  // pass (one kernel on CUDA). means: (n, C, P, P), the sampler's. Returns the largest |value|
  // added, 0-dim float64, not waited for and not range-checked (check_fixed_point_range).
  torch::Tensor accumulate(const std::vector<Window>& windows, const torch::Tensor& means, const StepNoise& noise,
                           torch::Tensor& sums, int64_t first_row) const;

  // y_{t-1} (C, h, w) float32 over `region` from its accumulated planes (planes, C, h, w) int64.
  torch::Tensor finish(const Region& region, const torch::Tensor& sums) const;

 private:
  struct Coefficients {
    torch::Tensor sample;  // multiplies y_i
    torch::Tensor mean;    // multiplies mu_i (undefined: 0)
  };
  struct CachedCoefficients {
    Coefficients host, device;  // device: a copy on the last accelerator asked for
  };
  Fuser(FusionMode mode, WindowGrid grid, torch::Tensor weights);
  // The coefficients of `win` on `device` (copied there once per neighbourhood).
  Coefficients coefficients(const Window& win, const torch::Device& device) const;

  FusionMode mode_;
  WindowGrid grid_;
  torch::Tensor weights_;  // (P, P) float64
  // Keyed by the offsets of the overlapping windows relative to the window: every interior window
  // shares one entry, so the cache stays a few dozen entries for any scene size.
  mutable std::map<std::vector<int64_t>, CachedCoefficients> cache_;
  mutable std::mutex cache_mutex_;
};

}  // namespace geosr
