#pragma once
// Where the scene's state lives during joint denoising. The window step logic only reads y_t over
// a window and adds contributions to an accumulator, so an out-of-core canvas (tiles on disk) can
// replace the in-memory one without touching it.

#include <functional>
#include <mutex>
#include <vector>

#include <torch/torch.h>

#include "geosr/core/fusion/fuser.hpp"
#include "geosr/core/grid/window_grid.hpp"

namespace geosr {

// Reads a (C, h, w) float32 region of a raster in grid coordinates (e.g. the condition).
using RegionReader = std::function<torch::Tensor(const Region&)>;
// Reads n same-size regions (a batch of window footprints) as (n, C, h, w) float32, in one go.
using WindowsReader = std::function<torch::Tensor(const std::vector<Region>&)>;

class Canvas {
 public:
  virtual ~Canvas() = default;
  // y_t over `region`, (C, h, w) float32.
  virtual torch::Tensor read(const Region& region) = 0;
  // Replaces y_t by y_{t-1} = fuser.finish(accumulator) and clears the accumulator.
  virtual void finish_step(const Fuser& fuser) = 0;
  // Where the accumulator lives: the window step computes contributions there.
  virtual torch::Device device() const = 0;

  // y_t over a batch of same-size window footprints, (n, C, h, w). By default region by region;
  // a canvas may do it in one operation.
  virtual torch::Tensor read_windows(const std::vector<Region>& footprints);
  // Lets `add` add contributions over `footprints` (which must lie where the canvas accepts them):
  // it gets the accumulator planes (planes, C, rows, W) int64 on device(), contiguous, and the
  // grid row of their row 0. Calls from several threads take turns; fixed-point sums do not
  // depend on their order.
  using AddToSums = std::function<void(torch::Tensor& sums, int64_t first_row)>;
  virtual void accumulate_windows(const std::vector<Region>& footprints, const AddToSums& add) = 0;
};

// The whole extent in RAM: y (C, H, W) float32, and the int64 accumulator planes on `device`,
// where the contributions are computed.
class MemoryCanvas : public Canvas {
 public:
  MemoryCanvas(torch::Tensor initial, int planes, torch::Device device = torch::kCPU);

  torch::Tensor read(const Region& region) override;
  void finish_step(const Fuser& fuser) override;
  torch::Device device() const override { return accumulator_.device(); }
  void accumulate_windows(const std::vector<Region>& footprints, const AddToSums& add) override;

  const torch::Tensor& state() const { return state_; }

 private:
  torch::Tensor state_;        // (C, H, W) float32
  torch::Tensor accumulator_;  // (planes, C, H, W) int64
  std::mutex mutex_;
};

// Reads batches of regions of an in-memory (C, H, W) tensor.
WindowsReader tensor_reader(torch::Tensor raster);

}  // namespace geosr
